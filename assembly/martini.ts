// Martini (RTIN) meshing of a (T + 1) x (T + 1) row-major f32 height grid, T = 2^k.
// Reference with the same arithmetic: test/kernels/reference/martini.ts (glue: src/kernels/mesh-martini.ts).
//
// Points are (x, y), x east, y south. Facts of the right-triangulated irregular network used here:
// - every grid point but the corners is the midpoint of the long edge of exactly one or two triangles
//   of the hierarchy. With lx = lowbit(x), ly = lowbit(y) (lowbit(0) = infinity): lx == ly -> centre
//   of a square of size 2h (h = lx), cut by one diagonal; lx < ly -> horizontal edge of length 2h
//   (h = lx); ly < lx -> vertical edge of length 2h (h = ly).
// - a square of size 2h with index (i, j) = ((x - h) / 2h, (y - h) / 2h) is cut by its NW-SE diagonal
//   when i + j is even, by its NE-SW one when odd.
// - a triangle's parent has its long-edge midpoint at the triangle's apex.
//
// mode 0 ('compat'): @mapbox/martini 0.2.0 exactly. Its error of a point is the max over the
//   triangles with that midpoint of |mean of the long edge's ends - height| (f64, stored as f32) and
//   of the children's errors; computed here level by level (finest first) instead of over a table of
//   every triangle, then the same depth-first traversal numbers vertices in first use.
// mode 1 ('exact'):
//   1. each edge's vertices come from that edge alone: a 1-D dyadic simplification (split [a, b] at
//      its midpoint while some point inside is off the chord by more than maxError), read W->E / N->S.
//      Corners always stay. These points are forced into the RTIN (their splits and their parents').
//   2. the RTIN is refined top-down; a triangle splits when any grid point it covers is off its plane
//      by more than maxError (true error, rasterised), splits propagate to keep it conforming. The
//      split points are the least set holding the forced points, its points' parents, and the
//      midpoint of every child of a split point's triangles that fails its test; a test depends on
//      its triangle (and its corners' order) alone, so the order of the tests does not change the
//      set: this kernel runs them in another order than the reference.
//   3. interior refinement may still split an edge between two kept points. Such dropped edge points
//      are moved one step inward (onto the inset row/column) in the output, every triangle being
//      judged (step 2) on that moved image; a band of triangles from the kept points a, b to the inset
//      chain fills the strip: it covers the edge row (within maxError by the 1-D decision) and the
//      chain (edges of checked triangles). The move keeps orientation (images are positive or
//      degenerate, degenerate ones are dropped), so the result is a valid triangulation whose edge
//      vertices are exactly the 1-D points.

// Buffers and sizes of the current call (one call at a time per instance).
let grid: usize = 0; // f32[size * size]
let size: i32 = 0;
let T: i32 = 0;
let maxErr: f64 = 0;
let work: usize = 0; // compat: f32 errors; exact: u8 flags
let index: usize = 0; // u32 vertex number + 1 per grid point, 0 = none yet
let stack: usize = 0; // exact: u32 (y << 16 | x) of split points whose children are untested
let sp: i32 = 0;
let verts: usize = 0; // u16 x, y per vertex
let tris: usize = 0; // u32 a, b, c per triangle
let nv: i32 = 0;
let nt: i32 = 0;

const SPLIT: u8 = 1;
const KEEP: u8 = 2; // exact: a point of the 1-D edge decision (corners included)

@inline function height(k: i32): f64 {
  return <f64>load<f32>(grid + (<usize>k << 2));
}

@inline function errAt(k: i32): f32 {
  return load<f32>(work + (<usize>k << 2));
}

@inline function flagsAt(k: i32): u8 {
  return load<u8>(work + <usize>k);
}

@inline function vertex(x: i32, y: i32): u32 {
  const p = index + (<usize>(y * size + x) << 2);
  let i = load<u32>(p);
  if (i == 0) {
    i = <u32>++nv;
    store<u32>(p, i);
    const v = verts + (<usize>(i - 1) << 2);
    store<u16>(v, <u16>x);
    store<u16>(v, <u16>y, 2);
  }
  return i - 1;
}

@inline function triangle(a: u32, b: u32, c: u32): void {
  const t = tris + <usize>nt * 12;
  store<u32>(t, a);
  store<u32>(t, b, 4);
  store<u32>(t, c, 8);
  nt++;
}

// ------------------------------------------------------------------------------------ compat

// Errors are >= +0 or a positive NaN (abs clears the sign): their bit patterns order as i32 the
// way Math.max orders them, a NaN winning as in JS. An integer max avoids f32.max's NaN and
// signed-zero branches (4x faster here).
@inline function bitsAt(k: i32): i32 {
  return load<i32>(work + (<usize>k << 2));
}

@inline function imax(a: i32, b: i32): i32 {
  return select<i32>(a, b, a > b);
}

// martini: Math.fround(Math.abs((h[a] + h[b]) / 2 - h[m])); abs after rounding is the same value
@inline function midError(a: i32, b: i32, m: i32): f32 {
  return abs<f32>(<f32>((height(a) + height(b)) / 2 - height(m)));
}

// The horizontal long edges of length 2h on row y; children: the squares of size h above and below.
@inline function compatRowH(y: i32, h: i32): void {
  const n = size;
  const q = h >> 1;
  const qn = q * n;
  for (let x = h; x < T; x += h << 1) {
    const m = y * n + x;
    let err = reinterpret<i32>(midError(m - h, m + h, m));
    if (h > 1) {
      if (y > 0) err = imax(imax(err, bitsAt(m - qn - q)), bitsAt(m - qn + q));
      if (y < T) err = imax(imax(err, bitsAt(m + qn - q)), bitsAt(m + qn + q));
    }
    store<i32>(work + (<usize>m << 2), err);
  }
}

function compatErrors(): void {
  const n = size;
  for (let h = 1; h < T; h <<= 1) {
    const h2 = h << 1;
    const q = h >> 1;
    const qn = q * n;
    const hn = h * n;
    // rows in order, so that what a row needs was computed a few rows before (cache-friendly):
    // horizontal edges of row y + h, then vertical edges and square centres of row y
    compatRowH(0, h);
    let d0 = hn + h; // square (i, j) is cut NW-SE when i + j is even
    let d1 = hn - h;
    for (let y = h; y < T; y += h2) {
      compatRowH(y + h, h);
      for (let x = 0; x <= T; x += h2) {
        const m = y * n + x;
        let err = reinterpret<i32>(midError(m - hn, m + hn, m));
        if (h > 1) {
          if (x > 0) err = imax(imax(err, bitsAt(m - qn - q)), bitsAt(m + qn - q));
          if (x < T) err = imax(imax(err, bitsAt(m - qn + q)), bitsAt(m + qn + q));
        }
        store<i32>(work + (<usize>m << 2), err);
      }
      let d = d0;
      for (let x = h; x < T; x += h2) {
        const m = y * n + x;
        let err = reinterpret<i32>(midError(m - d, m + d, m));
        err = imax(imax(imax(imax(err, bitsAt(m - h)), bitsAt(m + h)), bitsAt(m - hn)), bitsAt(m + hn));
        store<i32>(work + (<usize>m << 2), err);
        d = d == d0 ? d1 : d0;
      }
      const t = d0;
      d0 = d1;
      d1 = t;
    }
  }
}

function compatVisit(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32): void {
  const mx = (ax + bx) >> 1;
  const my = (ay + by) >> 1;
  if (abs<i32>(ax - cx) + abs<i32>(ay - cy) > 1 && <f64>errAt(my * size + mx) > maxErr) {
    compatVisit(cx, cy, ax, ay, mx, my);
    compatVisit(bx, by, cx, cy, mx, my);
  } else {
    const a = vertex(ax, ay);
    const b = vertex(bx, by);
    const c = vertex(cx, cy);
    triangle(a, b, c);
  }
}

// ------------------------------------------------------------------------------------- exact

function simplify(p0: i32, stride: i32, sa: i32, sb: i32): void {
  if (sb - sa < 2) return;
  const ha = height(p0 + sa * stride);
  const hb = height(p0 + sb * stride);
  const len = <f64>(sb - sa);
  for (let s = sa + 1; s < sb; s++) {
    const z = ha + (hb - ha) * (<f64>(s - sa) / len);
    if (abs<f64>(z - height(p0 + s * stride)) > maxErr) {
      const m = (sa + sb) >> 1;
      const p = work + <usize>(p0 + m * stride);
      store<u8>(p, load<u8>(p) | KEEP);
      simplify(p0, stride, sa, m);
      simplify(p0, stride, m, sb);
      return;
    }
  }
}

function keepEdge(p0: i32, stride: i32): void {
  let p = work + <usize>p0;
  store<u8>(p, load<u8>(p) | KEEP);
  p = work + <usize>(p0 + T * stride);
  store<u8>(p, load<u8>(p) | KEEP);
  simplify(p0, stride, 0, T);
}

// image of a grid point: edge points the 1-D decision dropped move one step inward
@inline function mapX(x: i32, y: i32): i32 {
  if ((x == 0 || x == T) && y != 0 && y != T && (flagsAt(y * size + x) & KEEP) == 0) return x == 0 ? 1 : T - 1;
  return x;
}

@inline function mapY(x: i32, y: i32): i32 {
  if ((y == 0 || y == T) && x != 0 && x != T && (flagsAt(y * size + x) & KEEP) == 0) return y == 0 ? 1 : T - 1;
  return y;
}

/** Where the row y crosses the edge (xi, yi)-(xj, yj) (yi != yj); exact when it is an integer. */
@inline function crossing(y: i32, xi: i32, yi: i32, xj: i32, yj: i32): f64 {
  const dx = xj - xi;
  const dy = yj - yi;
  // RTIN edges are axis-aligned or diagonal: no division
  if (dx == 0) return <f64>xi;
  if (dx == dy) return <f64>(xi + y - yi);
  if (dx == -dy) return <f64>(xi - y + yi);
  return <f64>xi + <f64>((y - yi) * dx) / <f64>dy;
}

/**
 * Some grid point of triangle (0, 1, 2) (closed) is off its plane through the grid heights by more
 * than maxError. Callers pass the long edge first: when its ends did not move, its midpoint (the
 * likeliest offender, Martini's only test) is looked at first; the answer is the same either way.
 */
function exceedsPlane(x0: i32, y0: i32, x1: i32, y1: i32, x2: i32, y2: i32, midFirst: bool): bool {
  const det = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  if (det == 0) return false;
  const n = size;
  const e = maxErr;
  const z0 = height(y0 * n + x0);
  const dz1 = height(y1 * n + x1) - z0;
  const dz2 = height(y2 * n + x2) - z0;
  const inv = 1.0 / <f64>det;
  const gx = (dz1 * <f64>(y2 - y0) - dz2 * <f64>(y1 - y0)) * inv;
  const gy = (dz2 * <f64>(x1 - x0) - dz1 * <f64>(x2 - x0)) * inv;
  if (midFirst) {
    const mx = (x0 + x1) >> 1;
    const my = (y0 + y1) >> 1;
    if (abs<f64>(z0 + gy * <f64>(my - y0) + gx * <f64>(mx - x0) - height(my * n + mx)) > e) return true;
  }
  // sort by y: top (t), middle (m), bottom (b); rows cross the long edge t-b and t-m or m-b
  let tx = x0, ty = y0, mx = x1, my = y1, bx = x2, by = y2;
  if (my < ty) { const sx = tx, sy = ty; tx = mx; ty = my; mx = sx; my = sy; }
  if (by < my) { const sx = mx, sy = my; mx = bx; my = by; bx = sx; by = sy; }
  if (my < ty) { const sx = tx, sy = ty; tx = mx; ty = my; mx = sx; my = sy; }
  for (let y = ty; y <= by; y++) {
    // ty < by (det != 0); a horizontal edge's row gets both its ends (c and d are its ends there)
    const c = crossing(y, tx, ty, bx, by);
    const d = y < my ? crossing(y, tx, ty, mx, my) : y > my ? crossing(y, mx, my, bx, by) : <f64>mx;
    const lo = min<f64>(c, d);
    const hi = max<f64>(c, d);
    const xs = <i32>Math.ceil(lo);
    const xe = <i32>Math.floor(hi);
    const zr = z0 + gy * <f64>(y - y0);
    const row = grid + (<usize>(y * n) << 2);
    for (let x = xs; x <= xe; x++) {
      if (abs<f64>(zr + gx * <f64>(x - x0) - <f64>load<f32>(row + (<usize>x << 2))) > e) return true;
    }
  }
  return false;
}

/**
 * |plane - height| > maxError at grid offset k, (dx, dy) from corner 0 of the plane (height z0,
 * slopes gx, gy): the one expression of every rasterised test, so every path rounds alike.
 */
@inline function off(z0: f64, gx: f64, gy: f64, dx: f64, dy: f64, k: i32): bool {
  return abs<f64>(z0 + gy * dy + gx * dx - height(k)) > maxErr;
}

/**
 * Some point of row segment [xs, xe] (row pointer row, plane zr + gx * (x - x0) along it) is off
 * by more than maxError: off() with the row's part hoisted, the same operations in the same order.
 * Two points at a time in f64x2 lanes: lane-wise IEEE add, mul, sub, abs and an ordered > (false
 * on NaN) give each point the scalar's answer. x - x0 is counted in f64 (exact integers).
 */
@inline function rowExceeds(row: usize, xs: i32, xe: i32, x0: i32, zr: f64, gx: f64): bool {
  const e = maxErr;
  let x = xs;
  let fx = <f64>(xs - x0);
  if (xs < xe) {
    const vz = f64x2.splat(zr);
    const vg = f64x2.splat(gx);
    const ve = f64x2.splat(e);
    const two = f64x2.splat(2.0);
    let vx = f64x2.replace_lane(f64x2.splat(fx), 1, fx + 1.0);
    for (; x < xe; x += 2) {
      const h = f64x2.promote_low_f32x4(v128.load64_zero(row + (<usize>x << 2)));
      if (v128.any_true(f64x2.gt(f64x2.abs(f64x2.sub(f64x2.add(vz, f64x2.mul(vg, vx)), h)), ve))) return true;
      vx = f64x2.add(vx, two);
    }
    fx = f64x2.extract_lane(vx, 0);
  }
  // the last point of an odd count
  return x == xe && abs<f64>(zr + gx * fx - <f64>load<f32>(row + (<usize>x << 2))) > e;
}

/** The rows y0..y1 (either order) of [xl(y), xr(y)] = [l + sl * |y - yr|, r + sr * |y - yr|] exceed the plane. */
@inline function rowsExceed(z0: f64, x0: i32, y0: i32, gx: f64, gy: f64, ya: i32, yb: i32, yr: i32, l: i32, sl: i32, r: i32, sr: i32): bool {
  const ys = min<i32>(ya, yb);
  const ye = max<i32>(ya, yb);
  const n = size;
  for (let y = ys; y <= ye; y++) {
    const d = abs<i32>(y - yr);
    if (rowExceeds(grid + (<usize>(y * n) << 2), l + sl * d, r + sr * d, x0, z0 + gy * <f64>(y - y0), gx)) return true;
  }
  return false;
}

/**
 * exceedsPlane for an RTIN triangle that did not move (long edge a-b, right angle at c): the same
 * points and the same arithmetic, with the points read off its shape instead of computed. area is
 * |det|, 2h^2 (long edge on an axis, half length h) or h^2 (diagonal long edge, legs h), h a power
 * of 2; refineRing() inlines this with area a constant for the smallest triangles, the most tested.
 */
@inline function exceedsArea(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32, area: i32): bool {
  const n = size;
  const det = (bx - ax) * (cy - ay) - (cx - ax) * (by - ay);
  const ka = ay * n + ax;
  const kb = by * n + bx;
  const kc = cy * n + cx;
  const z0 = height(ka);
  const dz1 = height(kb) - z0;
  const dz2 = height(kc) - z0;
  // b - a, c - a; points between them are offset by halves and quarters of these: exact in f64,
  // as their grid offsets are in integers (the offsets of a, b, c share the parity of x and y)
  const bdx = <f64>(bx - ax), bdy = <f64>(by - ay);
  const cdx = <f64>(cx - ax), cdy = <f64>(cy - ay);
  // det = +-area, a power of 2: 1 / det is exact, a constant when area is
  const inv = select<f64>(1.0 / <f64>area, -1.0 / <f64>area, det > 0);
  const gx = (dz1 * cdy - dz2 * bdy) * inv;
  const gy = (dz2 * bdx - dz1 * cdx) * inv;
  const km = (ka + kb) >> 1; // the long edge's midpoint
  const mdx = bdx * 0.5, mdy = bdy * 0.5;
  if (area <= 8) {
    // A handful of points, listed: no row loops, no early exit (an OR of all, one branch).
    // Corner a goes unlisted: off(a) implies off(b), for any heights and maxError. Its value is
    // |z0 + gy * 0 + gx * 0 - z0|, NaN unless z0, gx, gy are finite, and then 0: off(a) means
    // maxError < 0 and finite heights and slopes (a NaN or infinite dz1 or dz2 makes gx or gy
    // NaN or infinite), and then b's value is finite, >= 0 > maxError too.
    // 1: b, c (unit triangles are not tested: refine() stacks no parent of theirs, a 2 x 2 grid
    // has nothing to split)
    let out = <i32>off(z0, gx, gy, bdx, bdy, kb) | <i32>off(z0, gx, gy, cdx, cdy, kc);
    if (area == 1) return out != 0;
    // 2: and the long edge's midpoint
    out |= <i32>off(z0, gx, gy, mdx, mdy, km);
    if (area == 2) return out != 0;
    // 4 (legs 2), 8 (long edge 4): and the legs' midpoints
    out |= <i32>off(z0, gx, gy, cdx * 0.5, cdy * 0.5, (ka + kc) >> 1) |
      <i32>off(z0, gx, gy, (bdx + cdx) * 0.5, (bdy + cdy) * 0.5, (kb + kc) >> 1);
    if (area == 4) return out != 0;
    // 8: and the long edge's quarter points, the midpoint of the median
    out |= <i32>off(z0, gx, gy, mdx * 0.5, mdy * 0.5, (ka + km) >> 1) |
      <i32>off(z0, gx, gy, (bdx + mdx) * 0.5, (bdy + mdy) * 0.5, (kb + km) >> 1) |
      <i32>off(z0, gx, gy, (cdx + mdx) * 0.5, (cdy + mdy) * 0.5, (kc + km) >> 1);
    return out != 0;
  }
  // the long edge's midpoint first: the likeliest offender
  if (off(z0, gx, gy, mdx, mdy, km)) return true;
  if (ay == by) {
    // horizontal long edge, apex above or below: rows shrink by one on each side per step
    return rowsExceed(z0, ax, ay, gx, gy, ay, cy, ay, min<i32>(ax, bx), 1, max<i32>(ax, bx), -1);
  }
  if (ax == bx) {
    // vertical long edge, apex left or right: widest on the apex row
    if (cx > ax) return rowsExceed(z0, ax, ay, gx, gy, ay, by, cy, ax, 0, cx, -1);
    return rowsExceed(z0, ax, ay, gx, gy, ay, by, cy, cx, 1, ax, 0);
  }
  // diagonal long edge: legs from c along the axes; rows from c's to the vertical leg's end, the
  // span shrinking from the horizontal leg's end
  const fx = ax == cx ? bx : ax; // the end of the horizontal leg
  const fy = ay == cy ? by : ay; // the end of the vertical leg
  if (fx > cx) return rowsExceed(z0, ax, ay, gx, gy, cy, fy, cy, cx, 0, fx, -1);
  return rowsExceed(z0, ax, ay, gx, gy, cy, fy, cy, fx, 1, cx, 0);
}

/** exceedsArea for any size. */
function exceedsRtin(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32): bool {
  return exceedsArea(ax, ay, bx, by, cx, cy, abs<i32>((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)));
}

/** exceedsPlane on the image of triangle (0, 1, 2) (long edge 0-1, right angle at 2). */
@inline function exceeds(x0: i32, y0: i32, x1: i32, y1: i32, x2: i32, y2: i32): bool {
  const X0 = mapX(x0, y0), Y0 = mapY(x0, y0), X1 = mapX(x1, y1), Y1 = mapY(x1, y1);
  const X2 = mapX(x2, y2), Y2 = mapY(x2, y2);
  if (X0 == x0 && Y0 == y0 && X1 == x1 && Y1 == y1 && X2 == x2 && Y2 == y2) return exceedsRtin(x0, y0, x1, y1, x2, y2);
  return exceedsPlane(X0, Y0, X1, Y1, X2, Y2, X0 == x0 && Y0 == y0 && X1 == x1 && Y1 == y1);
}

// The triangles whose long edge has its midpoint at (x, y), filled in by tri(): long edge a-b, apex c.
// Callers copy what they need before recursing.
let nTri: i32 = 0;
let t0ax: i32 = 0, t0ay: i32 = 0, t0bx: i32 = 0, t0by: i32 = 0, t0cx: i32 = 0, t0cy: i32 = 0;
let t1ax: i32 = 0, t1ay: i32 = 0, t1bx: i32 = 0, t1by: i32 = 0, t1cx: i32 = 0, t1cy: i32 = 0;

@inline function setTri(i: i32, ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32): void {
  if (i == 0) {
    t0ax = ax; t0ay = ay; t0bx = bx; t0by = by; t0cx = cx; t0cy = cy;
  } else {
    t1ax = ax; t1ay = ay; t1bx = bx; t1by = by; t1cx = cx; t1cy = cy;
  }
}

function tri(x: i32, y: i32): void {
  const lx = x == 0 ? T << 1 : x & -x;
  const ly = y == 0 ? T << 1 : y & -y;
  let n = 0;
  if (lx == ly) {
    const h = lx;
    // (x - h) / 2h + (y - h) / 2h odd, both being whole
    const odd = ((x + y - (h << 1)) & (h << 1)) != 0;
    if (!odd) {
      setTri(0, x - h, y - h, x + h, y + h, x + h, y - h);
      setTri(1, x + h, y + h, x - h, y - h, x - h, y + h);
    } else {
      setTri(0, x + h, y - h, x - h, y + h, x - h, y - h);
      setTri(1, x - h, y + h, x + h, y - h, x + h, y + h);
    }
    n = 2;
  } else if (lx < ly) {
    const h = lx;
    if (y - h >= 0) setTri(n++, x - h, y, x + h, y, x, y - h);
    if (y + h <= T) setTri(n++, x + h, y, x - h, y, x, y + h);
  } else {
    const h = ly;
    if (x - h >= 0) setTri(n++, x, y + h, x, y - h, x - h, y);
    if (x + h <= T) setTri(n++, x, y - h, x, y + h, x + h, y);
  }
  nTri = n;
}

@inline function isSplit(x: i32, y: i32): bool {
  return (flagsAt(y * size + x) & SPLIT) != 0;
}

@inline function splitParent(x: i32, y: i32): void {
  if (!isSplit(x, y)) split(x, y);
}

/**
 * Marks (x, y) split and, first, its parents (the apexes of its triangles, as tri() lists them),
 * keeping the RTIN conforming; stacks (x, y) so that refine() tests the children, unless they are
 * unit triangles (an axis-aligned long edge of length 2): nothing to test there.
 */
function split(x: i32, y: i32): void {
  const p = work + <usize>(y * size + x);
  const f = load<u8>(p);
  if ((f & SPLIT) != 0) return;
  store<u8>(p, f | SPLIT);
  const lx = x == 0 ? T << 1 : x & -x;
  const ly = y == 0 ? T << 1 : y & -y;
  if (lx == ly) {
    // a square's centre: the apexes are the ends of the other diagonal, the tile's corners (no
    // points to split) only for the tile's centre
    const h = lx;
    if (h < T >> 1) {
      const s = ((x + y - (h << 1)) & (h << 1)) != 0 ? -h : h;
      splitParent(x + s, y - h);
      splitParent(x - s, y + h);
    }
  } else if (lx < ly) {
    const h = lx;
    if (y - h >= 0) splitParent(x, y - h);
    if (y + h <= T) splitParent(x, y + h);
    if (h == 1) return;
  } else {
    const h = ly;
    if (x - h >= 0) splitParent(x - h, y);
    if (x + h <= T) splitParent(x + h, y);
    if (h == 1) return;
  }
  store<u32>(stack + (<usize>(sp++) << 2), <u32>((y << 16) | x));
}

/**
 * Tests the children of one triangle (long edge a-b, apex c, midpoint m) of a newly split point
 * near the border, on their images.
 */
@inline function refineTriangle(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32, mx: i32, my: i32): void {
  // child (c, a, m) with long edge c-a, child (b, c, m) with long edge b-c
  let x = (cx + ax) >> 1, y = (cy + ay) >> 1;
  if (!isSplit(x, y) && exceeds(cx, cy, ax, ay, mx, my)) split(x, y);
  x = (bx + cx) >> 1;
  y = (by + cy) >> 1;
  if (!isSplit(x, y) && exceeds(bx, by, cx, cy, mx, my)) split(x, y);
}

/** refineTriangle on the triangles of (x, y). */
function refineBorder(x: i32, y: i32): void {
  tri(x, y);
  const count = nTri;
  const a1x = t1ax, a1y = t1ay, b1x = t1bx, b1y = t1by, c1x = t1cx, c1y = t1cy;
  refineTriangle(t0ax, t0ay, t0bx, t0by, t0cx, t0cy, x, y);
  if (count > 1) refineTriangle(a1x, a1y, b1x, b1y, c1x, c1y, x, y);
}

/**
 * Tests the child with long edge p-q (ring order), apex m: its long edge runs p -> q when ccw, else
 * q -> p (the rounding of the test depends on which end is its corner 0).
 */
@inline function refineChild(px: i32, py: i32, qx: i32, qy: i32, mx: i32, my: i32, ccw: bool, area: i32): void {
  const x = (px + qx) >> 1;
  const y = (py + qy) >> 1;
  if (isSplit(x, y)) return;
  const ax = select<i32>(px, qx, ccw), ay = select<i32>(py, qy, ccw);
  const bx = select<i32>(qx, px, ccw), by = select<i32>(qy, py, ccw);
  if (area == 0 ? exceedsRtin(ax, ay, bx, by, mx, my) : exceedsArea(ax, ay, bx, by, mx, my, area)) split(x, y);
}

/**
 * The 4 children of an inner point m = (x, y): the triangles (p, q, m) for consecutive points p, q
 * of its ring, r = (rx, ry) turned a quarter at a time (m + r, m + (ry, -rx), m - r, m - (ry, -rx)).
 * Read off tri(): a square's centre has its corners as the ring, the children's long edges running
 * counterclockwise around it (north up) in an even square, clockwise in an odd one; an axis-aligned
 * edge's midpoint has the tips of its diamond, the children's long edges counterclockwise.
 * area: the children's |det|, listed inline when small (0: any).
 */
@inline function refineRing(x: i32, y: i32, rx: i32, ry: i32, ccw: bool, area: i32): void {
  const p0x = x + rx, p0y = y + ry;
  const p1x = x + ry, p1y = y - rx;
  const p2x = x - rx, p2y = y - ry;
  const p3x = x - ry, p3y = y + rx;
  refineChild(p0x, p0y, p1x, p1y, x, y, ccw, area);
  refineChild(p1x, p1y, p2x, p2y, x, y, ccw, area);
  refineChild(p2x, p2y, p3x, p3y, x, y, ccw, area);
  refineChild(p3x, p3y, p0x, p0y, x, y, ccw, area);
}

// one function per size of the children, the smallest with their points listed inline
function refineRing2(x: i32, y: i32, rx: i32, ry: i32, ccw: bool): void { refineRing(x, y, rx, ry, ccw, 2); }
function refineRing4(x: i32, y: i32, rx: i32, ry: i32, ccw: bool): void { refineRing(x, y, rx, ry, ccw, 4); }
function refineRing8(x: i32, y: i32, rx: i32, ry: i32, ccw: bool): void { refineRing(x, y, rx, ry, ccw, 8); }
function refineRingAny(x: i32, y: i32, rx: i32, ry: i32, ccw: bool): void { refineRing(x, y, rx, ry, ccw, 0); }

/**
 * Tests the children of the triangles of each stacked point (split() stacks more): near the border
 * on their images, elsewhere around the ring, the smallest children (most of the tests on rough
 * tiles) by functions of their own, their points listed inline.
 */
function refine(): void {
  while (sp > 0) {
    const k = <i32>load<u32>(stack + (<usize>(--sp) << 2));
    const x = k & 0xffff;
    const y = k >>> 16;
    const lx = x == 0 ? T << 1 : x & -x;
    const ly = y == 0 ? T << 1 : y & -y;
    const h = min<i32>(lx, ly);
    // the triangles of (x, y) lie within h of it: off the border nothing of them moves
    if (x <= h || y <= h || x + h >= T || y + h >= T) {
      refineBorder(x, y);
      continue;
    }
    // a square's centre: ring from the NE corner, children of |det| 2h^2; an edge's midpoint:
    // ring from the N tip, children of |det| h^2 (see refineRing)
    const square = lx == ly;
    const ccw = !square || ((x + y - (h << 1)) & (h << 1)) == 0;
    const rx = select<i32>(h, 0, square);
    const ry = -h;
    const area = select<i32>(2 * h * h, h * h, square);
    if (area == 2) refineRing2(x, y, rx, ry, ccw);
    else if (area == 4) refineRing4(x, y, rx, ry, ccw);
    else if (area == 8) refineRing8(x, y, rx, ry, ccw);
    else refineRingAny(x, y, rx, ry, ccw);
  }
}

/** Emits the image of leaf (a, b, c) (some corner on the border: edge points may move). */
function exactEmit(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32): void {
  const Ax = mapX(ax, ay), Ay = mapY(ax, ay);
  const Bx = mapX(bx, by), By = mapY(bx, by);
  const Cx = mapX(cx, cy), Cy = mapY(cx, cy);
  if ((Bx - Ax) * (Cy - Ay) - (Cx - Ax) * (By - Ay) == 0) return;
  const a = vertex(Ax, Ay);
  const b = vertex(Bx, By);
  const c = vertex(Cx, Cy);
  triangle(a, b, c);
}

/** Emits leaf (a, b, c) as it is. */
@inline function innerLeaf(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32): void {
  const a = vertex(ax, ay);
  const b = vertex(bx, by);
  const c = vertex(cx, cy);
  triangle(a, b, c);
}

/** The leaves of a triangle with legs of length sqrt 2 (diagonal): itself, or its 2 unit children. */
@inline function innerSmall(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32): void {
  const mx = (ax + bx) >> 1;
  const my = (ay + by) >> 1;
  if (isSplit(mx, my)) {
    innerLeaf(cx, cy, ax, ay, mx, my);
    innerLeaf(bx, by, cx, cy, mx, my);
  } else {
    innerLeaf(ax, ay, bx, by, cx, cy);
  }
}

/**
 * The leaves under triangle (a, b, c) (long edge a-b, apex c), depth first: first child (c, a, m),
 * then (b, c, m). The whole subtree keeps off the border: nothing moves, leaves go out as they are.
 * depth: the halvings from the triangle down to unit triangles (2 log2 of its legs' length). The
 * second child is visited in this frame (a loop, half the calls); the last two levels are written
 * out (innerSmall).
 */
function innerVisit(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32, depth: i32): void {
  while (depth > 0) {
    if (depth == 1) {
      innerSmall(ax, ay, bx, by, cx, cy);
      return;
    }
    const mx = (ax + bx) >> 1;
    const my = (ay + by) >> 1;
    if (!isSplit(mx, my)) break;
    if (depth == 2) {
      innerSmall(cx, cy, ax, ay, mx, my);
      innerSmall(bx, by, cx, cy, mx, my);
      return;
    }
    depth--;
    innerVisit(cx, cy, ax, ay, mx, my, depth);
    ax = bx;
    ay = by;
    bx = cx;
    by = cy;
    cx = mx;
    cy = my;
  }
  innerLeaf(ax, ay, bx, by, cx, cy);
}

/** innerVisit's order for any triangle: near the border the leaves' images go out. */
function exactVisit(ax: i32, ay: i32, bx: i32, by: i32, cx: i32, cy: i32, depth: i32): void {
  // x, y in 1..T-1 for the three corners: the subtree keeps off the border
  const t = <u32>(T - 1);
  if (<u32>(ax - 1) < t && <u32>(ay - 1) < t && <u32>(bx - 1) < t && <u32>(by - 1) < t && <u32>(cx - 1) < t && <u32>(cy - 1) < t) {
    innerVisit(ax, ay, bx, by, cx, cy, depth);
    return;
  }
  const mx = (ax + bx) >> 1;
  const my = (ay + by) >> 1;
  if (depth > 0 && isSplit(mx, my)) {
    exactVisit(cx, cy, ax, ay, mx, my, depth - 1);
    exactVisit(bx, by, cx, cy, mx, my, depth - 1);
  } else {
    exactEmit(ax, ay, bx, by, cx, cy);
  }
}

/** Triangle of grid offsets p, q, r with the RTIN's winding (negative x/y cross product). */
function bandTriangle(p: i32, q: i32, r: i32): void {
  const n = size;
  const px = p % n, py = p / n;
  const qx = q % n, qy = q / n;
  const rx = r % n, ry = r / n;
  const a = vertex(px, py);
  const b = vertex(qx, qy);
  const c = vertex(rx, ry);
  if ((qx - px) * (ry - py) - (rx - px) * (qy - py) > 0) triangle(a, c, b);
  else triangle(a, b, c);
}

/** The bands of one edge: p0 its first point, step along it, inward the step to the inset line. */
function bands(p0: i32, step: i32, inward: i32): void {
  const chain = stack; // free after refine()
  let sa = 0;
  for (let sb = 1; sb <= T; sb++) {
    if ((flagsAt(p0 + sb * step) & KEEP) == 0) continue;
    let first = -1;
    let last = -1;
    for (let i = sa + 1; i < sb; i++) {
      if ((flagsAt(p0 + i * step) & SPLIT) != 0) {
        if (first < 0) first = i;
        last = i;
      }
    }
    if (first >= 0) {
      let len = 0;
      let j = 0;
      let best = i32.MAX_VALUE;
      for (let i = first; i <= last; i++) {
        const k = p0 + i * step;
        if ((flagsAt(k) & SPLIT) != 0 || (flagsAt(k + inward) & SPLIT) != 0) {
          // apex of the triangle on a-b: the chain point nearest the middle (the first on a tie)
          const d = abs<i32>(2 * i - sa - sb);
          if (d < best) {
            best = d;
            j = len;
          }
          store<u32>(chain + (<usize>(len++) << 2), <u32>(k + inward));
        }
      }
      const pa = p0 + sa * step;
      const pb = p0 + sb * step;
      bandTriangle(pa, pb, <i32>load<u32>(chain + (<usize>j << 2)));
      for (let i = 0; i < j; i++) bandTriangle(pa, <i32>load<u32>(chain + (<usize>i << 2)), <i32>load<u32>(chain + (<usize>(i + 1) << 2)));
      for (let i = j; i < len - 1; i++) bandTriangle(pb, <i32>load<u32>(chain + (<usize>i << 2)), <i32>load<u32>(chain + (<usize>(i + 1) << 2)));
    }
    sa = sb;
  }
}

function exactMesh(): void {
  const n = size;
  memory.fill(work, 0, <usize>(n * n));
  sp = 0;
  // 1. each edge's vertices from that edge alone, canonical direction (W->E, N->S)
  keepEdge(0, 1); // north
  keepEdge(T * n, 1); // south
  keepEdge(0, n); // west
  keepEdge(T, n); // east
  // 2. forced into the RTIN
  for (let e = 0; e < 4; e++) {
    const p0 = e == 0 ? 0 : e == 1 ? T * n : e == 2 ? 0 : T;
    const stride = e < 2 ? 1 : n;
    for (let i = 1; i < T; i++) {
      const k = p0 + i * stride;
      if ((flagsAt(k) & KEEP) != 0) split(k % n, k / n);
    }
  }
  // 3. top-down refinement on the true error of each triangle's image
  if (T >= 2) {
    const c = T >> 1;
    if (!isSplit(c, c) && (exceeds(0, 0, T, T, T, 0) || exceeds(T, T, 0, 0, 0, T))) split(c, c);
  }
  refine();
  // 4. the leaves through the inward move (degenerate images vanish), 5. the edge bands
  // the roots' legs are T long: 2 log2 T halvings to unit triangles
  const depth = 2 * ctz<i32>(T);
  exactVisit(0, 0, T, T, T, 0, depth);
  exactVisit(T, T, 0, 0, 0, T, depth);
  bands(0, 1, n);
  bands(T * n, 1, -n);
  bands(0, n, 1);
  bands(T, n, -1);
}

/**
 * Meshes grid (size x size f32, size = 2^k + 1, 2..4097). mode 0 = compat, 1 = exact.
 * Scratch: work (4 * size^2 bytes), index (4 * size^2), stack (4 * size^2, exact only).
 * Output: vertices (u16 x, y; room for size^2), triangles (u32 x 3; room for 2 * size^2),
 * counts[0] = vertices, counts[1] = triangles. Returns 0, or -1 on bad arguments.
 */
export function martini_mesh(
  gridPtr: usize, gridSize: i32, maxError: f64, mode: i32,
  workPtr: usize, indexPtr: usize, stackPtr: usize, vertices: usize, triangles: usize, counts: usize,
): i32 {
  const t = gridSize - 1;
  if (t < 1 || t > 4096 || (t & (t - 1)) != 0 || (mode != 0 && mode != 1) || isNaN(maxError)) return -1;
  grid = gridPtr;
  size = gridSize;
  T = t;
  maxErr = maxError;
  work = workPtr;
  index = indexPtr;
  stack = stackPtr;
  verts = vertices;
  tris = triangles;
  nv = 0;
  nt = 0;
  memory.fill(index, 0, <usize>(gridSize * gridSize) << 2);
  if (mode == 0) {
    compatErrors();
    compatVisit(0, 0, T, T, T, 0);
    compatVisit(T, T, 0, 0, 0, T);
  } else {
    exactMesh();
  }
  store<u32>(counts, <u32>nv);
  store<u32>(counts, <u32>nt, 4);
  return 0;
}
