// Delatin (mapbox/delatin 0.2.0): greedy Delaunay refinement of a height grid. Mirrors
// test/kernels/reference/delatin.ts, which is the package's code over typed arrays.
//
// Mode 0 (compat): the package's algorithm with its f64 arithmetic in the same order, the same heap
// and the same tie-breaking, so the vertex and triangle arrays equal the package's.
// Mode 1 (seamless): the 4 edges are simplified first, each on its own (1-D greedy, read west->east
// and north->south, so a neighbour sharing the edge picks the same vertices), inserted as hull splits
// without rasterising; then the usual refinement, with boundary pixels never rasterised (never
// candidates, so no later vertex lands on an edge).
//
// The rasteriser measures the same points with the same arithmetic as the package's and chooses the
// same one, faster (see "rasteriser" below).
//
// Every work array is sized from the grid (worst case: every point a vertex, 2n + 2 triangles) and
// carved from the bump allocator once per call.

import { alloc } from './memory';

export const DELATIN_OK: i32 = 0;
/** The package's "Broken triangulation" (a flipped triangle that is neither queued nor pending). */
export const DELATIN_ERR_BROKEN: i32 = -1;
/** Bad arguments. */
export const DELATIN_ERR_ARGS: i32 = -2;
/** The grid and work arrays (at most BYTES_PER_POINT per grid point) would not fit in 32-bit memory. */
export const DELATIN_ERR_SIZE: i32 = -3;

/**
 * Bytes per grid point, an upper bound: the grid (4), vertices (4), and per triangle slot (2 per
 * point) triangles, halfedges (12 each), candidate, heap index, heap entry, pending (4 each) and
 * heap error (8), seamless hull map (4).
 */
const BYTES_PER_POINT: u64 = 112;

// ---- per-call state ----
let gData: usize = 0; // f32 heights, row-major
let gWidth: i32 = 0;
let gHeight: i32 = 0;
let gSeamless: bool = false;
let gBulk: bool = false; // seamless edge phase: triangles are collected, not queued

let gCoords: usize = 0; // u16 x, y per vertex
let gTriangles: usize = 0; // i32 x3 per triangle
let gHalfedges: usize = 0; // i32 x3 per triangle
let gCandidates: usize = 0; // u32 per triangle: y << 16 | x
let gQueueIndices: usize = 0; // i32 per triangle
let gQueue: usize = 0; // i32 heap slots
let gErrors: usize = 0; // f64 heap slots
let gPending: usize = 0; // i32
let gHullOut: usize = 0; // i32 per vertex (seamless)
let gEdgeVertex: usize = 0; // i32 per edge point (seamless)
let gStack: usize = 0; // i32 pairs (seamless)

let nV: i32 = 0;
let nT3: i32 = 0;
let nQ: i32 = 0;
let pendingLen: i32 = 0;
let broken: bool = false;

// ---- accessors ----
// @ts-ignore: decorator
@inline function tri(e: i32): i32 { return load<i32>(gTriangles + (<usize>e << 2)); }
// @ts-ignore: decorator
@inline function half(e: i32): i32 { return load<i32>(gHalfedges + (<usize>e << 2)); }
// @ts-ignore: decorator
@inline function setHalf(e: i32, v: i32): void { store<i32>(gHalfedges + (<usize>e << 2), v); }
// @ts-ignore: decorator
@inline function cx(v: i32): i32 { return <i32>load<u16>(gCoords + (<usize>v << 2)); }
// @ts-ignore: decorator
@inline function cy(v: i32): i32 { return <i32>load<u16>(gCoords + (<usize>v << 2), 2); }
// @ts-ignore: decorator
@inline function heightAt(x: i32, y: i32): f64 {
  return <f64>load<f32>(gData + ((<usize>y * <usize>gWidth + <usize>x) << 2));
}
// @ts-ignore: decorator
@inline function errAt(i: i32): f64 { return load<f64>(gErrors + (<usize>i << 3)); }
// @ts-ignore: decorator
@inline function qAt(i: i32): i32 { return load<i32>(gQueue + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setQIndex(t: i32, i: i32): void { store<i32>(gQueueIndices + (<usize>t << 2), i); }
// @ts-ignore: decorator
@inline function pendingAt(i: i32): i32 { return load<i32>(gPending + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function setPending(i: i32, t: i32): void { store<i32>(gPending + (<usize>i << 2), t); }

// @ts-ignore: decorator
@inline function orient(ax: f64, ay: f64, bx: f64, by: f64, qx: f64, qy: f64): f64 {
  return (bx - qx) * (ay - qy) - (by - qy) * (ax - qx);
}

function inCircle(ax: f64, ay: f64, bx: f64, by: f64, qx: f64, qy: f64, px: f64, py: f64): bool {
  const dx = ax - px;
  const dy = ay - py;
  const ex = bx - px;
  const ey = by - py;
  const fx = qx - px;
  const fy = qy - py;
  const ap = dx * dx + dy * dy;
  const bp = ex * ex + ey * ey;
  const cp = fx * fx + fy * fy;
  return dx * (ey * cp - bp * fy) - dy * (ex * cp - bp * fx) + ap * (ex * fy - ey * fx) < 0;
}

// ---- mesh ----

function addPoint(x: i32, y: i32): i32 {
  const i = nV++;
  store<u32>(gCoords + (<usize>i << 2), (<u32>y << 16) | <u32>x);
  return i;
}

function addTriangle(a: i32, b: i32, c: i32, ab: i32, bc: i32, ca: i32, e: i32): i32 {
  const t = e / 3;
  if (e == nT3) nT3 += 3;
  const p = gTriangles + (<usize>e << 2);
  store<i32>(p, a);
  store<i32>(p, b, 4);
  store<i32>(p, c, 8);
  const h = gHalfedges + (<usize>e << 2);
  store<i32>(h, ab);
  store<i32>(h, bc, 4);
  store<i32>(h, ca, 8);
  if (ab >= 0) setHalf(ab, e);
  if (bc >= 0) setHalf(bc, e + 1);
  if (ca >= 0) setHalf(ca, e + 2);
  store<u32>(gCandidates + (<usize>t << 2), 0);
  setQIndex(t, -1);
  setPending(pendingLen++, t);
  return e;
}

function legalize(a: i32): void {
  const b = half(a);
  if (b < 0) return;
  const a0 = a - a % 3;
  const b0 = b - b % 3;
  const al = a0 + (a + 1) % 3;
  const ar = a0 + (a + 2) % 3;
  const bl = b0 + (b + 2) % 3;
  const br = b0 + (b + 1) % 3;
  const p0 = tri(ar);
  const pr = tri(a);
  const pl = tri(al);
  const p1 = tri(bl);
  if (!inCircle(
    <f64>cx(p0), <f64>cy(p0), <f64>cx(pr), <f64>cy(pr),
    <f64>cx(pl), <f64>cy(pl), <f64>cx(p1), <f64>cy(p1))) {
    return;
  }
  const hal = half(al);
  const har = half(ar);
  const hbl = half(bl);
  const hbr = half(br);
  queueRemove(a0 / 3);
  queueRemove(b0 / 3);
  const t0 = addTriangle(p0, p1, pl, -1, hbl, hal, a0);
  const t1 = addTriangle(p1, p0, pr, t0, har, hbr, b0);
  legalize(t0 + 1);
  legalize(t1 + 2);
}

function handleCollinear(pn: i32, a: i32): void {
  const a0 = a - a % 3;
  const al = a0 + (a + 1) % 3;
  const ar = a0 + (a + 2) % 3;
  const p0 = tri(ar);
  const pr = tri(a);
  const pl = tri(al);
  const hal = half(al);
  const har = half(ar);
  const b = half(a);
  if (b < 0) {
    const t0 = addTriangle(pn, p0, pr, -1, har, -1, a0);
    const t1 = addTriangle(p0, pn, pl, t0, -1, hal, nT3);
    legalize(t0 + 1);
    legalize(t1 + 2);
    return;
  }
  const b0 = b - b % 3;
  const bl = b0 + (b + 2) % 3;
  const br = b0 + (b + 1) % 3;
  const p1 = tri(bl);
  const hbl = half(bl);
  const hbr = half(br);
  queueRemove(b0 / 3);
  const t0 = addTriangle(p0, pr, pn, har, -1, -1, a0);
  const t1 = addTriangle(pr, p1, pn, hbr, -1, t0 + 1, b0);
  const t2 = addTriangle(p1, pl, pn, hbl, -1, t1 + 1, nT3);
  const t3 = addTriangle(pl, p0, pn, hal, t0 + 2, t2 + 1, nT3);
  legalize(t0);
  legalize(t1);
  legalize(t2);
  legalize(t3);
}

function step(): void {
  const t = queuePop();
  const e0 = t * 3;
  const e1 = e0 + 1;
  const e2 = e0 + 2;
  const p0 = tri(e0);
  const p1 = tri(e1);
  const p2 = tri(e2);
  const ax = <f64>cx(p0);
  const ay = <f64>cy(p0);
  const bx = <f64>cx(p1);
  const by = <f64>cy(p1);
  const qx = <f64>cx(p2);
  const qy = <f64>cy(p2);
  const cand = load<u32>(gCandidates + (<usize>t << 2));
  const ix = <i32>(cand & 0xffff);
  const iy = <i32>(cand >>> 16);
  const px = <f64>ix;
  const py = <f64>iy;
  const pn = addPoint(ix, iy);

  if (orient(ax, ay, bx, by, px, py) == 0) {
    handleCollinear(pn, e0);
  } else if (orient(bx, by, qx, qy, px, py) == 0) {
    handleCollinear(pn, e1);
  } else if (orient(qx, qy, ax, ay, px, py) == 0) {
    handleCollinear(pn, e2);
  } else {
    const h0 = half(e0);
    const h1 = half(e1);
    const h2 = half(e2);
    const t0 = addTriangle(p0, p1, pn, h0, -1, -1, e0);
    const t1 = addTriangle(p1, p2, pn, h1, -1, t0 + 1, nT3);
    const t2 = addTriangle(p2, p0, pn, h2, t0 + 2, t1 + 1, nT3);
    legalize(t0);
    legalize(t1);
    legalize(t2);
  }
}

// ---- rasteriser ----
//
// The package scans each row of the bounding box from a start offset, testing the three edge
// functions w0, w1, w2 (exact integers) on every pixel until it leaves the triangle; it measures
// exactly the grid points with w0, w1, w2 >= 0, in raster order, with
//   z = z0 * w0 + z1 * w1 + z2 * w2,  dz = |z - h|   (z_i = h_i / area, f64)
// and keeps the first point of largest dz (strictly greater than 0). Here the same points are
// measured with the same arithmetic, but each row's run of inside points [lo, hi] is computed up
// front: with the vertices sorted by y (top T, middle M, bottom B), rows down to M lie in the wedge
// at T (edges TM and TB), rows below M in the wedge at B (edges BM and BT), and within a wedge one
// edge bounds the run on the left, the other on the right. An edge function w = W(row) + A * x with
// A > 0 gives lo >= ceil(-W / A), with A < 0 hi <= floor(W / -A); both are floor(m / d) with d > 0
// and m moving by a constant per row, tracked as a quotient and remainder (no division per row).
// The run is measured two points at a time, keeping only the largest dz per lane and the row where
// it last grew; that row is measured again at the end to find the first point of that error.

/** floor(m / d) for d > 0. */
// @ts-ignore: decorator
@inline function floorDiv(m: i32, d: i32): i32 {
  const q = m / d;
  return q - <i32>(q * d > m);
}

// Per-triangle scratch: the edge functions (W, A, B, by edge: edge k is opposite vertex k) and two
// row-bound slots (d, q step, r step, q, r). Kept in memory so that the compiler cannot sink the
// divisions that set them up into the row loop. All of it fits in i32: |W| < width * height and
// |m| < 4 * width * height < 2^31, as delatin_mesh accepts at most 2^32 / BYTES_PER_POINT points.
const EDGES: usize = memory.data(36, 16);
const LEFT: usize = memory.data(20, 16);
const INVARIANTS: usize = memory.data(144, 16);
const RIGHT: usize = memory.data(20, 16);

/** Sets a bound slot for edge k (A != 0) from row j (offset from minY) on. */
// @ts-ignore: decorator
@inline function initBound(slot: usize, k: i32, j: i32): void {
  const e = EDGES + (<usize>k << 2);
  const W = load<i32>(e);
  const A = load<i32>(e, 12);
  const B = load<i32>(e, 24);
  let m: i32, d: i32, s: i32;
  if (A > 0) {
    // lo >= ceil(-W(j) / A) = floor((A - 1 - W(j)) / A)
    d = A;
    s = -B;
    m = A - 1 - W - B * j;
  } else {
    // hi <= floor(W(j) / -A)
    d = -A;
    s = B;
    m = W + B * j;
  }
  const q = floorDiv(m, d);
  const qs = floorDiv(s, d);
  store<i32>(slot, d);
  store<i32>(slot, qs, 4);
  store<i32>(slot, s - qs * d, 8);
  store<i32>(slot, q, 12);
  store<i32>(slot, m - q * d, 16);
}

function findCandidate(p0x: i32, p0y: i32, p1x: i32, p1y: i32, p2x: i32, p2y: i32, t: i32): void {
  const fx0 = <f64>p0x, fy0 = <f64>p0y, fx1 = <f64>p1x, fy1 = <f64>p1y, fx2 = <f64>p2x, fy2 = <f64>p2y;
  const a = orient(fx0, fy0, fx1, fy1, fx2, fy2);
  if (!(a > 0)) {
    // degenerate or clockwise (never made by the refinement): the package's own loop
    findCandidateScan(p0x, p0y, p1x, p1y, p2x, p2y, t);
    return;
  }
  const minX = min(p0x, min(p1x, p2x));
  const minY = min(p0y, min(p1y, p2y));
  const maxX = max(p0x, max(p1x, p2x));
  const maxY = max(p0y, max(p1y, p2y));

  // edge functions at (minX, minY) and their x (A) and y (B) steps
  const W0 = (p2x - minX) * (p1y - minY) - (p2y - minY) * (p1x - minX);
  const W1 = (p0x - minX) * (p2y - minY) - (p0y - minY) * (p2x - minX);
  const W2 = (p1x - minX) * (p0y - minY) - (p1y - minY) * (p0x - minX);
  const A0 = p2y - p1y, B0 = p1x - p2x; // a12, b12
  const A1 = p0y - p2y, B1 = p2x - p0x; // a20, b20
  const A2 = p1y - p0y, B2 = p0x - p1x; // a01, b01
  store<i32>(EDGES, W0);
  store<i32>(EDGES, W1, 4);
  store<i32>(EDGES, W2, 8);
  store<i32>(EDGES, A0, 12);
  store<i32>(EDGES, A1, 16);
  store<i32>(EDGES, A2, 20);
  store<i32>(EDGES, B0, 24);
  store<i32>(EDGES, B1, 28);
  store<i32>(EDGES, B2, 32);

  // top T (a lowest y), bottom B (a highest y), middle M
  const iT = p0y <= p1y ? (p0y <= p2y ? 0 : 2) : (p1y <= p2y ? 1 : 2);
  let iB: i32;
  if (iT == 0) iB = p1y >= p2y ? 1 : 2;
  else if (iT == 1) iB = p0y >= p2y ? 0 : 2;
  else iB = p0y >= p1y ? 0 : 1;
  const iM = 3 - iT - iB;
  const yM = iM == 0 ? p0y : iM == 1 ? p1y : p2y;
  // the long edge TB (opposite M) bounds every row on one side; on the other side the edge TM
  // (opposite B) bounds the rows down to M, the edge MB (opposite T) the rows below. With a flat
  // top (M on T's row) MB bounds every row.
  const jm = yM - minY;
  const jSwitch: i32 = jm == 0 ? 0 : jm + 1;
  const longLeft = load<i32>(EDGES + (<usize>iM << 2), 12) > 0;

  const z0 = heightAt(p0x, p0y) / a;
  const z1 = heightAt(p1x, p1y) / a;
  const z2 = heightAt(p2x, p2y) / a;

  const width = gWidth;
  // rows (offsets from minY) and columns (offsets from minX) to visit
  let j0: i32 = 0;
  let j1: i32 = maxY - minY;
  let xLo: i32 = 0;
  let xHi: i32 = maxX - minX;
  if (gSeamless) {
    // boundary points are never measured
    if (minY == 0) j0 = 1;
    j1 = min(j1, gHeight - 2 - minY);
    xLo = max(xLo, 1 - minX);
    xHi = min(xHi, width - 2 - minX);
  }

  const longSlot = longLeft ? LEFT : RIGHT;
  const shortSlot = longLeft ? RIGHT : LEFT;
  initBound(longSlot, iM, j0);
  initBound(shortSlot, j0 >= jSwitch ? iT : iB, j0);
  let ql = load<i32>(LEFT, 12);
  let rl = load<i32>(LEFT, 16);
  let qr = load<i32>(RIGHT, 12);
  let rr = load<i32>(RIGHT, 16);

  // edge functions in f64 (exact) at x = minX of row j0, for the per-point arithmetic
  const a12 = <f64>A0, a20 = <f64>A1, a01 = <f64>A2;
  const b12 = <f64>B0, b20 = <f64>B1, b01 = <f64>B2;
  const fj0 = <f64>j0;
  let w00 = <f64>W0 + b12 * fj0;
  let w01 = <f64>W1 + b20 * fj0;
  let w02 = <f64>W2 + b01 * fj0;

  // per lane: the largest dz so far, and the key (row << 16 | first column) of the row where it last grew
  let vBest = f64x2.splat(0);
  let vPrev = vBest;
  let vKey = vBest;
  // loop invariants live in memory and are loaded where used: kept in registers they are spilled,
  // or recomputed inside the loops
  const inv = INVARIANTS;
  v128.store(inv, f64x2.splat(z0));
  v128.store(inv, f64x2.splat(z1), 16);
  v128.store(inv, f64x2.splat(z2), 32);
  v128.store(inv, f64x2.splat(a12 + a12), 48);
  v128.store(inv, f64x2.splat(a20 + a20), 64);
  v128.store(inv, f64x2.splat(a01 + a01), 80);
  v128.store(inv, f64x2.replace_lane(f64x2.splat(0), 1, a12), 96);
  v128.store(inv, f64x2.replace_lane(f64x2.splat(0), 1, a20), 112);
  v128.store(inv, f64x2.replace_lane(f64x2.splat(0), 1, a01), 128);

  let rowPtr = gData + ((<usize>(minY + j0) * <usize>width + <usize>minX) << 2);
  const rowBytes = <usize>width << 2;
  // rows j0..jEnd with the bounds set above, then (when the short edge changes below M) the rest
  let j = j0;
  let jEnd = j0 < jSwitch ? min(j1, jSwitch - 1) : j1;
  while (true) {
  for (; j <= jEnd; j++) {
    const lo = max(xLo, ql);
    const hi = min(xHi, qr);
    if (lo <= hi) {
      const ilo = lo;
      const ihi = hi;
      const flo = <f64>ilo;
      let vw0 = f64x2.add(f64x2.splat(w00 + a12 * flo), v128.load(inv, 96));
      let vw1 = f64x2.add(f64x2.splat(w01 + a20 * flo), v128.load(inv, 112));
      let vw2 = f64x2.add(f64x2.splat(w02 + a01 * flo), v128.load(inv, 128));
      let p = rowPtr + (<usize>ilo << 2);
      const count = ihi - ilo + 1;
      const pairsEnd = p + (<usize>(count >> 1) << 3);
      while (p < pairsEnd) {
        const z = f64x2.add(f64x2.add(f64x2.mul(v128.load(inv), vw0), f64x2.mul(v128.load(inv, 16), vw1)), f64x2.mul(v128.load(inv, 32), vw2));
        vBest = f64x2.pmax(vBest, f64x2.abs(f64x2.sub(z, f64x2.promote_low_f32x4(v128.load64_zero(p)))));
        vw0 = f64x2.add(vw0, v128.load(inv, 48));
        vw1 = f64x2.add(vw1, v128.load(inv, 64));
        vw2 = f64x2.add(vw2, v128.load(inv, 80));
        p += 8;
      }
      // an odd run's last point: lane 0 of one more step (lane 1, past hi, and the whole step when
      // the run is even, are masked to 0; the load stays inside module memory: the grid is
      // followed by other buffers)
      const z = f64x2.add(f64x2.add(f64x2.mul(v128.load(inv), vw0), f64x2.mul(v128.load(inv, 16), vw1)), f64x2.mul(v128.load(inv, 32), vw2));
      const dz = f64x2.abs(f64x2.sub(z, f64x2.promote_low_f32x4(v128.load64_zero(p))));
      vBest = f64x2.pmax(vBest, v128.and(dz, i64x2.replace_lane(i64x2.splat(0), 0, -<i64>(count & 1))));
      // keys grow row by row: a max keeps the newest key of the lanes that grew
      vKey = f64x2.pmax(vKey, v128.and(f64x2.splat(<f64>((<u32>j << 16) | <u32>ilo)), f64x2.ne(vBest, vPrev)));
      vPrev = vBest;
    }
    // next row: each bound moves by its quotient step, plus one when the remainder wraps
    ql += load<i32>(LEFT, 4);
    rl += load<i32>(LEFT, 8);
    const dl = load<i32>(LEFT);
    const cl = <i32>(rl >= dl);
    ql += cl;
    rl -= dl & -cl;
    qr += load<i32>(RIGHT, 4);
    rr += load<i32>(RIGHT, 8);
    const dr = load<i32>(RIGHT);
    const cr = <i32>(rr >= dr);
    qr += cr;
    rr -= dr & -cr;
    w00 += b12;
    w01 += b20;
    w02 += b01;
    rowPtr += rowBytes;
  }
  if (j > j1) break;
  initBound(shortSlot, iT, j);
  if (longLeft) {
    qr = load<i32>(RIGHT, 12);
    rr = load<i32>(RIGHT, 16);
  } else {
    ql = load<i32>(LEFT, 12);
    rl = load<i32>(LEFT, 16);
  }
  jEnd = j1;
  }

  // the largest dz, and the earliest row where a lane reached it
  let maxError = f64x2.extract_lane(vBest, 0);
  let key = f64x2.extract_lane(vKey, 0);
  const e1 = f64x2.extract_lane(vBest, 1);
  const k1 = f64x2.extract_lane(vKey, 1);
  if (e1 > maxError || (e1 == maxError && k1 < key)) {
    maxError = e1;
    key = k1;
  }
  let mx: i32 = 0;
  let my: i32 = 0;
  if (maxError > 0) {
    // that row again, from its first point, up to the first of that dz (same arithmetic: it is there)
    const ik = <u32>key;
    const jr = <i32>(ik >>> 16);
    let x = <i32>(ik & 0xffff);
    const fjr = <f64>jr;
    const r0w = <f64>W0 + b12 * fjr;
    const r1w = <f64>W1 + b20 * fjr;
    const r2w = <f64>W2 + b01 * fjr;
    const row = gData + ((<usize>(minY + jr) * <usize>width + <usize>minX) << 2);
    const last = maxX - minX;
    const fx = <f64>x;
    let vw0 = f64x2.add(f64x2.splat(r0w + a12 * fx), v128.load(inv, 96));
    let vw1 = f64x2.add(f64x2.splat(r1w + a20 * fx), v128.load(inv, 112));
    let vw2 = f64x2.add(f64x2.splat(r2w + a01 * fx), v128.load(inv, 128));
    const vMax = f64x2.splat(maxError);
    // two points a step; a lane past the run cannot come before the match, which lies in the run
    for (; x <= last; x += 2) {
      const z = f64x2.add(f64x2.add(f64x2.mul(v128.load(inv), vw0), f64x2.mul(v128.load(inv, 16), vw1)), f64x2.mul(v128.load(inv, 32), vw2));
      const dz = f64x2.abs(f64x2.sub(z, f64x2.promote_low_f32x4(v128.load64_zero(row + (<usize>x << 2)))));
      const hit = i64x2.bitmask(f64x2.eq(dz, vMax));
      if (hit != 0) {
        x += ctz(hit);
        break;
      }
      vw0 = f64x2.add(vw0, v128.load(inv, 48));
      vw1 = f64x2.add(vw1, v128.load(inv, 64));
      vw2 = f64x2.add(vw2, v128.load(inv, 80));
    }
    mx = minX + x;
    my = minY + jr;
  }
  if ((mx == p0x && my == p0y) || (mx == p1x && my == p1y) || (mx == p2x && my == p2y)) maxError = 0;

  store<u32>(gCandidates + (<usize>t << 2), (<u32>my << 16) | <u32>mx);
  queuePush(t, maxError);
}

/** The package's rasteriser as written (for triangles of zero or negative area, which it never makes). */
function findCandidateScan(p0x: i32, p0y: i32, p1x: i32, p1y: i32, p2x: i32, p2y: i32, t: i32): void {
  const minX = min(p0x, min(p1x, p2x));
  const minY = min(p0y, min(p1y, p2y));
  const maxX = max(p0x, max(p1x, p2x));
  const maxY = max(p0y, max(p1y, p2y));
  const fx0 = <f64>p0x, fy0 = <f64>p0y, fx1 = <f64>p1x, fy1 = <f64>p1y, fx2 = <f64>p2x, fy2 = <f64>p2y;
  const fminX = <f64>minX, fminY = <f64>minY;
  let w00 = orient(fx1, fy1, fx2, fy2, fminX, fminY);
  let w01 = orient(fx2, fy2, fx0, fy0, fminX, fminY);
  let w02 = orient(fx0, fy0, fx1, fy1, fminX, fminY);
  const a01 = fy1 - fy0, b01 = fx0 - fx1;
  const a12 = fy2 - fy1, b12 = fx1 - fx2;
  const a20 = fy0 - fy2, b20 = fx2 - fx0;
  const a = orient(fx0, fy0, fx1, fy1, fx2, fy2);
  const z0 = heightAt(p0x, p0y) / a;
  const z1 = heightAt(p1x, p1y) / a;
  const z2 = heightAt(p2x, p2y) / a;
  const lastX = gWidth - 1;
  const lastY = gHeight - 1;
  const seamless = gSeamless;
  let maxError: f64 = 0;
  let mx: i32 = 0;
  let my: i32 = 0;
  for (let y = minY; y <= maxY; y++) {
    let dx: f64 = 0;
    if (w00 < 0 && a12 != 0) dx = max(dx, floor<f64>(-w00 / a12));
    if (w01 < 0 && a20 != 0) dx = max(dx, floor<f64>(-w01 / a20));
    if (w02 < 0 && a01 != 0) dx = max(dx, floor<f64>(-w02 / a01));
    let w0 = w00 + a12 * dx;
    let w1 = w01 + a20 * dx;
    let w2 = w02 + a01 * dx;
    let wasInside = false;
    for (let x = minX + <i32>dx; x <= maxX; x++) {
      if (w0 >= 0 && w1 >= 0 && w2 >= 0) {
        wasInside = true;
        if (!seamless || (x != 0 && x != lastX && y != 0 && y != lastY)) {
          const z = z0 * w0 + z1 * w1 + z2 * w2;
          const dz = abs<f64>(z - heightAt(x, y));
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
  if ((mx == p0x && my == p0y) || (mx == p1x && my == p1y) || (mx == p2x && my == p2y)) maxError = 0;
  store<u32>(gCandidates + (<usize>t << 2), (<u32>my << 16) | <u32>mx);
  queuePush(t, maxError);
}

function flush(): void {
  for (let i = 0; i < pendingLen; i++) {
    const t = pendingAt(i);
    const e = t * 3;
    const a = tri(e);
    const b = tri(e + 1);
    const c = tri(e + 2);
    findCandidate(cx(a), cy(a), cx(b), cy(b), cx(c), cy(c), t);
  }
  pendingLen = 0;
}

// ---- priority queue: the package's max-heap, operation for operation ----

function queueSwap(i: i32, j: i32): void {
  const qi = gQueue + (<usize>i << 2);
  const qj = gQueue + (<usize>j << 2);
  const pi = load<i32>(qi);
  const pj = load<i32>(qj);
  store<i32>(qi, pj);
  store<i32>(qj, pi);
  setQIndex(pi, j);
  setQIndex(pj, i);
  const ei = gErrors + (<usize>i << 3);
  const ej = gErrors + (<usize>j << 3);
  const e = load<f64>(ei);
  store<f64>(ei, load<f64>(ej));
  store<f64>(ej, e);
}

// queueUp and queueDown move a hole instead of swapping at every level: the same comparisons, the
// same final positions as the package's swaps.

function queueUp(j0: i32): void {
  const q = gQueue;
  const errs = gErrors;
  const t = load<i32>(q + (<usize>j0 << 2));
  const e = load<f64>(errs + (<usize>j0 << 3));
  let j = j0;
  while (j > 0) {
    const i = (j - 1) >> 1;
    const ei = load<f64>(errs + (<usize>i << 3));
    if (!(e > ei)) break;
    const ti = load<i32>(q + (<usize>i << 2));
    store<i32>(q + (<usize>j << 2), ti);
    store<f64>(errs + (<usize>j << 3), ei);
    setQIndex(ti, j);
    j = i;
  }
  store<i32>(q + (<usize>j << 2), t);
  store<f64>(errs + (<usize>j << 3), e);
  setQIndex(t, j);
}

function queueDown(i0: i32, n: i32): bool {
  const q = gQueue;
  const errs = gErrors;
  const t = load<i32>(q + (<usize>i0 << 2));
  const e = load<f64>(errs + (<usize>i0 << 3));
  let i = i0;
  while (true) {
    const j1 = 2 * i + 1;
    if (j1 >= n || j1 < 0) break;
    // the larger child, the left one on ties (branch-free: the comparison is a coin toss; slot
    // n + 1 exists, the heap arrays hold 2n + 2 slots)
    const e1 = load<f64>(errs + (<usize>j1 << 3));
    const e2 = load<f64>(errs + (<usize>j1 << 3), 8);
    const j = j1 + <i32>((j1 + 1 < n) & (e2 > e1));
    const ej = load<f64>(errs + (<usize>j << 3));
    if (!(ej > e)) break;
    const tj = load<i32>(q + (<usize>j << 2));
    store<i32>(q + (<usize>i << 2), tj);
    store<f64>(errs + (<usize>i << 3), ej);
    setQIndex(tj, i);
    i = j;
  }
  store<i32>(q + (<usize>i << 2), t);
  store<f64>(errs + (<usize>i << 3), e);
  setQIndex(t, i);
  return i > i0;
}

function queuePush(t: i32, error: f64): void {
  const i = nQ++;
  setQIndex(t, i);
  store<i32>(gQueue + (<usize>i << 2), t);
  store<f64>(gErrors + (<usize>i << 3), error);
  queueUp(i);
}

function queuePopBack(): i32 {
  const t = qAt(--nQ);
  setQIndex(t, -1);
  return t;
}

function queuePop(): i32 {
  const n = nQ - 1;
  queueSwap(0, n);
  queueDown(0, n);
  return queuePopBack();
}

function queueRemove(t: i32): void {
  if (gBulk) return;
  const i = load<i32>(gQueueIndices + (<usize>t << 2));
  if (i < 0) {
    for (let k = 0; k < pendingLen; k++) {
      if (pendingAt(k) == t) {
        setPending(k, pendingAt(--pendingLen));
        return;
      }
    }
    broken = true;
    return;
  }
  const n = nQ - 1;
  if (n != i) {
    queueSwap(i, n);
    if (!queueDown(i, n)) queueUp(i);
  }
  queuePopBack();
}

// ---- seamless edge phase ----

/** Records the hull halfedges of the triangles made since the last call (all their -1 edges are hull). */
function collectHull(): void {
  for (let i = 0; i < pendingLen; i++) {
    const e = pendingAt(i) * 3;
    for (let k = 0; k < 3; k++) {
      if (half(e + k) < 0) store<i32>(gHullOut + (<usize>tri(e + k) << 2), e + k);
    }
  }
  pendingLen = 0;
}

/** |linear interpolation between (a, ha) and (b, hb) at i - hi| (the reference's edgeError). */
// @ts-ignore: decorator
@inline function edgeError(ha: f64, hb: f64, a: f64, b: f64, i: f64, hi: f64): f64 {
  return abs<f64>(ha + ((hb - ha) * (i - a)) / (b - a) - hi);
}

/**
 * One edge of n points, heights at data[base + i * stride], vertex ids v0, v1 at its ends.
 * fixed >= 0: the row y = fixed; -1: the column x = 0; -2: x = width - 1. The segment's hull
 * halfedge starts at its low end when hullFromLow, else at its high end.
 */
function edge(maxError: f64, n: i32, base: i32, stride: i32, v0: i32, v1: i32, fixed: i32, hullFromLow: bool): void {
  const data = gData;
  const vertexAt = gEdgeVertex;
  const stack = gStack;
  store<i32>(vertexAt, v0);
  store<i32>(vertexAt + (<usize>(n - 1) << 2), v1);
  store<i32>(stack, 0);
  store<i32>(stack, n - 1, 4);
  let sp = 1;
  while (sp > 0) {
    sp--;
    const a = load<i32>(stack + (<usize>sp << 3));
    const b = load<i32>(stack + (<usize>sp << 3), 4);
    if (b - a < 2) continue;
    const ha = <f64>load<f32>(data + (<usize>(base + a * stride) << 2));
    const hb = <f64>load<f32>(data + (<usize>(base + b * stride) << 2));
    const fa = <f64>a;
    const fb = <f64>b;
    let worst: f64 = 0;
    let at: i32 = -1;
    for (let i = a + 1; i < b; i++) {
      const err = edgeError(ha, hb, fa, fb, <f64>i, <f64>load<f32>(data + (<usize>(base + i * stride) << 2)));
      if (err > worst) {
        worst = err;
        at = i;
      }
    }
    if (at < 0 || !(worst > maxError)) continue;
    const x = fixed >= 0 ? at : fixed == -1 ? 0 : gWidth - 1;
    const y = fixed >= 0 ? fixed : at;
    const pn = addPoint(x, y);
    store<i32>(vertexAt + (<usize>at << 2), pn);
    const start = load<i32>(vertexAt + (<usize>(hullFromLow ? a : b) << 2));
    handleCollinear(pn, load<i32>(gHullOut + (<usize>start << 2)));
    collectHull();
    // right part below, left part on top: the left is finished first
    store<i32>(stack + (<usize>sp << 3), at);
    store<i32>(stack + (<usize>sp << 3), b, 4);
    store<i32>(stack + (<usize>(sp + 1) << 3), a);
    store<i32>(stack + (<usize>(sp + 1) << 3), at, 4);
    sp += 2;
  }
}

function init(): void {
  const x1 = gWidth - 1;
  const y1 = gHeight - 1;
  const p0 = addPoint(0, 0);
  const p1 = addPoint(x1, 0);
  const p2 = addPoint(0, y1);
  const p3 = addPoint(x1, y1);
  const t0 = addTriangle(p3, p0, p2, -1, -1, -1, nT3);
  addTriangle(p0, p3, p1, t0, -1, -1, nT3);
}

/**
 * Meshes the width x height f32 grid at `data` to `maxError` (mode 0 compat, 1 seamless). On success
 * writes to `info` (4 x u32): vertex count, triangle count, address of the vertices (u16 x, y pairs),
 * address of the triangles (u32 x 3 each), all in module memory until the next reset. The
 * rasteriser may read (and ignore) up to 8 bytes past the grid: allocate `info` right after it.
 */
export function delatin_mesh(data: usize, width: i32, height: i32, maxError: f64, mode: i32, info: usize): i32 {
  if (width < 2 || height < 2 || width > 65536 || height > 65536 || !(maxError >= 0) || mode < 0 || mode > 1) {
    return DELATIN_ERR_ARGS;
  }
  if (<u64>width * <u64>height * BYTES_PER_POINT > 0xf0000000) return DELATIN_ERR_SIZE;
  const n = <usize>width * <usize>height;
  const maxT: usize = (n << 1) + 2;
  gData = data;
  gWidth = width;
  gHeight = height;
  gSeamless = mode == 1;
  gBulk = false;
  gCoords = alloc(n << 2);
  gTriangles = alloc(maxT * 12);
  gHalfedges = alloc(maxT * 12);
  gCandidates = alloc(maxT << 2);
  gQueueIndices = alloc(maxT << 2);
  gQueue = alloc(maxT << 2);
  gErrors = alloc(maxT << 3);
  gPending = alloc(maxT << 2);
  nV = 0;
  nT3 = 0;
  nQ = 0;
  pendingLen = 0;
  broken = false;

  if (gSeamless) {
    const side = <usize>max(width, height);
    gHullOut = alloc(n << 2);
    gEdgeVertex = alloc(side << 2);
    gStack = alloc((side + 2) << 3);
    gBulk = true;
    init();
    collectHull();
    // vertex ids of the corners: 0 NW, 1 NE, 2 SW, 3 SE; the hull runs NW -> SW -> SE -> NE -> NW
    edge(maxError, width, 0, 1, 0, 1, 0, false); // north (i, 0)
    edge(maxError, width, width * (height - 1), 1, 2, 3, height - 1, true); // south (i, h-1)
    edge(maxError, height, 0, width, 0, 2, -1, true); // west (0, i)
    edge(maxError, height, width - 1, width, 1, 3, -2, false); // east (w-1, i)
    gBulk = false;
    const nt = nT3 / 3;
    for (let t = 0; t < nt; t++) setPending(t, t);
    pendingLen = nt;
    flush();
  } else {
    init();
    flush();
  }

  while (nQ > 0 && errAt(0) > maxError) {
    step();
    if (broken) return DELATIN_ERR_BROKEN;
    flush();
  }

  store<u32>(info, <u32>nV);
  store<u32>(info, <u32>(nT3 / 3), 4);
  store<u32>(info, <u32>gCoords, 8);
  store<u32>(info, <u32>gTriangles, 12);
  return DELATIN_OK;
}
