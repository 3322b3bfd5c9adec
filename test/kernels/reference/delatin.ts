// Plain reference of assembly/delatin.ts: Delatin (mapbox/delatin 0.2.0, greedy Delaunay refinement)
// written over typed arrays, in the package's own per-pixel form (its rasteriser with the inside test
// on every pixel, its f64 arithmetic in the same order), so the kernel's faster rasteriser can be
// checked against it bit for bit.
//
// 'compat': the package's algorithm unchanged, same candidates, same heap, same tie-breaking: the
//   arrays equal `new Delatin(grid, w, h).run(maxError)`'s coords and triangles.
// 'seamless': first each of the 4 edges is simplified on its own (1-D greedy: split a segment at its
//   first point of largest error until every point is within maxError), read west->east and
//   north->south, so the edge vertices depend on that edge's heights and maxError alone and a
//   neighbour sharing the edge picks the same ones; these points are inserted as hull splits, without
//   rasterising. Then the usual refinement runs, with boundary pixels never rasterised: they are never
//   candidates, so no later vertex lands on an edge.

export type DelatinMode = 'compat' | 'seamless';

export interface DelatinMesh {
  /** x, y grid coordinates interleaved. */
  vertices: Uint16Array;
  triangles: Uint32Array;
}

function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - cx) * (ay - cy) - (by - cy) * (ax - cx);
}

function inCircle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, px: number, py: number): boolean {
  const dx = ax - px;
  const dy = ay - py;
  const ex = bx - px;
  const ey = by - py;
  const fx = cx - px;
  const fy = cy - py;
  const ap = dx * dx + dy * dy;
  const bp = ex * ex + ey * ey;
  const cp = fx * fx + fy * fy;
  return dx * (ey * cp - bp * fy) - dy * (ex * cp - bp * fx) + ap * (ex * fy - ey * fx) < 0;
}

/**
 * One 1-D edge error: |linear interpolation between the heights at a and b, at i - height at i|.
 * The seamless mode's edge simplification measures with exactly this expression.
 */
export function edgeError(ha: number, hb: number, a: number, b: number, i: number, hi: number): number {
  return Math.abs(ha + ((hb - ha) * (i - a)) / (b - a) - hi);
}

class Delatin {
  readonly coords: Uint16Array;
  readonly triangles: Int32Array;
  readonly halfedges: Int32Array;
  readonly candidates: Int32Array; // x, y per triangle
  readonly queueIndices: Int32Array;
  readonly queue: Int32Array;
  readonly errors: Float64Array;
  readonly pending: Int32Array;
  readonly hullOut: Int32Array; // seamless edge phase: per vertex, its hull halfedge
  nv = 0;
  nt3 = 0; // triangles length (3 per triangle)
  nq = 0;
  pendingLen = 0;
  /** Edge phase of the seamless mode: triangles are collected, not queued. */
  bulk = false;

  constructor(
    readonly data: Float32Array,
    readonly width: number,
    readonly height: number,
    readonly seamless: boolean,
  ) {
    const n = width * height;
    const maxT = 2 * n + 2;
    this.coords = new Uint16Array(2 * n);
    this.triangles = new Int32Array(3 * maxT);
    this.halfedges = new Int32Array(3 * maxT);
    this.candidates = new Int32Array(2 * maxT);
    this.queueIndices = new Int32Array(maxT);
    this.queue = new Int32Array(maxT);
    this.errors = new Float64Array(maxT);
    this.pending = new Int32Array(maxT);
    this.hullOut = new Int32Array(seamless ? n : 0);
  }

  run(maxError: number): void {
    if (this.seamless) {
      this.bulk = true;
      this.init();
      this.collectHull();
      this.edges(maxError);
      this.bulk = false;
      // every triangle of the edge phase, rasterised once, in index order
      const nt = this.nt3 / 3;
      for (let t = 0; t < nt; t++) this.pending[t] = t;
      this.pendingLen = nt;
      this.flush();
    } else {
      this.init();
      this.flush();
    }
    while (this.nq > 0 && this.errors[0]! > maxError) {
      this.step();
      this.flush();
    }
  }

  heightAt(x: number, y: number): number {
    return this.data[this.width * y + x]!;
  }

  init(): void {
    const x1 = this.width - 1;
    const y1 = this.height - 1;
    const p0 = this.addPoint(0, 0);
    const p1 = this.addPoint(x1, 0);
    const p2 = this.addPoint(0, y1);
    const p3 = this.addPoint(x1, y1);
    const t0 = this.addTriangle(p3, p0, p2, -1, -1, -1, this.nt3);
    this.addTriangle(p0, p3, p1, t0, -1, -1, this.nt3);
  }

  // ---- seamless edge phase ----

  /** After an edge-phase operation: record the hull halfedges of the triangles it (re)made. */
  collectHull(): void {
    for (let i = 0; i < this.pendingLen; i++) {
      const t = this.pending[i]!;
      for (let k = 0; k < 3; k++) {
        const e = 3 * t + k;
        if (this.halfedges[e]! < 0) this.hullOut[this.triangles[e]!] = e;
      }
    }
    this.pendingLen = 0;
  }

  /**
   * Simplifies and inserts the 4 edges. Edge points are indexed west->east (north, south edges) or
   * north->south (west, east edges). The hull runs p0 (NW) -> p2 (SW) -> p3 (SE) -> p1 (NE) -> p0, so
   * a segment's hull halfedge starts at its low end on the west and south edges, at its high end on
   * the north and east edges.
   */
  edges(maxError: number): void {
    const w = this.width;
    const h = this.height;
    // vertex ids of the corners: p0 NW, p1 NE, p2 SW, p3 SE
    this.edge(maxError, w, 0, 1, 0, 1, 0, false); // north: (i, 0), NW..NE, hull from the east end
    this.edge(maxError, w, w * (h - 1), 1, 2, 3, h - 1, true); // south: (i, h-1), SW..SE, hull from the west end
    this.edge(maxError, h, 0, w, 0, 2, -1, true); // west: (0, i), NW..SW, hull from the north end
    this.edge(maxError, h, w - 1, w, 1, 3, -2, false); // east: (w-1, i), NE..SE, hull from the south end
  }

  /**
   * One edge of n points; heights at data[base + i * stride]. v0, v1: vertex ids of its ends.
   * fixed >= 0: a horizontal edge at y = fixed; -1: x = 0; -2: x = width - 1.
   */
  edge(maxError: number, n: number, base: number, stride: number, v0: number, v1: number, fixed: number, hullFromLow: boolean): void {
    const data = this.data;
    const vertexAt = new Int32Array(n).fill(-1);
    vertexAt[0] = v0;
    vertexAt[n - 1] = v1;
    // explicit stack of segments [a, b]: the left part is finished before the right
    const stack: number[] = [0, n - 1];
    while (stack.length > 0) {
      const b = stack.pop()!;
      const a = stack.pop()!;
      if (b - a < 2) continue;
      const ha = data[base + a * stride]!;
      const hb = data[base + b * stride]!;
      let worst = 0;
      let at = -1;
      for (let i = a + 1; i < b; i++) {
        const err = edgeError(ha, hb, a, b, i, data[base + i * stride]!);
        if (err > worst) {
          worst = err;
          at = i;
        }
      }
      if (at < 0 || !(worst > maxError)) continue;
      const x = fixed >= 0 ? at : fixed === -1 ? 0 : this.width - 1;
      const y = fixed >= 0 ? fixed : at;
      const pn = this.addPoint(x, y);
      vertexAt[at] = pn;
      const start = hullFromLow ? vertexAt[a]! : vertexAt[b]!;
      this.handleCollinear(pn, this.hullOut[start]!);
      this.collectHull();
      stack.push(at, b, a, at);
    }
  }

  // ---- delatin ----

  flush(): void {
    const coords = this.coords;
    for (let i = 0; i < this.pendingLen; i++) {
      const t = this.pending[i]!;
      const a = 2 * this.triangles[t * 3 + 0]!;
      const b = 2 * this.triangles[t * 3 + 1]!;
      const c = 2 * this.triangles[t * 3 + 2]!;
      this.findCandidate(coords[a]!, coords[a + 1]!, coords[b]!, coords[b + 1]!, coords[c]!, coords[c + 1]!, t);
    }
    this.pendingLen = 0;
  }

  findCandidate(p0x: number, p0y: number, p1x: number, p1y: number, p2x: number, p2y: number, t: number): void {
    const minX = Math.min(p0x, p1x, p2x);
    const minY = Math.min(p0y, p1y, p2y);
    const maxX = Math.max(p0x, p1x, p2x);
    const maxY = Math.max(p0y, p1y, p2y);

    let w00 = orient(p1x, p1y, p2x, p2y, minX, minY);
    let w01 = orient(p2x, p2y, p0x, p0y, minX, minY);
    let w02 = orient(p0x, p0y, p1x, p1y, minX, minY);
    const a01 = p1y - p0y;
    const b01 = p0x - p1x;
    const a12 = p2y - p1y;
    const b12 = p1x - p2x;
    const a20 = p0y - p2y;
    const b20 = p2x - p0x;

    const a = orient(p0x, p0y, p1x, p1y, p2x, p2y);
    const z0 = this.heightAt(p0x, p0y) / a;
    const z1 = this.heightAt(p1x, p1y) / a;
    const z2 = this.heightAt(p2x, p2y) / a;

    // seamless: boundary pixels are never measured (their error is the edge phase's)
    const lastX = this.width - 1;
    const lastY = this.height - 1;
    const seamless = this.seamless;

    let maxError = 0;
    let mx = 0;
    let my = 0;
    for (let y = minY; y <= maxY; y++) {
      let dx = 0;
      if (w00 < 0 && a12 !== 0) dx = Math.max(dx, Math.floor(-w00 / a12));
      if (w01 < 0 && a20 !== 0) dx = Math.max(dx, Math.floor(-w01 / a20));
      if (w02 < 0 && a01 !== 0) dx = Math.max(dx, Math.floor(-w02 / a01));

      let w0 = w00 + a12 * dx;
      let w1 = w01 + a20 * dx;
      let w2 = w02 + a01 * dx;
      let wasInside = false;
      for (let x = minX + dx; x <= maxX; x++) {
        if (w0 >= 0 && w1 >= 0 && w2 >= 0) {
          wasInside = true;
          if (!seamless || (x !== 0 && x !== lastX && y !== 0 && y !== lastY)) {
            const z = z0 * w0 + z1 * w1 + z2 * w2;
            const dz = Math.abs(z - this.heightAt(x, y));
            if (dz > maxError) {
              maxError = dz;
              mx = x;
              my = y;
            }
          }
        } else if (wasInside) {
          break;
        }
        w0 += a12;
        w1 += a20;
        w2 += a01;
      }
      w00 += b12;
      w01 += b20;
      w02 += b01;
    }

    if ((mx === p0x && my === p0y) || (mx === p1x && my === p1y) || (mx === p2x && my === p2y)) maxError = 0;

    this.candidates[2 * t] = mx;
    this.candidates[2 * t + 1] = my;
    this.queuePush(t, maxError);
  }

  step(): void {
    const t = this.queuePop();
    const e0 = t * 3 + 0;
    const e1 = t * 3 + 1;
    const e2 = t * 3 + 2;
    const p0 = this.triangles[e0]!;
    const p1 = this.triangles[e1]!;
    const p2 = this.triangles[e2]!;
    const c = this.coords;
    const ax = c[2 * p0]!;
    const ay = c[2 * p0 + 1]!;
    const bx = c[2 * p1]!;
    const by = c[2 * p1 + 1]!;
    const cx = c[2 * p2]!;
    const cy = c[2 * p2 + 1]!;
    const px = this.candidates[2 * t]!;
    const py = this.candidates[2 * t + 1]!;
    const pn = this.addPoint(px, py);

    if (orient(ax, ay, bx, by, px, py) === 0) {
      this.handleCollinear(pn, e0);
    } else if (orient(bx, by, cx, cy, px, py) === 0) {
      this.handleCollinear(pn, e1);
    } else if (orient(cx, cy, ax, ay, px, py) === 0) {
      this.handleCollinear(pn, e2);
    } else {
      const h0 = this.halfedges[e0]!;
      const h1 = this.halfedges[e1]!;
      const h2 = this.halfedges[e2]!;
      const t0 = this.addTriangle(p0, p1, pn, h0, -1, -1, e0);
      const t1 = this.addTriangle(p1, p2, pn, h1, -1, t0 + 1, this.nt3);
      const t2 = this.addTriangle(p2, p0, pn, h2, t0 + 2, t1 + 1, this.nt3);
      this.legalize(t0);
      this.legalize(t1);
      this.legalize(t2);
    }
  }

  addPoint(x: number, y: number): number {
    const i = this.nv++;
    this.coords[2 * i] = x;
    this.coords[2 * i + 1] = y;
    return i;
  }

  addTriangle(a: number, b: number, c: number, ab: number, bc: number, ca: number, e: number): number {
    const t = e / 3;
    if (e === this.nt3) this.nt3 += 3;
    this.triangles[e] = a;
    this.triangles[e + 1] = b;
    this.triangles[e + 2] = c;
    this.halfedges[e] = ab;
    this.halfedges[e + 1] = bc;
    this.halfedges[e + 2] = ca;
    if (ab >= 0) this.halfedges[ab] = e;
    if (bc >= 0) this.halfedges[bc] = e + 1;
    if (ca >= 0) this.halfedges[ca] = e + 2;
    this.candidates[2 * t] = 0;
    this.candidates[2 * t + 1] = 0;
    this.queueIndices[t] = -1;
    this.pending[this.pendingLen++] = t;
    return e;
  }

  legalize(a: number): void {
    const b = this.halfedges[a]!;
    if (b < 0) return;
    const a0 = a - (a % 3);
    const b0 = b - (b % 3);
    const al = a0 + ((a + 1) % 3);
    const ar = a0 + ((a + 2) % 3);
    const bl = b0 + ((b + 2) % 3);
    const br = b0 + ((b + 1) % 3);
    const p0 = this.triangles[ar]!;
    const pr = this.triangles[a]!;
    const pl = this.triangles[al]!;
    const p1 = this.triangles[bl]!;
    const c = this.coords;
    if (!inCircle(c[2 * p0]!, c[2 * p0 + 1]!, c[2 * pr]!, c[2 * pr + 1]!, c[2 * pl]!, c[2 * pl + 1]!, c[2 * p1]!, c[2 * p1 + 1]!)) return;
    const hal = this.halfedges[al]!;
    const har = this.halfedges[ar]!;
    const hbl = this.halfedges[bl]!;
    const hbr = this.halfedges[br]!;
    this.queueRemove(a0 / 3);
    this.queueRemove(b0 / 3);
    const t0 = this.addTriangle(p0, p1, pl, -1, hbl, hal, a0);
    const t1 = this.addTriangle(p1, p0, pr, t0, har, hbr, b0);
    this.legalize(t0 + 1);
    this.legalize(t1 + 2);
  }

  handleCollinear(pn: number, a: number): void {
    const a0 = a - (a % 3);
    const al = a0 + ((a + 1) % 3);
    const ar = a0 + ((a + 2) % 3);
    const p0 = this.triangles[ar]!;
    const pr = this.triangles[a]!;
    const pl = this.triangles[al]!;
    const hal = this.halfedges[al]!;
    const har = this.halfedges[ar]!;
    const b = this.halfedges[a]!;
    if (b < 0) {
      const t0 = this.addTriangle(pn, p0, pr, -1, har, -1, a0);
      const t1 = this.addTriangle(p0, pn, pl, t0, -1, hal, this.nt3);
      this.legalize(t0 + 1);
      this.legalize(t1 + 2);
      return;
    }
    const b0 = b - (b % 3);
    const bl = b0 + ((b + 2) % 3);
    const br = b0 + ((b + 1) % 3);
    const p1 = this.triangles[bl]!;
    const hbl = this.halfedges[bl]!;
    const hbr = this.halfedges[br]!;
    this.queueRemove(b0 / 3);
    const t0 = this.addTriangle(p0, pr, pn, har, -1, -1, a0);
    const t1 = this.addTriangle(pr, p1, pn, hbr, -1, t0 + 1, b0);
    const t2 = this.addTriangle(p1, pl, pn, hbl, -1, t1 + 1, this.nt3);
    const t3 = this.addTriangle(pl, p0, pn, hal, t0 + 2, t2 + 1, this.nt3);
    this.legalize(t0);
    this.legalize(t1);
    this.legalize(t2);
    this.legalize(t3);
  }

  // ---- priority queue (a max-heap of errors, the package's exact operations) ----

  queuePush(t: number, error: number): void {
    const i = this.nq++;
    this.queueIndices[t] = i;
    this.queue[i] = t;
    this.errors[i] = error;
    this.queueUp(i);
  }

  queuePop(): number {
    const n = this.nq - 1;
    this.queueSwap(0, n);
    this.queueDown(0, n);
    return this.queuePopBack();
  }

  queuePopBack(): number {
    const t = this.queue[--this.nq]!;
    this.queueIndices[t] = -1;
    return t;
  }

  queueRemove(t: number): void {
    if (this.bulk) return; // nothing is queued during the edge phase
    const i = this.queueIndices[t]!;
    if (i < 0) {
      let it = -1;
      for (let k = 0; k < this.pendingLen; k++) {
        if (this.pending[k] === t) {
          it = k;
          break;
        }
      }
      if (it < 0) throw new Error('Broken triangulation (something went wrong).');
      this.pending[it] = this.pending[--this.pendingLen]!;
      return;
    }
    const n = this.nq - 1;
    if (n !== i) {
      this.queueSwap(i, n);
      if (!this.queueDown(i, n)) this.queueUp(i);
    }
    this.queuePopBack();
  }

  queueLess(i: number, j: number): boolean {
    return this.errors[i]! > this.errors[j]!;
  }

  queueSwap(i: number, j: number): void {
    const pi = this.queue[i]!;
    const pj = this.queue[j]!;
    this.queue[i] = pj;
    this.queue[j] = pi;
    this.queueIndices[pi] = j;
    this.queueIndices[pj] = i;
    const e = this.errors[i]!;
    this.errors[i] = this.errors[j]!;
    this.errors[j] = e;
  }

  queueUp(j0: number): void {
    let j = j0;
    while (j > 0) {
      const i = (j - 1) >> 1;
      if (!this.queueLess(j, i)) break;
      this.queueSwap(i, j);
      j = i;
    }
  }

  queueDown(i0: number, n: number): boolean {
    let i = i0;
    for (;;) {
      const j1 = 2 * i + 1;
      if (j1 >= n || j1 < 0) break;
      const j2 = j1 + 1;
      let j = j1;
      if (j2 < n && this.queueLess(j2, j1)) j = j2;
      if (!this.queueLess(j, i)) break;
      this.queueSwap(i, j);
      i = j;
    }
    return i > i0;
  }
}

/** Reference mesher: same arguments and results as meshDelatin (src/kernels/mesh-delatin.ts). */
export function delatinReference(grid: Float32Array, width: number, height: number, maxError: number, mode: DelatinMode): DelatinMesh {
  const d = new Delatin(grid, width, height, mode === 'seamless');
  d.run(maxError);
  return {
    vertices: d.coords.slice(0, 2 * d.nv),
    triangles: Uint32Array.from(d.triangles.subarray(0, d.nt3)),
  };
}
