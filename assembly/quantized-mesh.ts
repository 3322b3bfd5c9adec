// quantized-mesh-1.0 encoder (https://github.com/CesiumGS/quantized-mesh): a triangle mesh on a height
// grid -> the tile's bytes. Mirrors test/kernels/reference/quantized-mesh.ts byte for byte; the glue
// (src/kernels/quantized-mesh.ts) supplies the sines and cosines of each grid column's longitude and
// each grid row's latitude (from this module's libm, libm.ts, so every engine gets the same), plus each
// column's u and each row's v. Everything else here is IEEE-exact arithmetic (+ - * / sqrt, round, min/max) in the
// reference's order of operations, so both give the same bits. (Where this file takes a shortcut the
// reference does not, e.g. comparing squared distances and taking one square root, the result is
// provably the same double.)
//
// Steps: (1) triangles made counter-clockwise in (u, v), vertices renumbered in first-use order
// (unused input vertices are dropped); (2) min/max height over the used vertices, heights quantised
// linearly between them; (3) ECEF positions of the decoded vertices (WGS84 radii as Cesium's, closed-form
// geodetic -> ECEF); (4) header: centre, heights, bounding sphere (Cesium's BoundingSphere.fromPoints,
// radius then widened to cover every vertex exactly), horizon occlusion point (Cesium's
// EllipsoidalOccluder.computeHorizonCullingPointFromVerticesPossiblyUnderEllipsoid with the tile's minimum
// height, direction = bounding sphere centre, its per-vertex magnitude 1 / cos(alpha + beta) evaluated
// with one square root and one division; NaN when undefined, which Cesium treats as never occluded;
// unlike Cesium, also undefined when any vertex lies beyond the horizon seen from every point along the
// direction, which only happens for tiles spanning tens of degrees); (5) u/v/height zig-zag deltas;
// (6) high-water-mark indices (16-bit up to 65536 vertices, else 32-bit after padding to 4 bytes);
// (7) edge lists W, S, E, N in (u, v) terms (S: v = 0), each sorted along its edge (v or u ascending);
// (8) extensions: 1 oct-encoded normals (area-weighted face normals in ECEF, pointing up, projected as
// Cesium's AttributeCompression.octEncodeInRange(v, 255)), 4 metadata.
//
// Speed (the encoder runs once per cold /mesh tile): the steps are fused or split by what V8 makes of
// them. The renumbering pass also writes the high-water codes (so step (6) is one copy) and gathers each
// output vertex's grid point, (u, v) and height in output order (so the later passes read memory in
// order); the passes over all vertices use f64x2 on two vertices at a time (SIMD lanes do the same IEEE
// arithmetic as scalar code, and max over a set does not depend on the order it is taken in); rounding
// avoids Math.round, whose f64 select V8 compiles to a branch that mispredicts every other vertex.

import { alloc } from './memory';

const A: f64 = 6378137.0; // WGS84, as Cesium's Ellipsoid.WGS84
const B: f64 = 6356752.3142451793;
const MAXQ: f64 = 32767.0;

/** Flag bits of qm_encode. */
const SPEC = 1; // v = 0 south (uv-counter-clockwise is geographically counter-clockwise); else kepler (v = 0 north)
const NORMALS = 2; // write extension 1

// Layout of the tables block (all f64, then u16):
//   [0..3] cos/sin of the centre's latitude, cos/sin of its longitude
//   cosLon[g], sinLon[g] (per grid column), cosLat[g], sinLat[g] (per grid row), u[g] (u16), v[g] (u16)

/** Errors (negative results). */
const ERR_INDEX = -1; // a triangle index >= vertexCount
const ERR_COORD = -2; // a vertex coordinate >= gridSize
const ERR_HEIGHT = -3; // a used vertex's height is NaN or infinite
const ERR_ARGS = -4;

const E2: f64 = (A * A - B * B) / (A * A); // first eccentricity squared
const ONE_MINUS_E2: f64 = 1.0 - E2;

const UNUSED: u32 = 0xffffffff; // output index of an input vertex no triangle has used yet

/** Prime vertical radius of curvature at a latitude given by its sine. */
// @ts-ignore: decorator
@inline function primeVertical(sinLat: f64): f64 {
  return A / Math.sqrt(1.0 - E2 * sinLat * sinLat);
}

/**
 * Geodetic -> ECEF: ((N + h) cosLat cosLon, (N + h) cosLat sinLon, (N (1 - e2) + h) sinLat) to dst,
 * dst + stride, dst + 2 stride.
 */
// @ts-ignore: decorator
@inline function ecef(N: f64, cosLat: f64, sinLat: f64, cosLon: f64, sinLon: f64, h: f64, dst: usize, stride: usize): void {
  const r = (N + h) * cosLat;
  store<f64>(dst, r * cosLon);
  store<f64>(dst + stride, r * sinLon);
  store<f64>(dst + 2 * stride, (N * ONE_MINUS_E2 + h) * sinLat);
}

// Vertex positions (ECEF) are stored by pairs of vertices, [x0 x1 y0 y1 z0 z1] (f64): one v128 load
// gives a coordinate of two vertices, and one vertex's coordinates stay within 48 bytes for the
// normals' random access. Vertex i's x is at posOf(pos, i), its y 16 bytes on, its z 32. An odd
// count's last pair repeats its vertex (see writeHeightsAndPositions).

// @ts-ignore: decorator
@inline function posOf(pos: usize, i: usize): usize {
  return pos + (i >> 1) * 48 + ((i & 1) << 3);
}

/**
 * <i32>Math.round(t) (JS rounding: halves up) for t within i32 range: Math.round's ceil(t) -
 * (ceil(t) - 0.5 > t), with the correction in integers. (Math.round's f64 select compiles to a branch
 * in V8 that mispredicts for every other value.)
 */
// @ts-ignore: decorator
@inline function roundHalfUp(t: f64): i32 {
  const c = Math.ceil(t);
  return <i32>c - <i32>(c - 0.5 > t);
}

// @ts-ignore: decorator
@inline function zigZag(d: i32): u16 {
  return <u16>((d << 1) ^ (d >> 31));
}

// @ts-ignore: decorator
@inline function storeIndex(p: usize, i: u32, wide: bool): usize {
  if (wide) {
    store<u32>(p, i);
    return p + 4;
  }
  store<u16>(p, <u16>i);
  return p + 2;
}

// What renumber gathers for each output vertex (in output order) besides its remap entry, as 6 u32 at
// `into`: the input's vertices and heights, gridSize, and the output arrays grid x | y << 16 (vxy),
// u | v << 16 (vuv), height (vh); then 3 f32, step (2)'s height range so far and the sum of h - h
// (NaN once a height is NaN or infinite). (In memory rather than arguments or locals: they are used
// only on a first use, and in the loop they would take registers.)
const INTO_VERTICES = 0, INTO_HEIGHTS = 4, INTO_G = 8, INTO_VXY = 12, INTO_VUV = 16, INTO_VH = 20;
const INTO_MIN = 24, INTO_MAX = 28, INTO_NAN = 32, INTO_BYTES = 36;

/** Records input vertex i (u | v << 16: q) as output vertex r (see INTO_*). */
// @ts-ignore: decorator
@inline function firstUse(i: u32, q: u32, r: u32, remap: usize, into: usize): void {
  store<u32>(remap + (<usize>i << 2), r);
  const xy = load<u32>(<usize>load<u32>(into, INTO_VERTICES) + (<usize>i << 2));
  const at = <usize>r << 2;
  store<u32>(<usize>load<u32>(into, INTO_VXY) + at, xy);
  store<u32>(<usize>load<u32>(into, INTO_VUV) + at, q);
  const h = load<f32>(<usize>load<u32>(into, INTO_HEIGHTS) + ((<usize>(xy >>> 16) * <usize>load<u32>(into, INTO_G) + <usize>(xy & 0xffff)) << 2));
  store<f32>(<usize>load<u32>(into, INTO_VH) + at, h);
  // (2): the first of the least and greatest heights (the first height beats the infinities)
  if (h < load<f32>(into, INTO_MIN)) store<f32>(into, h, INTO_MIN);
  if (h > load<f32>(into, INTO_MAX)) store<f32>(into, h, INTO_MAX);
  store<f32>(into, load<f32>(into, INTO_NAN) + (h - h), INTO_NAN);
}

/**
 * Step (1): winds every triangle counter-clockwise in (u, v) and numbers the vertices in first-use
 * order (see firstUse). Also writes step (6)'s high-water-mark indices to `codes` (C: u16 or u32): the
 * highest index so far + 1 is the count n of vertices numbered so far, so a code is n - index, 0 on a
 * first use. Returns the output vertex count, or ERR_INDEX.
 */
function renumber<C>(triangles: usize, nt: usize, nv: usize, uv: usize, remap: usize, codes: usize, into: usize): i32 {
  let n: u32 = 0;
  let pc = codes;
  const end = triangles + nt * 12;
  for (let pt = triangles; pt < end; pt += 12) {
    const a = load<u32>(pt);
    let b = load<u32>(pt, 4);
    let c = load<u32>(pt, 8);
    if (<usize>a >= nv || <usize>b >= nv || <usize>c >= nv) return ERR_INDEX;
    const qa = load<u32>(uv + (<usize>a << 2));
    let qb = load<u32>(uv + (<usize>b << 2));
    let qc = load<u32>(uv + (<usize>c << 2));
    // u, v < 2^15: the cross product fits in i32
    const ua = <i32>(qa & 0xffff), va = <i32>(qa >>> 16);
    const ub = <i32>(qb & 0xffff), vb = <i32>(qb >>> 16);
    const uc = <i32>(qc & 0xffff), vc = <i32>(qc >>> 16);
    const clockwise = (ub - ua) * (vc - va) - (vb - va) * (uc - ua) < 0;
    const s = b, qs = qb;
    b = select<u32>(c, b, clockwise);
    c = select<u32>(s, c, clockwise);
    qb = select<u32>(qc, qb, clockwise);
    qc = select<u32>(qs, qc, clockwise);
    // each corner's output index is read after the previous corner's first use is recorded (a
    // triangle may repeat a vertex)
    let r = load<u32>(remap + (<usize>a << 2));
    store<C>(pc, r == UNUSED ? 0 : <C>(n - r));
    if (r == UNUSED) firstUse(a, qa, n++, remap, into);
    r = load<u32>(remap + (<usize>b << 2));
    store<C>(pc, r == UNUSED ? 0 : <C>(n - r), sizeof<C>());
    if (r == UNUSED) firstUse(b, qb, n++, remap, into);
    r = load<u32>(remap + (<usize>c << 2));
    store<C>(pc, r == UNUSED ? 0 : <C>(n - r), 2 * sizeof<C>());
    if (r == UNUSED) firstUse(c, qc, n++, remap, into);
    pc += 3 * sizeof<C>();
  }
  return <i32>n;
}

/**
 * Step (5) for u and v (zig-zag deltas of the n packed u | v << 16 at vuv) and the edge vertices of
 * step (7) (see addEdgeVertex). Four vertices at a time: u and v are the i16 lanes of the packed words
 * (|delta| < 2^15, so the i16 differences and zig-zags are exact), a block without an edge vertex
 * skips the edge checks.
 */
function writeUVAndEdges(
  vuv: usize, vxy: usize, n: usize, g: usize, kepler: bool, uArr: usize, vArr: usize, edgeList: usize, edgeKey: usize, counts: usize,
): void {
  memory.fill(counts, 0, 16);
  const zero = i16x8.splat(0), max = i16x8.splat(32767);
  let previous = zero;
  const blocks = n >> 2;
  for (let k: usize = 0; k < blocks; k++) {
    const i = k << 2;
    const q = v128.load(vuv + (i << 2));
    // each word minus the one before it (the last of the previous block first)
    const d = i16x8.sub(q, i8x16.shuffle(previous, q, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
    const z = v128.xor(i16x8.shl(d, 1), i16x8.shr_s(d, 15));
    // u's (even lanes) to the low half, v's to the high half
    const uv = i8x16.shuffle(z, z, 0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15);
    v128.store64_lane(uArr + (i << 1), uv, 0);
    v128.store64_lane(vArr + (i << 1), uv, 1);
    if (v128.any_true(v128.or(i16x8.eq(q, zero), i16x8.eq(q, max)))) {
      for (let j = i; j < i + 4; j++) addEdgeVertex(j, vuv, vxy, n, g, kepler, edgeList, edgeKey, counts);
    }
    previous = q;
  }
  for (let i = blocks << 2; i < n; i++) {
    const q = load<u32>(vuv + (i << 2));
    const p = i == 0 ? 0 : load<u32>(vuv + ((i - 1) << 2));
    store<u16>(uArr + (i << 1), zigZag(<i32>(q & 0xffff) - <i32>(p & 0xffff)));
    store<u16>(vArr + (i << 1), zigZag(<i32>(q >>> 16) - <i32>(p >>> 16)));
    addEdgeVertex(i, vuv, vxy, n, g, kepler, edgeList, edgeKey, counts);
  }
}

/**
 * Lists output vertex i if it lies on an edge: W (u = 0), S (v = 0), E (u = max), N (v = max) (lists
 * in output order), each with its rank along the edge (v ascending is y ascending in kepler
 * orientation, descending in spec): list k at edgeList + 4 k n, keys at edgeKey + 4 k n, its length
 * at counts + 4 k (u32).
 */
// @ts-ignore: decorator
@inline function addEdgeVertex(
  i: usize, vuv: usize, vxy: usize, n: usize, g: usize, kepler: bool, edgeList: usize, edgeKey: usize, counts: usize,
): void {
  const q = load<u32>(vuv + (i << 2));
  const u = q & 0xffff;
  const v = q >>> 16;
  if (u == 0 || u == 32767) {
    const y = <usize>load<u16>(vxy + (i << 2), 2);
    const k: usize = u == 0 ? 0 : 2;
    const e = k * n + <usize>load<u32>(counts + (k << 2));
    store<u32>(counts + (k << 2), load<u32>(counts + (k << 2)) + 1);
    store<u32>(edgeList + (e << 2), <u32>i);
    store<u32>(edgeKey + (e << 2), <u32>(kepler ? y : g - 1 - y));
  }
  if (v == 0 || v == 32767) {
    const k: usize = v == 0 ? 1 : 3;
    const e = k * n + <usize>load<u32>(counts + (k << 2));
    store<u32>(counts + (k << 2), load<u32>(counts + (k << 2)) + 1);
    store<u32>(edgeList + (e << 2), <u32>i);
    store<u32>(edgeKey + (e << 2), <u32>load<u16>(vxy + (i << 2)));
  }
}

/**
 * Steps (2) + (3) + (5) for heights: each of the n output vertices' height quantised between lo and
 * lo + span (zig-zag deltas to hArr), decoded, and its ECEF position (pos, see posOf). Two vertices at
 * a time in f64x2 lanes (the table values gathered lane by lane); the last of an odd count alone.
 */
function writeHeightsAndPositions(vxy: usize, vh: usize, n: usize, lo: f64, span: f64, tables: usize, g: usize, hArr: usize, pos: usize): void {
  const cosLon = tables + 32;
  const sinLon = cosLon + (g << 3);
  const cosLat = sinLon + (g << 3);
  const sinLat = cosLat + (g << 3);
  const primeN = alloc(g << 3); // N per grid row
  for (let y: usize = 0; y < g; y++) store<f64>(primeN + (y << 3), primeVertical(load<f64>(sinLat + (y << 3))));
  const quantise = span > 0;
  const LO = f64x2.splat(lo), SPAN = f64x2.splat(span), Q = f64x2.splat(MAXQ);
  const HALF = f64x2.splat(0.5), ONE = f64x2.splat(1.0), K = f64x2.splat(ONE_MINUS_E2);
  let ph: i32 = 0;
  const pairs = n >> 1;
  for (let k: usize = 0; k < pairs; k++) {
    const i = k << 1;
    const h = f64x2.promote_low_f32x4(v128.load64_zero(vh + (i << 2)));
    // roundHalfUp in lanes: ceil(t) - (ceil(t) - 0.5 > t ? 1 : 0), an integer 0..32767
    let hq = f64x2.splat(0);
    if (quantise) {
      const t = f64x2.mul(f64x2.div(f64x2.sub(h, LO), SPAN), Q);
      const c = f64x2.ceil(t);
      hq = f64x2.sub(c, v128.and(f64x2.gt(f64x2.sub(c, HALF), t), ONE));
    }
    const hq0 = <i32>f64x2.extract_lane(hq, 0), hq1 = <i32>f64x2.extract_lane(hq, 1);
    store<u16>(hArr + (i << 1), zigZag(hq0 - ph));
    store<u16>(hArr + (i << 1), zigZag(hq1 - hq0), 2);
    ph = hq1;
    const hd = f64x2.add(LO, f64x2.mul(f64x2.div(hq, Q), SPAN));
    const xy0 = load<u32>(vxy + (i << 2)), xy1 = load<u32>(vxy + (i << 2), 4);
    const x0 = <usize>(xy0 & 0xffff) << 3, y0 = <usize>(xy0 >>> 16) << 3;
    const x1 = <usize>(xy1 & 0xffff) << 3, y1 = <usize>(xy1 >>> 16) << 3;
    const N = gather(primeN + y0, primeN + y1);
    const r = f64x2.mul(f64x2.add(N, hd), gather(cosLat + y0, cosLat + y1));
    const q = pos + k * 48;
    v128.store(q, f64x2.mul(r, gather(cosLon + x0, cosLon + x1)));
    v128.store(q, f64x2.mul(r, gather(sinLon + x0, sinLon + x1)), 16);
    v128.store(q, f64x2.mul(f64x2.add(f64x2.mul(N, K), hd), gather(sinLat + y0, sinLat + y1)), 32);
  }
  if ((n & 1) != 0) {
    // the last vertex of an odd count, also in its pair's second lane (which changes no extreme, as
    // ties keep the lower index, no maximum and no test of the passes over whole pairs)
    const i = n - 1;
    const xy = load<u32>(vxy + (i << 2));
    const x = <usize>(xy & 0xffff) << 3;
    const y = <usize>(xy >>> 16) << 3;
    const h = <f64>load<f32>(vh + (i << 2));
    const hq = quantise ? roundHalfUp(((h - lo) / span) * MAXQ) : 0;
    store<u16>(hArr + (i << 1), zigZag(hq - ph));
    const hd = lo + (<f64>hq / MAXQ) * span;
    const p = posOf(pos, i);
    ecef(load<f64>(primeN + y), load<f64>(cosLat + y), load<f64>(sinLat + y), load<f64>(cosLon + x), load<f64>(sinLon + x), hd, p, 16);
    store<f64>(p, load<f64>(p), 8);
    store<f64>(p, load<f64>(p, 16), 24);
    store<f64>(p, load<f64>(p, 32), 40);
  }
}

/** The f64 at p and the f64 at q as the lanes of a v128. */
// @ts-ignore: decorator
@inline function gather(p: usize, q: usize): v128 {
  return v128.load64_lane(q, v128.load64_zero(p), 1);
}

/**
 * The indices of the first points with the least and greatest x, y and z among the n >= 1 positions
 * (as fromPoints' scan), to dst: 6 u32, xMin xMax yMin yMax zMin zMax. One coordinate at a time (few
 * enough values to stay in registers).
 */
function findExtremes(pos: usize, n: usize, dst: usize): void {
  axisExtremes(pos, n, 0, dst);
  axisExtremes(pos, n, 16, dst + 8);
  axisExtremes(pos, n, 32, dst + 16);
}

/**
 * The indices of the first points with the least and greatest coordinate at `offset` (0: x, 16: y, 32:
 * z; see posOf) to dst (2 u32). Each lane keeps its first extreme; of the two lanes', the extreme value
 * wins, or on a tie the lower index. Positions are finite, so the first pair beats the infinities.
 */
function axisExtremes(pos: usize, n: usize, offset: usize, dst: usize): void {
  let least = f64x2.splat(Infinity), greatest = f64x2.splat(-Infinity);
  let iLeast = i64x2.splat(0), iGreatest = i64x2.splat(0);
  let index = i64x2(0, 1);
  const two = i64x2.splat(2);
  const pairs = (n + 1) >> 1;
  for (let k: usize = 0; k < pairs; k++) {
    const v = v128.load(pos + k * 48 + offset);
    let m = f64x2.lt(v, least);
    least = v128.bitselect(v, least, m);
    iLeast = v128.bitselect(index, iLeast, m);
    m = f64x2.gt(v, greatest);
    greatest = v128.bitselect(v, greatest, m);
    iGreatest = v128.bitselect(index, iGreatest, m);
    index = i64x2.add(index, two);
  }
  store<u32>(dst, laneExtreme(least, iLeast, false));
  store<u32>(dst, laneExtreme(greatest, iGreatest, true), 4);
}

/** Of two lanes' (value, index) extremes, the index of the least (greatest) value, the lower index on a tie. */
// @ts-ignore: decorator
@inline function laneExtreme(v: v128, index: v128, greatest: bool): u32 {
  const v0 = f64x2.extract_lane(v, 0), v1 = f64x2.extract_lane(v, 1);
  const i0 = <u32>i64x2.extract_lane(index, 0), i1 = <u32>i64x2.extract_lane(index, 1);
  const second = greatest ? v1 > v0 : v1 < v0;
  return second || (v1 == v0 && i1 < i0) ? i1 : i0;
}

/**
 * Cesium's BoundingSphere.fromPoints over the n >= 1 positions at pos, given the indices of the first
 * points with the least and greatest x, y and z (findExtremes): writes the centre and radius at dst.
 * The radius is not yet widened (see coverAndOcclude).
 */
function fromPoints(pos: usize, n: usize, extremes: usize, dst: usize): void {
  const xMin = posOf(pos, load<u32>(extremes)), xMax = posOf(pos, load<u32>(extremes, 4));
  const yMin = posOf(pos, load<u32>(extremes, 8)), yMax = posOf(pos, load<u32>(extremes, 12));
  const zMin = posOf(pos, load<u32>(extremes, 16)), zMax = posOf(pos, load<u32>(extremes, 20));
  const xSpan = distanceSquared(xMax, xMin);
  const ySpan = distanceSquared(yMax, yMin);
  const zSpan = distanceSquared(zMax, zMin);
  let d1 = xMin, d2 = xMax;
  let maxSpan = xSpan;
  if (ySpan > maxSpan) {
    maxSpan = ySpan;
    d1 = yMin; d2 = yMax;
  }
  if (zSpan > maxSpan) {
    maxSpan = zSpan;
    d1 = zMin; d2 = zMax;
  }
  const ritter = alloc(40);
  const rx = (load<f64>(d1) + load<f64>(d2)) * 0.5, ry = (load<f64>(d1, 16) + load<f64>(d2, 16)) * 0.5, rz = (load<f64>(d1, 32) + load<f64>(d2, 32)) * 0.5;
  const dx = load<f64>(d2) - rx, dy = load<f64>(d2, 16) - ry, dz = load<f64>(d2, 32) - rz;
  const radiusSquared = dx * dx + dy * dy + dz * dz;
  store<f64>(ritter, rx); store<f64>(ritter, ry, 8); store<f64>(ritter, rz, 16);
  store<f64>(ritter, Math.sqrt(radiusSquared), 24); store<f64>(ritter, radiusSquared, 32);
  const nx = (load<f64>(xMin) + load<f64>(xMax)) * 0.5, ny = (load<f64>(yMin, 16) + load<f64>(yMax, 16)) * 0.5, nz = (load<f64>(zMin, 32) + load<f64>(zMax, 32)) * 0.5;
  // The naive radius is the largest distance: sqrt of the largest squared distance (sqrt is monotonic;
  // squared distances are never NaN, so pmax is the scan's `if (r2 > naive2)`). Ritter's sphere grows
  // for a point outside it, which is rare: both points of a pair are checked against the current
  // sphere at once, and a pair with a point outside goes through ritterAdd in order.
  const NX = f64x2.splat(nx), NY = f64x2.splat(ny), NZ = f64x2.splat(nz);
  let RX = f64x2.splat(rx), RY = f64x2.splat(ry), RZ = f64x2.splat(rz), R2 = f64x2.splat(radiusSquared);
  let naive2 = f64x2.splat(0);
  const pairs = n >> 1;
  for (let k: usize = 0; k < pairs; k++) {
    const q = pos + k * 48;
    const x = v128.load(q), y = v128.load(q, 16), z = v128.load(q, 32);
    let ex = f64x2.sub(x, NX), ey = f64x2.sub(y, NY), ez = f64x2.sub(z, NZ);
    naive2 = f64x2.pmax(naive2, f64x2.add(f64x2.add(f64x2.mul(ex, ex), f64x2.mul(ey, ey)), f64x2.mul(ez, ez)));
    ex = f64x2.sub(x, RX);
    ey = f64x2.sub(y, RY);
    ez = f64x2.sub(z, RZ);
    const r2 = f64x2.add(f64x2.add(f64x2.mul(ex, ex), f64x2.mul(ey, ey)), f64x2.mul(ez, ez));
    if (v128.any_true(f64x2.gt(r2, R2))) {
      ritterAdd(ritter, f64x2.extract_lane(x, 0), f64x2.extract_lane(y, 0), f64x2.extract_lane(z, 0));
      ritterAdd(ritter, f64x2.extract_lane(x, 1), f64x2.extract_lane(y, 1), f64x2.extract_lane(z, 1));
      RX = f64x2.splat(load<f64>(ritter));
      RY = f64x2.splat(load<f64>(ritter, 8));
      RZ = f64x2.splat(load<f64>(ritter, 16));
      R2 = f64x2.splat(load<f64>(ritter, 32));
    }
  }
  let naiveMax = Math.max(f64x2.extract_lane(naive2, 0), f64x2.extract_lane(naive2, 1));
  if ((n & 1) != 0) {
    // the last vertex of an odd count (its pair's second lane repeats it)
    const p = posOf(pos, n - 1);
    const x = load<f64>(p), y = load<f64>(p, 16), z = load<f64>(p, 32);
    const ex = x - nx, ey = y - ny, ez = z - nz;
    const r2 = ex * ex + ey * ey + ez * ez;
    if (r2 > naiveMax) naiveMax = r2;
    ritterAdd(ritter, x, y, z);
  }
  const naiveRadius = Math.sqrt(naiveMax);
  const ritterRadius = load<f64>(ritter, 24);
  if (ritterRadius < naiveRadius) {
    memory.copy(dst, ritter, 32);
  } else {
    store<f64>(dst, nx); store<f64>(dst, ny, 8); store<f64>(dst, nz, 16); store<f64>(dst, naiveRadius, 24);
  }
}

/**
 * One step of Ritter's scan: grows the sphere at s (centre x, y, z, radius, radius squared: f64) to
 * take in point (x, y, z) if it lies outside, as Cesium's BoundingSphere.fromPoints.
 */
function ritterAdd(s: usize, x: f64, y: f64, z: f64): void {
  const rx = load<f64>(s), ry = load<f64>(s, 8), rz = load<f64>(s, 16);
  const dx = x - rx, dy = y - ry, dz = z - rz;
  const oldCenterToPointSquared = dx * dx + dy * dy + dz * dz;
  if (oldCenterToPointSquared > load<f64>(s, 32)) {
    const oldCenterToPoint = Math.sqrt(oldCenterToPointSquared);
    const ritterRadius = (load<f64>(s, 24) + oldCenterToPoint) * 0.5;
    const oldToNew = oldCenterToPoint - ritterRadius;
    store<f64>(s, (ritterRadius * rx + oldToNew * x) / oldCenterToPoint);
    store<f64>(s, (ritterRadius * ry + oldToNew * y) / oldCenterToPoint, 8);
    store<f64>(s, (ritterRadius * rz + oldToNew * z) / oldCenterToPoint, 16);
    store<f64>(s, ritterRadius, 24);
    store<f64>(s, ritterRadius * ritterRadius, 32);
  }
}

/** Squared distance between the positions at p and q. */
// @ts-ignore: decorator
@inline function distanceSquared(p: usize, q: usize): f64 {
  const dx = load<f64>(p) - load<f64>(q), dy = load<f64>(p, 16) - load<f64>(q, 16), dz = load<f64>(p, 32) - load<f64>(q, 32);
  return dx * dx + dy * dy + dz * dz;
}

/**
 * One pass over the n positions for the two header fields that need the bounding sphere's centre
 * (out + 32): the radius (out + 56) widened to cover every vertex despite rounding in Ritter's
 * updates, and the horizon occlusion point (out + 64), for a tile whose lowest height is lo.
 * (When fromPoints chose the naive centre, its radius already is the largest distance: no change.)
 */
function coverAndOcclude(pos: usize, n: usize, lo: f64, out: usize): void {
  const cx = load<f64>(out, 32), cy = load<f64>(out, 40), cz = load<f64>(out, 48);
  // horizon occlusion point, in the (possibly shrunk) ellipsoid's scaled space. Per vertex s (scaled),
  // with m2 = |s|^2, sd = s.d, c2 = |s x d|^2, Cesium's 1 / (cosA cosB - sinA sinB) is
  // m2 / (sd - sqrt(c2 (m2 - 1))) above the ellipsoid and |s| / sd on or below it (clamped to it)
  let ra: f64 = A, rb: f64 = B;
  if (lo < 0 && B > -lo) {
    ra = A + lo;
    rb = B + lo;
  }
  const oa = 1.0 / ra, ob = 1.0 / rb;
  let sx = cx * oa, sy = cy * oa, sz = cz * ob;
  if (sx != 0 || sy != 0 || sz != 0) {
    const m = Math.sqrt(sx * sx + sy * sy + sz * sz);
    sx = sx / m;
    sy = sy / m;
    sz = sz / m;
  }
  const CX = f64x2.splat(cx), CY = f64x2.splat(cy), CZ = f64x2.splat(cz);
  const OA = f64x2.splat(oa), OB = f64x2.splat(ob);
  const SX = f64x2.splat(sx), SY = f64x2.splat(sy), SZ = f64x2.splat(sz);
  const ONE = f64x2.splat(1.0);
  // squared distances are never NaN: pmax is `if (r2 > far2)`. pmax is also Math.max for the
  // candidates whenever it matters: unless each is > 0 (so not NaN, nor -0), no point is given
  let far2 = f64x2.splat(0);
  let mag = f64x2.splat(0);
  let notPositive = v128.splat<i64>(0);
  const pairs = (n + 1) >> 1;
  for (let k: usize = 0; k < pairs; k++) {
    const q = pos + k * 48;
    const x = v128.load(q), y = v128.load(q, 16), z = v128.load(q, 32);
    const dx = f64x2.sub(x, CX), dy = f64x2.sub(y, CY), dz = f64x2.sub(z, CZ);
    far2 = f64x2.pmax(far2, f64x2.add(f64x2.add(f64x2.mul(dx, dx), f64x2.mul(dy, dy)), f64x2.mul(dz, dz)));
    const px = f64x2.mul(x, OA), py = f64x2.mul(y, OA), pz = f64x2.mul(z, OB);
    const m2 = f64x2.add(f64x2.add(f64x2.mul(px, px), f64x2.mul(py, py)), f64x2.mul(pz, pz));
    let candidate: v128;
    if (v128.all_true<i64>(f64x2.gt(m2, ONE))) {
      const sd = f64x2.add(f64x2.add(f64x2.mul(px, SX), f64x2.mul(py, SY)), f64x2.mul(pz, SZ));
      const wx = f64x2.sub(f64x2.mul(py, SZ), f64x2.mul(pz, SY));
      const wy = f64x2.sub(f64x2.mul(pz, SX), f64x2.mul(px, SZ));
      const wz = f64x2.sub(f64x2.mul(px, SY), f64x2.mul(py, SX));
      const c2 = f64x2.add(f64x2.add(f64x2.mul(wx, wx), f64x2.mul(wy, wy)), f64x2.mul(wz, wz));
      candidate = f64x2.div(m2, f64x2.sub(sd, f64x2.sqrt(f64x2.mul(c2, f64x2.sub(m2, ONE)))));
    } else {
      // a vertex on or below the ellipsoid (rare): both the scalar way
      candidate = f64x2(
        horizonCandidate(f64x2.extract_lane(px, 0), f64x2.extract_lane(py, 0), f64x2.extract_lane(pz, 0), sx, sy, sz),
        horizonCandidate(f64x2.extract_lane(px, 1), f64x2.extract_lane(py, 1), f64x2.extract_lane(pz, 1), sx, sy, sz),
      );
    }
    // Cesium's max() would skip a vertex beyond the horizon of every point along the direction
    // (candidate <= 0); then no point occludes the tile, so none is given
    notPositive = v128.or(notPositive, v128.not(f64x2.gt(candidate, f64x2.splat(0))));
    mag = f64x2.pmax(mag, candidate);
  }
  const farthest = Math.sqrt(Math.max(f64x2.extract_lane(far2, 0), f64x2.extract_lane(far2, 1)));
  store<f64>(out, Math.max(load<f64>(out, 56), farthest), 56);
  const m = Math.max(f64x2.extract_lane(mag, 0), f64x2.extract_lane(mag, 1));
  if (v128.any_true(notPositive) || m <= 0 || m == Infinity || m != m) {
    store<f64>(out, NaN, 64);
    store<f64>(out, NaN, 72);
    store<f64>(out, NaN, 80);
  } else {
    store<f64>(out, sx * m, 64);
    store<f64>(out, sy * m, 72);
    store<f64>(out, sz * m, 80);
  }
}

/** The horizon magnitude of scaled point (px, py, pz) for direction (sx, sy, sz) (see coverAndOcclude). */
// @ts-ignore: decorator
@inline function horizonCandidate(px: f64, py: f64, pz: f64, sx: f64, sy: f64, sz: f64): f64 {
  const m2 = px * px + py * py + pz * pz;
  const sd = px * sx + py * sy + pz * sz;
  if (m2 > 1.0) {
    const wx = py * sz - pz * sy, wy = pz * sx - px * sz, wz = px * sy - py * sx;
    return m2 / (sd - Math.sqrt((wx * wx + wy * wy + wz * wz) * (m2 - 1.0)));
  }
  return Math.sqrt(m2) / sd;
}

/**
 * Writes one edge list at p: u32 count, then the k output indices in `list`, stably sorted by their
 * `keys` (grid coordinates < g, the rank along the edge), by counting.
 */
function writeEdge(p: usize, list: usize, keys: usize, k: usize, g: usize, counts: usize, tmp: usize, wide: bool): usize {
  memory.fill(counts, 0, (g + 1) << 2);
  for (let j: usize = 0; j < k; j++) {
    const c = counts + ((<usize>load<u32>(keys + (j << 2)) + 1) << 2);
    store<u32>(c, load<u32>(c) + 1);
  }
  for (let j: usize = 1; j <= g; j++) store<u32>(counts + (j << 2), load<u32>(counts + (j << 2)) + load<u32>(counts + ((j - 1) << 2)));
  for (let j: usize = 0; j < k; j++) {
    const c = counts + (<usize>load<u32>(keys + (j << 2)) << 2);
    const slot = load<u32>(c);
    store<u32>(c, slot + 1);
    store<u32>(tmp + (<usize>slot << 2), load<u32>(list + (j << 2)));
  }
  store<u32>(p, <u32>k);
  p += 4;
  for (let j: usize = 0; j < k; j++) p = storeIndex(p, load<u32>(tmp + (j << 2)), wide);
  return p;
}

/**
 * Step (8)'s area-weighted face normals summed per vertex (acc: laid out as positions, see posOf;
 * zeroed), the triangles read back from their high-water codes (C: u16 or u32). sign: -1 where
 * uv-counter-clockwise triangles face down.
 */
function accumulateNormals<C>(codes: usize, nt: usize, pos: usize, acc: usize, sign: f64): void {
  let highest: usize = 0;
  for (let t: usize = 0; t < nt; t++) {
    const p = codes + t * 3 * sizeof<C>();
    let code = <usize>load<C>(p);
    const ia = highest - code;
    highest += <usize>(code == 0);
    code = <usize>load<C>(p + sizeof<C>());
    const ib = highest - code;
    highest += <usize>(code == 0);
    code = <usize>load<C>(p + 2 * sizeof<C>());
    const ic = highest - code;
    highest += <usize>(code == 0);
    const pa = posOf(pos, ia), pb = posOf(pos, ib), pc = posOf(pos, ic);
    const ax = load<f64>(pa), ay = load<f64>(pa, 16), az = load<f64>(pa, 32);
    const e1x = load<f64>(pb) - ax, e1y = load<f64>(pb, 16) - ay, e1z = load<f64>(pb, 32) - az;
    const e2x = load<f64>(pc) - ax, e2y = load<f64>(pc, 16) - ay, e2z = load<f64>(pc, 32) - az;
    const fx = (e1y * e2z - e1z * e2y) * sign;
    const fy = (e1z * e2x - e1x * e2z) * sign;
    const fz = (e1x * e2y - e1y * e2x) * sign;
    let q = posOf(acc, ia);
    store<f64>(q, load<f64>(q) + fx); store<f64>(q, load<f64>(q, 16) + fy, 16); store<f64>(q, load<f64>(q, 32) + fz, 32);
    q = posOf(acc, ib);
    store<f64>(q, load<f64>(q) + fx); store<f64>(q, load<f64>(q, 16) + fy, 16); store<f64>(q, load<f64>(q, 32) + fz, 32);
    q = posOf(acc, ic);
    store<f64>(q, load<f64>(q) + fx); store<f64>(q, load<f64>(q, 16) + fy, 16); store<f64>(q, load<f64>(q, 32) + fz, 32);
  }
}

/**
 * Step (8)'s oct encoding of the n summed normals at acc (laid out as positions, see posOf; an odd
 * count's last pair holds zeros in its second lane) to p, 2 bytes each: Cesium's
 * AttributeCompression.octEncodeInRange(v, 255), which divides by the L1 norm (the sum need not be
 * normalised first). Two vertices at a time in f64x2 lanes. (The quotients are within [-1, 1], so
 * toSNorm's clamps never act; pmax/pmin are those clamps anyway.)
 */
function writeOctNormals(acc: usize, n: usize, vxy: usize, tables: usize, g: usize, p: usize): void {
  const ZERO = f64x2.splat(0), ONE = f64x2.splat(1.0), MINUS_ONE = f64x2.splat(-1.0), INF = f64x2.splat(Infinity);
  const pairs = (n + 1) >> 1;
  for (let k: usize = 0; k < pairs; k++) {
    const q = acc + k * 48;
    let x = v128.load(q), y = v128.load(q, 16), z = v128.load(q, 32);
    let l1 = f64x2.add(f64x2.add(f64x2.abs(x), f64x2.abs(y)), f64x2.abs(z));
    const degenerate = v128.or(v128.not(f64x2.gt(l1, ZERO)), f64x2.eq(l1, INF));
    if (v128.any_true(degenerate)) {
      // only degenerate faces: the ellipsoid's surface normal instead
      const last = (k << 1) + 2 < n ? (k << 1) + 2 : n;
      for (let i = k << 1; i < last; i++) replaceDegenerate(acc, i, vxy, tables, g);
      x = v128.load(q);
      y = v128.load(q, 16);
      z = v128.load(q, 32);
      l1 = f64x2.add(f64x2.add(f64x2.abs(x), f64x2.abs(y)), f64x2.abs(z));
    }
    let ox = f64x2.div(x, l1), oy = f64x2.div(y, l1);
    const below = f64x2.lt(z, ZERO);
    if (v128.any_true(below)) {
      // folded: (1 - |oy|) * signNotZero(ox), (1 - |ox|) * signNotZero(oy)
      const fx = f64x2.mul(f64x2.sub(ONE, f64x2.abs(oy)), v128.bitselect(MINUS_ONE, ONE, f64x2.lt(ox, ZERO)));
      const fy = f64x2.mul(f64x2.sub(ONE, f64x2.abs(ox)), v128.bitselect(MINUS_ONE, ONE, f64x2.lt(oy, ZERO)));
      ox = v128.bitselect(fx, ox, below);
      oy = v128.bitselect(fy, oy, below);
    }
    // bytes x0 y0 x1 y1
    const bytes = i8x16.shuffle(toSNorm(ox), toSNorm(oy), 0, 16, 4, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    if ((k << 1) + 1 < n) v128.store32_lane(p + (k << 2), bytes, 0);
    else v128.store16_lane(p + (k << 2), bytes, 0);
  }
}

/** The summed normal of output vertex i, if it has no direction (only degenerate faces): the ellipsoid's surface normal instead. */
function replaceDegenerate(acc: usize, i: usize, vxy: usize, tables: usize, g: usize): void {
  const q = posOf(acc, i);
  const l1 = Math.abs(load<f64>(q)) + Math.abs(load<f64>(q, 16)) + Math.abs(load<f64>(q, 32));
  if (l1 > 0 && l1 != Infinity) return;
  const cosLon = tables + 32;
  const sinLon = cosLon + (g << 3);
  const cosLat = sinLon + (g << 3);
  const sinLat = cosLat + (g << 3);
  const x = <usize>load<u16>(vxy + (i << 2)) << 3;
  const y = <usize>load<u16>(vxy + (i << 2), 2) << 3;
  const cl = load<f64>(cosLat + y);
  store<f64>(q, cl * load<f64>(cosLon + x));
  store<f64>(q, cl * load<f64>(sinLon + x), 16);
  store<f64>(q, load<f64>(sinLat + y), 32);
}

/**
 * Cesium's CesiumMath.toSNorm(v, 255) in both lanes, as i32 lanes 0 and 1: roundHalfUp((v * 0.5 +
 * 0.5) * 255) after clamping v to [-1, 1].
 */
// @ts-ignore: decorator
@inline function toSNorm(v: v128): v128 {
  const half = f64x2.splat(0.5);
  const t = f64x2.mul(f64x2.add(f64x2.mul(f64x2.pmin(f64x2.pmax(v, f64x2.splat(-1.0)), f64x2.splat(1.0)), half), half), f64x2.splat(255.0));
  const c = f64x2.ceil(t);
  return i32x4.trunc_sat_f64x2_s_zero(f64x2.sub(c, v128.and(f64x2.gt(f64x2.sub(c, half), t), f64x2.splat(1.0))));
}

/**
 * Encodes the mesh into `out` (sized by the glue for the worst case) and returns the byte length,
 * or a negative error. `vertices`: vertexCount (x, y) u16 pairs on the grid; `triangles`:
 * triangleCount * 3 u32 indices; `heights`: gridSize^2 f32, row-major, row 0 north; `tables`: see
 * above; `meta`: metaLen bytes of JSON for extension 4 (metaLen < 0: no extension 4).
 */
export function qm_encode(
  vertices: usize, vertexCount: i32, triangles: usize, triangleCount: i32, heights: usize, gridSize: i32,
  tables: usize, flags: i32, meta: usize, metaLen: i32, out: usize,
): i32 {
  if (vertexCount < 0 || triangleCount < 0 || gridSize < 2) return ERR_ARGS;
  const g = <usize>gridSize;
  const nv = <usize>vertexCount;
  const nt = <usize>triangleCount;
  const kepler = (flags & SPEC) == 0;
  const colU = tables + 32 + (g << 5);
  const rowV = colU + (g << 1);

  // (u, v) of every input vertex, packed u | v << 16; checks the coordinates
  const uv = alloc(nv << 2);
  for (let i: usize = 0; i < nv; i++) {
    const x = <usize>load<u16>(vertices + (i << 2));
    const y = <usize>load<u16>(vertices + (i << 2), 2);
    if (x >= g || y >= g) return ERR_COORD;
    store<u32>(uv + (i << 2), <u32>load<u16>(colU + (x << 1)) | (<u32>load<u16>(rowV + (y << 1)) << 16));
  }

  // (1) winding and first-use renumbering, with the high-water codes of (6) (to a scratch buffer: the
  // index section's offset depends on the vertex count). They are u16 unless 65536 or more vertices
  // may be used (a code reaches 65536 once 65536 vertices are; u32 codes are narrowed in (6) if n <=
  // 65536, truncated as the format's 16-bit indices are, while the normals read them whole)
  const remap = alloc(nv << 2);
  memory.fill(remap, 0xff, nv << 2);
  const maxOut = nv < nt * 3 ? nv : nt * 3;
  const wideCodes = maxOut >= 65536;
  const codes = alloc(nt * (wideCodes ? 12 : 6));
  const vxy = alloc(maxOut << 2);
  const vuv = alloc(maxOut << 2);
  const vh = alloc(maxOut << 2);
  const into = alloc(INTO_BYTES);
  store<u32>(into, <u32>vertices, INTO_VERTICES);
  store<u32>(into, <u32>heights, INTO_HEIGHTS);
  store<u32>(into, <u32>g, INTO_G);
  store<u32>(into, <u32>vxy, INTO_VXY);
  store<u32>(into, <u32>vuv, INTO_VUV);
  store<u32>(into, <u32>vh, INTO_VH);
  store<f32>(into, Infinity, INTO_MIN);
  store<f32>(into, -Infinity, INTO_MAX);
  store<f32>(into, 0, INTO_NAN);
  const counted = wideCodes
    ? renumber<u32>(triangles, nt, nv, uv, remap, codes, into)
    : renumber<u16>(triangles, nt, nv, uv, remap, codes, into);
  if (counted < 0) return counted;
  const n = <usize>counted;

  // (2) height range of the used vertices (found by renumber; 0 when there are none)
  if (load<f32>(into, INTO_NAN) != 0) return ERR_HEIGHT;
  const minH: f32 = n > 0 ? load<f32>(into, INTO_MIN) : 0;
  const maxH: f32 = n > 0 ? load<f32>(into, INTO_MAX) : 0;
  const lo = <f64>minH;
  const span = <f64>maxH - lo;

  // (3) + (5) vertex arrays and ECEF positions; edge vertices. (Two loops: one would keep more
  // values live than there are registers.)
  const uArr = out + 92;
  const vArr = uArr + (n << 1);
  const hArr = vArr + (n << 1);
  const edgeList = alloc(n << 4); // 4 lists (W, S, E, N) of up to n entries
  const edgeKey = alloc(n << 4);
  const edgeCounts = alloc(16);
  writeUVAndEdges(vuv, vxy, n, g, kepler, uArr, vArr, edgeList, edgeKey, edgeCounts);
  const pos = alloc(((n + 1) >> 1) * 48);
  writeHeightsAndPositions(vxy, vh, n, lo, span, tables, g, hArr, pos);

  // (4) header: centre at mid height, heights, bounding sphere, horizon occlusion point
  const sinLatC = load<f64>(tables, 8);
  ecef(primeVertical(sinLatC), load<f64>(tables), sinLatC, load<f64>(tables, 16), load<f64>(tables, 24), (lo + <f64>maxH) * 0.5, out, 8);
  store<f32>(out, minH, 24);
  store<f32>(out, maxH, 28);
  if (n == 0) {
    memory.copy(out + 32, out, 24);
    store<f64>(out, 0, 56);
  } else {
    const extremes = alloc(24);
    findExtremes(pos, n, extremes);
    fromPoints(pos, n, extremes, out + 32);
  }
  coverAndOcclude(pos, n, lo, out);

  // (6) indices: the codes of (1)
  store<u32>(out + 88, <u32>n);
  let p = hArr + (n << 1);
  const wide = n > 65536;
  if (wide && (p - out) % 4 != 0) {
    store<u16>(p, 0);
    p += 2;
  }
  store<u32>(p, <u32>nt);
  p += 4;
  if (wide == wideCodes) {
    memory.copy(p, codes, nt * (wide ? 12 : 6));
  } else {
    // u32 codes of at most 65536 vertices, truncated to u16 as the reference's setUint16
    for (let j: usize = 0; j < nt * 3; j++) store<u16>(p + (j << 1), <u16>load<u32>(codes + (j << 2)));
  }
  p += nt * (wide ? 12 : 6);

  // (7) edges: west (u = 0), south (v = 0), east (u = max), north (v = max)
  const counts = alloc((g + 1) << 2);
  const tmp = alloc(n << 2);
  p = writeEdge(p, edgeList, edgeKey, load<u32>(edgeCounts), g, counts, tmp, wide);
  p = writeEdge(p, edgeList + (n << 2), edgeKey + (n << 2), load<u32>(edgeCounts, 4), g, counts, tmp, wide);
  p = writeEdge(p, edgeList + (n << 3), edgeKey + (n << 3), load<u32>(edgeCounts, 8), g, counts, tmp, wide);
  p = writeEdge(p, edgeList + n * 12, edgeKey + n * 12, load<u32>(edgeCounts, 12), g, counts, tmp, wide);

  // (8) extension 1: oct-encoded vertex normals
  if ((flags & NORMALS) != 0) {
    store<u8>(p, 1);
    store<u32>(p + 1, <u32>(n << 1));
    p += 5;
    const acc = alloc(((n + 1) >> 1) * 48);
    memory.fill(acc, 0, ((n + 1) >> 1) * 48);
    // uv-counter-clockwise triangles face up in spec orientation, down in kepler's (v = 0 north)
    const sign: f64 = kepler ? -1.0 : 1.0;
    if (wideCodes) accumulateNormals<u32>(codes, nt, pos, acc, sign);
    else accumulateNormals<u16>(codes, nt, pos, acc, sign);
    writeOctNormals(acc, n, vxy, tables, g, p);
    p += n << 1;
  }

  // extension 4: metadata (u32 JSON length + JSON)
  if (metaLen >= 0) {
    store<u8>(p, 4);
    store<u32>(p + 1, <u32>metaLen + 4);
    store<u32>(p + 5, <u32>metaLen);
    memory.copy(p + 9, meta, <usize>metaLen);
    p += 9 + <usize>metaLen;
  }
  return <i32>(p - out);
}
