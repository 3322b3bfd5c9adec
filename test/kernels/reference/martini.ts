// Scalar TypeScript reference of assembly/martini.ts: the same algorithm and the same floating-point
// arithmetic (f64 sums, f32 error storage in 'compat'), written for clarity. The WASM kernel must
// give byte-identical vertex and triangle arrays.
//
// Grid: (T + 1) x (T + 1) row-major heights, T = 2^k. Points are (x, y), x east, y south.
// RTIN facts used by both modes:
// - every grid point but the 4 corners is the midpoint of exactly one edge of the hierarchy. With
//   lx = lowbit(x), ly = lowbit(y) (lowbit(0) = infinity): lx == ly -> centre of a square of size 2h
//   (h = lx) split by one diagonal; lx < ly -> horizontal edge of length 2h (h = lx); ly < lx ->
//   vertical edge of length 2h (h = ly).
// - a square of size 2h with index (i, j) = ((x - h) / 2h, (y - h) / 2h) uses the main diagonal
//   (NW-SE) when i + j is even, the other one when odd.
// - the two triangles sharing a midpoint m (one on the tile's edge) have m's parents at their apexes:
//   splitting m requires splitting both apexes (conformity), which is how 'exact' forces splits.

export type MartiniMode = 'compat' | 'exact';

export interface MeshArrays {
  vertices: Uint16Array;
  triangles: Uint32Array;
}

const FLAG_SPLIT = 1;
const FLAG_EDGE_KEEP = 2; // exact mode: a point of the 1-D edge decision (corners included)

/** Martini's per-point error: max over the triangles with this midpoint of the long-edge midpoint error and the children's. */
export function compatErrors(grid: Float32Array, size: number): Float32Array {
  const T = size - 1;
  const errors = new Float32Array(size * size);
  const mid = (a: number, b: number, m: number): number => Math.fround(Math.abs((grid[a]! + grid[b]!) / 2 - grid[m]!));
  for (let h = 1; h < T; h *= 2) {
    const h2 = h * 2;
    const q = h >> 1; // children of edge triangles are squares of size h, centred q off the edge
    // horizontal edges of length 2h (rows multiple of 2h)
    for (let y = 0; y <= T; y += h2) {
      for (let x = h; x < T; x += h2) {
        const m = y * size + x;
        let err = mid(m - h, m + h, m);
        if (h > 1) {
          if (y > 0) err = Math.max(err, errors[m - q * size - q]!, errors[m - q * size + q]!);
          if (y < T) err = Math.max(err, errors[m + q * size - q]!, errors[m + q * size + q]!);
        }
        errors[m] = err;
      }
    }
    // vertical edges of length 2h (columns multiple of 2h)
    for (let y = h; y < T; y += h2) {
      for (let x = 0; x <= T; x += h2) {
        const m = y * size + x;
        let err = mid(m - h * size, m + h * size, m);
        if (h > 1) {
          if (x > 0) err = Math.max(err, errors[m - q * size - q]!, errors[m + q * size - q]!);
          if (x < T) err = Math.max(err, errors[m - q * size + q]!, errors[m + q * size + q]!);
        }
        errors[m] = err;
      }
    }
    // square centres (squares of size 2h); children: the midpoints of the 4 sides
    for (let y = h; y < T; y += h2) {
      for (let x = h; x < T; x += h2) {
        const m = y * size + x;
        const odd = (((x - h) / h2 + (y - h) / h2) & 1) !== 0;
        const d = odd ? h * size - h : h * size + h; // offset of the diagonal's far end from m
        let err = mid(m - d, m + d, m);
        err = Math.max(err, errors[m - h]!, errors[m + h]!, errors[m - h * size]!, errors[m + h * size]!);
        errors[m] = err;
      }
    }
  }
  return errors;
}

class Output {
  readonly index: Uint32Array;
  readonly vertices: Uint16Array;
  readonly triangles: Uint32Array;
  nv = 0;
  nt = 0;
  constructor(readonly size: number) {
    const n = size * size;
    this.index = new Uint32Array(n);
    this.vertices = new Uint16Array(n * 2);
    this.triangles = new Uint32Array(n * 6);
  }
  vertex(x: number, y: number): number {
    const k = y * this.size + x;
    let i = this.index[k]!;
    if (i === 0) {
      i = ++this.nv;
      this.index[k] = i;
      this.vertices[2 * i - 2] = x;
      this.vertices[2 * i - 1] = y;
    }
    return i - 1;
  }
  triangle(a: number, b: number, c: number): void {
    const t = this.nt++ * 3;
    this.triangles[t] = a;
    this.triangles[t + 1] = b;
    this.triangles[t + 2] = c;
  }
  result(): MeshArrays {
    return { vertices: this.vertices.slice(0, this.nv * 2), triangles: this.triangles.slice(0, this.nt * 3) };
  }
}

function compatMesh(grid: Float32Array, size: number, maxError: number): MeshArrays {
  const T = size - 1;
  const errors = compatErrors(grid, size);
  const out = new Output(size);
  // one pass does what martini's countElements + processTriangle do: vertices numbered in first use
  const visit = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): void => {
    const mx = (ax + bx) >> 1;
    const my = (ay + by) >> 1;
    if (Math.abs(ax - cx) + Math.abs(ay - cy) > 1 && errors[my * size + mx]! > maxError) {
      visit(cx, cy, ax, ay, mx, my);
      visit(bx, by, cx, cy, mx, my);
    } else {
      const a = out.vertex(ax, ay);
      const b = out.vertex(bx, by);
      const c = out.vertex(cx, cy);
      out.triangle(a, b, c);
    }
  };
  visit(0, 0, T, T, T, 0);
  visit(T, T, 0, 0, 0, T);
  return out.result();
}

// ---------------------------------------------------------------- exact mode

/** Exact mode state, shared by the helpers below. */
class Exact {
  readonly T: number;
  readonly flags: Uint8Array;
  readonly stack: Uint32Array;
  sp = 0;

  constructor(readonly grid: Float32Array, readonly size: number, readonly maxError: number) {
    this.T = size - 1;
    this.flags = new Uint8Array(size * size);
    this.stack = new Uint32Array(size * size);
  }

  // ---- 1-D edge decision: split [a, b] at its midpoint while a point inside is off the chord by > maxError
  keepEdge(p0: number, stride: number): void {
    const f = this.flags;
    f[p0] |= FLAG_EDGE_KEEP;
    f[p0 + this.T * stride] |= FLAG_EDGE_KEEP;
    this.simplify(p0, stride, 0, this.T);
  }

  simplify(p0: number, stride: number, sa: number, sb: number): void {
    if (sb - sa < 2) return;
    const g = this.grid;
    const ha = g[p0 + sa * stride]!;
    const hb = g[p0 + sb * stride]!;
    const len = sb - sa;
    for (let s = sa + 1; s < sb; s++) {
      const z = ha + (hb - ha) * ((s - sa) / len);
      if (Math.abs(z - g[p0 + s * stride]!) > this.maxError) {
        const m = (sa + sb) >> 1;
        this.flags[p0 + m * stride] |= FLAG_EDGE_KEEP;
        this.simplify(p0, stride, sa, m);
        this.simplify(p0, stride, m, sb);
        return;
      }
    }
  }

  // ---- image of a grid point: edge points the 1-D decision dropped move one step inward
  mapX(x: number, y: number): number {
    const T = this.T;
    if ((x === 0 || x === T) && y !== 0 && y !== T && (this.flags[y * this.size + x]! & FLAG_EDGE_KEEP) === 0) return x === 0 ? 1 : T - 1;
    return x;
  }

  mapY(x: number, y: number): number {
    const T = this.T;
    if ((y === 0 || y === T) && x !== 0 && x !== T && (this.flags[y * this.size + x]! & FLAG_EDGE_KEEP) === 0) return y === 0 ? 1 : T - 1;
    return y;
  }

  /** True when some grid point in the image of triangle (0, 1, 2) is off its plane by more than maxError. */
  exceeds(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number): boolean {
    const X0 = this.mapX(x0, y0), Y0 = this.mapY(x0, y0);
    const X1 = this.mapX(x1, y1), Y1 = this.mapY(x1, y1);
    const X2 = this.mapX(x2, y2), Y2 = this.mapY(x2, y2);
    return this.exceedsPlane(X0, Y0, X1, Y1, X2, Y2);
  }

  exceedsPlane(x0: number, y0: number, x1: number, y1: number, x2: number, y2: number): boolean {
    const det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (det === 0) return false;
    const g = this.grid;
    const size = this.size;
    const z0 = g[y0 * size + x0]!;
    const dz1 = g[y1 * size + x1]! - z0;
    const dz2 = g[y2 * size + x2]! - z0;
    const inv = 1 / det;
    const gx = (dz1 * (y2 - y0) - dz2 * (y1 - y0)) * inv;
    const gy = (dz2 * (x1 - x0) - dz1 * (x2 - x0)) * inv;
    const ymin = Math.min(y0, y1, y2);
    const ymax = Math.max(y0, y1, y2);
    const e = this.maxError;
    for (let y = ymin; y <= ymax; y++) {
      let lo = Infinity;
      let hi = -Infinity;
      // crossing of the row with each edge spanning it (both ends of a horizontal edge)
      if ((y0 <= y && y <= y1) || (y1 <= y && y <= y0)) {
        if (y0 === y1) { lo = Math.min(lo, x0, x1); hi = Math.max(hi, x0, x1); } else { const c = x0 + ((y - y0) * (x1 - x0)) / (y1 - y0); lo = Math.min(lo, c); hi = Math.max(hi, c); }
      }
      if ((y1 <= y && y <= y2) || (y2 <= y && y <= y1)) {
        if (y1 === y2) { lo = Math.min(lo, x1, x2); hi = Math.max(hi, x1, x2); } else { const c = x1 + ((y - y1) * (x2 - x1)) / (y2 - y1); lo = Math.min(lo, c); hi = Math.max(hi, c); }
      }
      if ((y2 <= y && y <= y0) || (y0 <= y && y <= y2)) {
        if (y2 === y0) { lo = Math.min(lo, x2, x0); hi = Math.max(hi, x2, x0); } else { const c = x2 + ((y - y2) * (x0 - x2)) / (y0 - y2); lo = Math.min(lo, c); hi = Math.max(hi, c); }
      }
      const xs = Math.ceil(lo);
      const xe = Math.floor(hi);
      const zr = z0 + gy * (y - y0);
      const row = y * size;
      for (let x = xs; x <= xe; x++) {
        if (Math.abs(zr + gx * (x - x0) - g[row + x]!) > e) return true;
      }
    }
    return false;
  }

  // ---- the hierarchy around a midpoint
  /** Calls f(ax, ay, bx, by, cx, cy) for each triangle whose long edge a-b has its midpoint at (x, y); c = apex. */
  triangles(x: number, y: number, f: (ax: number, ay: number, bx: number, by: number, cx: number, cy: number, h: number, axis: boolean) => void): void {
    const T = this.T;
    const lx = x === 0 ? 2 * T : x & -x;
    const ly = y === 0 ? 2 * T : y & -y;
    if (lx === ly) {
      const h = lx;
      const odd = (((x - h) / (2 * h) + (y - h) / (2 * h)) & 1) !== 0;
      if (!odd) {
        f(x - h, y - h, x + h, y + h, x + h, y - h, h, false);
        f(x + h, y + h, x - h, y - h, x - h, y + h, h, false);
      } else {
        f(x + h, y - h, x - h, y + h, x - h, y - h, h, false);
        f(x - h, y + h, x + h, y - h, x + h, y + h, h, false);
      }
    } else if (lx < ly) {
      const h = lx;
      if (y - h >= 0) f(x - h, y, x + h, y, x, y - h, h, true);
      if (y + h <= T) f(x + h, y, x - h, y, x, y + h, h, true);
    } else {
      const h = ly;
      if (x - h >= 0) f(x, y + h, x, y - h, x - h, y, h, true);
      if (x + h <= T) f(x, y - h, x, y + h, x + h, y, h, true);
    }
  }

  isCorner(x: number, y: number): boolean {
    return (x === 0 || x === this.T) && (y === 0 || y === this.T);
  }

  /** Marks (x, y) split and, first, its parents (the apexes of its triangles): the RTIN stays conforming. */
  split(x: number, y: number): void {
    const k = y * this.size + x;
    if ((this.flags[k]! & FLAG_SPLIT) !== 0) return;
    this.flags[k] |= FLAG_SPLIT;
    this.triangles(x, y, (_ax, _ay, _bx, _by, cx, cy) => {
      if (!this.isCorner(cx, cy)) this.split(cx, cy);
    });
    this.stack[this.sp++] = k;
  }

  isSplit(x: number, y: number): boolean {
    return (this.flags[y * this.size + x]! & FLAG_SPLIT) !== 0;
  }

  /** The children of every triangle of a newly split midpoint get their own test. */
  refine(): void {
    const size = this.size;
    while (this.sp > 0) {
      const k = this.stack[--this.sp]!;
      const x = k % size;
      const y = (k - x) / size;
      this.triangles(x, y, (ax, ay, bx, by, cx, cy, h, axis) => {
        if (axis && h === 1) return; // children are unit triangles: exact
        // child (c, a, x) with long edge c-a, child (b, c, x) with long edge b-c
        let mx = (cx + ax) >> 1, my = (cy + ay) >> 1;
        if (!this.isSplit(mx, my) && this.exceeds(cx, cy, ax, ay, x, y)) this.split(mx, my);
        mx = (bx + cx) >> 1; my = (by + cy) >> 1;
        if (!this.isSplit(mx, my) && this.exceeds(bx, by, cx, cy, x, y)) this.split(mx, my);
      });
    }
  }
}

function exactMesh(grid: Float32Array, size: number, maxError: number): MeshArrays {
  const T = size - 1;
  const s = new Exact(grid, size, maxError);
  const { flags } = s;
  // 1. each edge's vertices, from that edge alone, in the canonical direction (W->E, N->S)
  s.keepEdge(0, 1); // north
  s.keepEdge(T * size, 1); // south
  s.keepEdge(0, size); // west
  s.keepEdge(T, size); // east
  // 2. force them into the RTIN
  const edges: Array<[number, number]> = [[0, 1], [T * size, 1], [0, size], [T, size]];
  for (const [p0, stride] of edges) {
    for (let i = 1; i < T; i++) {
      const k = p0 + i * stride;
      if ((flags[k]! & FLAG_EDGE_KEEP) !== 0) s.split(k % size, (k - (k % size)) / size);
    }
  }
  // 3. top-down refinement on the true error of each triangle's image
  if (T >= 2) {
    const c = T >> 1;
    if (!s.isSplit(c, c) && (s.exceeds(0, 0, T, T, T, 0) || s.exceeds(T, T, 0, 0, 0, T))) s.split(c, c);
  }
  s.refine();

  // 4. the leaves, through the inward move of dropped edge points (degenerate images vanish)
  const out = new Output(size);
  const emit = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): void => {
    const Ax = s.mapX(ax, ay), Ay = s.mapY(ax, ay);
    const Bx = s.mapX(bx, by), By = s.mapY(bx, by);
    const Cx = s.mapX(cx, cy), Cy = s.mapY(cx, cy);
    if ((Bx - Ax) * (Cy - Ay) - (Cx - Ax) * (By - Ay) === 0) return;
    const a = out.vertex(Ax, Ay);
    const b = out.vertex(Bx, By);
    const c = out.vertex(Cx, Cy);
    out.triangle(a, b, c);
  };
  const visit = (ax: number, ay: number, bx: number, by: number, cx: number, cy: number): void => {
    const mx = (ax + bx) >> 1;
    const my = (ay + by) >> 1;
    if (Math.abs(ax - cx) + Math.abs(ay - cy) > 1 && s.isSplit(mx, my)) {
      visit(cx, cy, ax, ay, mx, my);
      visit(bx, by, cx, cy, mx, my);
    } else {
      emit(ax, ay, bx, by, cx, cy);
    }
  };
  visit(0, 0, T, T, T, 0);
  visit(T, T, 0, 0, 0, T);

  // 5. between two consecutive kept points a, b of an edge whose dropped points moved inward: a band
  //    a-b + the inset chain, fanned from a and b; it covers the edge row (within maxError by the
  //    1-D decision) and the chain's row segments (edges of checked triangles)
  const chain: number[] = [];
  // edge start, step along the edge, inward step
  const bands: Array<[number, number, number]> = [[0, 1, size], [T * size, 1, -size], [0, size, 1], [T, size, -1]];
  for (const [p0, step, inward] of bands) {
    let sa = 0;
    for (let sb = 1; sb <= T; sb++) {
      if ((flags[p0 + sb * step]! & FLAG_EDGE_KEEP) === 0) continue;
      let first = -1;
      let last = -1;
      for (let i = sa + 1; i < sb; i++) {
        if ((flags[p0 + i * step]! & FLAG_SPLIT) !== 0) {
          if (first < 0) first = i;
          last = i;
        }
      }
      if (first >= 0) {
        chain.length = 0;
        for (let i = first; i <= last; i++) {
          const k = p0 + i * step;
          if ((flags[k]! & FLAG_SPLIT) !== 0 || (flags[k + inward]! & FLAG_SPLIT) !== 0) chain.push(k + inward);
        }
        // apex of the triangle on a-b: the chain point nearest the middle (the lower one on a tie)
        let j = 0;
        let best = Infinity;
        for (let i = 0; i < chain.length; i++) {
          const k = chain[i]! - inward;
          const d = Math.abs(2 * ((k - p0) / step) - sa - sb);
          if (d < best) { best = d; j = i; }
        }
        const pa = p0 + sa * step;
        const pb = p0 + sb * step;
        bandTriangle(out, size, pa, pb, chain[j]!);
        for (let i = 0; i < j; i++) bandTriangle(out, size, pa, chain[i]!, chain[i + 1]!);
        for (let i = j; i < chain.length - 1; i++) bandTriangle(out, size, pb, chain[i]!, chain[i + 1]!);
      }
      sa = sb;
    }
  }
  return out.result();
}

/** Emits triangle (p, q, r) (grid offsets) with the RTIN's winding (negative x/y cross product). */
function bandTriangle(out: Output, size: number, p: number, q: number, r: number): void {
  const px = p % size, py = (p - px) / size;
  const qx = q % size, qy = (q - qx) / size;
  const rx = r % size, ry = (r - rx) / size;
  const a = out.vertex(px, py);
  const b = out.vertex(qx, qy);
  const c = out.vertex(rx, ry);
  if ((qx - px) * (ry - py) - (rx - px) * (qy - py) > 0) out.triangle(a, c, b);
  else out.triangle(a, b, c);
}

/**
 * Reference mesher: 'compat' equals @mapbox/martini 0.2.0 `new Martini(size).createTile(grid).getMesh(maxError)`;
 * 'exact' bounds the true error at every grid point and keeps each edge's vertices a function of that edge alone.
 */
export function martiniReference(grid: Float32Array, size: number, maxError: number, mode: MartiniMode): MeshArrays {
  const T = size - 1;
  if (!(T >= 1 && (T & (T - 1)) === 0)) throw new RangeError(`grid size must be 2^k + 1, got ${size}`);
  if (grid.length < size * size) throw new RangeError('grid too short');
  return mode === 'compat' ? compatMesh(grid, size, maxError) : exactMesh(grid, size, maxError);
}
