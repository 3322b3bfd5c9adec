// quantized-mesh-1.0 encoder (https://github.com/CesiumGS/quantized-mesh): a triangle mesh on a height
// grid -> the tile's bytes. Mirrors test/kernels/reference/quantized-mesh.ts byte for byte; the glue
// (src/kernels/quantized-mesh.ts) supplies the only engine-dependent numbers, the sines and cosines of
// each grid column's longitude and each grid row's latitude (JS Math.sin/cos), plus each column's u and
// each row's v. Everything else here is IEEE-exact arithmetic (+ - * / sqrt, round, min/max) in the
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

/** Prime vertical radius of curvature at a latitude given by its sine. */
// @ts-ignore: decorator
@inline function primeVertical(sinLat: f64): f64 {
  return A / Math.sqrt(1.0 - E2 * sinLat * sinLat);
}

/** Geodetic -> ECEF into dst[0..2]: ((N + h) cosLat cosLon, (N + h) cosLat sinLon, (N (1 - e2) + h) sinLat). */
// @ts-ignore: decorator
@inline function ecef(N: f64, cosLat: f64, sinLat: f64, cosLon: f64, sinLon: f64, h: f64, dst: usize): void {
  const r = (N + h) * cosLat;
  store<f64>(dst, r * cosLon);
  store<f64>(dst, r * sinLon, 8);
  store<f64>(dst, (N * ONE_MINUS_E2 + h) * sinLat, 16);
}

// Cesium's CesiumMath.toSNorm(value, 255).
// @ts-ignore: decorator
@inline function snorm(v: f64): u8 {
  const c = v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
  return <u8><i32>Math.round((c * 0.5 + 0.5) * 255.0);
}

// @ts-ignore: decorator
@inline function signNotZero(v: f64): f64 {
  return v < 0.0 ? -1.0 : 1.0;
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
  const cosLon = tables + 32;
  const sinLon = cosLon + (g << 3);
  const cosLat = sinLon + (g << 3);
  const sinLat = cosLat + (g << 3);
  const colU = sinLat + (g << 3);
  const rowV = colU + (g << 1);

  // (u, v) of every input vertex, packed u | v << 16; checks the coordinates
  const uv = alloc(nv << 2);
  for (let i: usize = 0; i < nv; i++) {
    const x = <usize>load<u16>(vertices + (i << 2));
    const y = <usize>load<u16>(vertices + (i << 2), 2);
    if (x >= g || y >= g) return ERR_COORD;
    store<u32>(uv + (i << 2), <u32>load<u16>(colU + (x << 1)) | (<u32>load<u16>(rowV + (y << 1)) << 16));
  }

  // (1) winding and first-use renumbering
  const remap = alloc(nv << 2);
  memory.fill(remap, 0xff, nv << 2);
  const maxOut = nv < nt * 3 ? nv : nt * 3;
  const order = alloc(maxOut << 2); // output index -> input index
  const tri = alloc(nt * 12); // triangles in output indices
  let n: usize = 0;
  for (let t: usize = 0; t < nt; t++) {
    const a = load<u32>(triangles + t * 12);
    let b = load<u32>(triangles + t * 12, 4);
    let c = load<u32>(triangles + t * 12, 8);
    if (<usize>a >= nv || <usize>b >= nv || <usize>c >= nv) return ERR_INDEX;
    const qa = load<u32>(uv + (<usize>a << 2));
    const qb = load<u32>(uv + (<usize>b << 2));
    const qc = load<u32>(uv + (<usize>c << 2));
    const ua = <i64>(qa & 0xffff), va = <i64>(qa >>> 16);
    const ub = <i64>(qb & 0xffff), vb = <i64>(qb >>> 16);
    const uc = <i64>(qc & 0xffff), vc = <i64>(qc >>> 16);
    if ((ub - ua) * (vc - va) - (vb - va) * (uc - ua) < 0) {
      const s = b;
      b = c;
      c = s;
    }
    let ra = load<i32>(remap + (<usize>a << 2));
    if (ra < 0) {
      ra = <i32>n;
      store<i32>(remap + (<usize>a << 2), ra);
      store<u32>(order + (n << 2), a);
      n++;
    }
    let rb = load<i32>(remap + (<usize>b << 2));
    if (rb < 0) {
      rb = <i32>n;
      store<i32>(remap + (<usize>b << 2), rb);
      store<u32>(order + (n << 2), b);
      n++;
    }
    let rc = load<i32>(remap + (<usize>c << 2));
    if (rc < 0) {
      rc = <i32>n;
      store<i32>(remap + (<usize>c << 2), rc);
      store<u32>(order + (n << 2), c);
      n++;
    }
    store<i32>(tri + t * 12, ra);
    store<i32>(tri + t * 12, rb, 4);
    store<i32>(tri + t * 12, rc, 8);
  }

  // (2) height range of the used vertices
  let minH: f32 = 0;
  let maxH: f32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const src = <usize>load<u32>(order + (i << 2));
    const x = <usize>load<u16>(vertices + (src << 2));
    const y = <usize>load<u16>(vertices + (src << 2), 2);
    const h = load<f32>(heights + ((y * g + x) << 2));
    if (h - h != 0) return ERR_HEIGHT;
    if (i == 0 || h < minH) minH = h;
    if (i == 0 || h > maxH) maxH = h;
  }
  const lo = <f64>minH;
  const span = <f64>maxH - lo;

  // (3) + (5) vertex arrays, ECEF positions, edge vertices (listed in output order with their rank
  // along the edge: v ascending is y ascending in kepler orientation, descending in spec)
  const kepler = (flags & SPEC) == 0;
  const primeN = alloc(g << 3); // N per grid row
  for (let y: usize = 0; y < g; y++) store<f64>(primeN + (y << 3), primeVertical(load<f64>(sinLat + (y << 3))));
  const pos = alloc(n * 24);
  const edgeList = alloc(n << 4); // 4 lists (W, S, E, N) of up to n entries
  const edgeKey = alloc(n << 4);
  let kw: usize = 0, ks: usize = 0, ke: usize = 0, kn: usize = 0;
  const uArr = out + 92;
  const vArr = uArr + (n << 1);
  const hArr = vArr + (n << 1);
  let pu: i32 = 0, pv: i32 = 0, ph: i32 = 0;
  for (let i: usize = 0; i < n; i++) {
    const src = <usize>load<u32>(order + (i << 2));
    const x = <usize>load<u16>(vertices + (src << 2));
    const y = <usize>load<u16>(vertices + (src << 2), 2);
    const q = load<u32>(uv + (src << 2));
    const u = <i32>(q & 0xffff);
    const v = <i32>(q >>> 16);
    const h = <f64>load<f32>(heights + ((y * g + x) << 2));
    const hq = span > 0 ? <i32>Math.round(((h - lo) / span) * MAXQ) : 0;
    let d = u - pu;
    store<u16>(uArr + (i << 1), <u16>((d << 1) ^ (d >> 31)));
    d = v - pv;
    store<u16>(vArr + (i << 1), <u16>((d << 1) ^ (d >> 31)));
    d = hq - ph;
    store<u16>(hArr + (i << 1), <u16>((d << 1) ^ (d >> 31)));
    pu = u;
    pv = v;
    ph = hq;
    const hd = lo + (<f64>hq / MAXQ) * span;
    ecef(load<f64>(primeN + (y << 3)), load<f64>(cosLat + (y << 3)), load<f64>(sinLat + (y << 3)),
      load<f64>(cosLon + (x << 3)), load<f64>(sinLon + (x << 3)), hd, pos + i * 24);
    if (u == 0 || u == 32767) {
      const e = u == 0 ? kw++ : n * 2 + ke++;
      store<u32>(edgeList + (e << 2), <u32>i);
      store<u32>(edgeKey + (e << 2), <u32>(kepler ? y : g - 1 - y));
    }
    if (v == 0 || v == 32767) {
      const e = v == 0 ? n + ks++ : n * 3 + kn++;
      store<u32>(edgeList + (e << 2), <u32>i);
      store<u32>(edgeKey + (e << 2), <u32>x);
    }
  }

  // (4) header: centre at mid height
  const sinLatC = load<f64>(tables, 8);
  ecef(primeVertical(sinLatC), load<f64>(tables), sinLatC, load<f64>(tables, 16), load<f64>(tables, 24), (lo + <f64>maxH) * 0.5, out);
  store<f32>(out, minH, 24);
  store<f32>(out, maxH, 28);
  // bounding sphere: Cesium's BoundingSphere.fromPoints
  let cx: f64, cy: f64, cz: f64, radius: f64;
  if (n == 0) {
    cx = load<f64>(out);
    cy = load<f64>(out, 8);
    cz = load<f64>(out, 16);
    radius = 0;
  } else {
    let xMinX = load<f64>(pos), xMinY = load<f64>(pos, 8), xMinZ = load<f64>(pos, 16);
    let xMaxX = xMinX, xMaxY = xMinY, xMaxZ = xMinZ;
    let yMinX = xMinX, yMinY = xMinY, yMinZ = xMinZ;
    let yMaxX = xMinX, yMaxY = xMinY, yMaxZ = xMinZ;
    let zMinX = xMinX, zMinY = xMinY, zMinZ = xMinZ;
    let zMaxX = xMinX, zMaxY = xMinY, zMaxZ = xMinZ;
    for (let i: usize = 1; i < n; i++) {
      const x = load<f64>(pos + i * 24), y = load<f64>(pos + i * 24, 8), z = load<f64>(pos + i * 24, 16);
      if (x < xMinX) { xMinX = x; xMinY = y; xMinZ = z; }
      if (x > xMaxX) { xMaxX = x; xMaxY = y; xMaxZ = z; }
      if (y < yMinY) { yMinX = x; yMinY = y; yMinZ = z; }
      if (y > yMaxY) { yMaxX = x; yMaxY = y; yMaxZ = z; }
      if (z < zMinZ) { zMinX = x; zMinY = y; zMinZ = z; }
      if (z > zMaxZ) { zMaxX = x; zMaxY = y; zMaxZ = z; }
    }
    let dx = xMaxX - xMinX, dy = xMaxY - xMinY, dz = xMaxZ - xMinZ;
    const xSpan = dx * dx + dy * dy + dz * dz;
    dx = yMaxX - yMinX; dy = yMaxY - yMinY; dz = yMaxZ - yMinZ;
    const ySpan = dx * dx + dy * dy + dz * dz;
    dx = zMaxX - zMinX; dy = zMaxY - zMinY; dz = zMaxZ - zMinZ;
    const zSpan = dx * dx + dy * dy + dz * dz;
    let d1x = xMinX, d1y = xMinY, d1z = xMinZ, d2x = xMaxX, d2y = xMaxY, d2z = xMaxZ;
    let maxSpan = xSpan;
    if (ySpan > maxSpan) {
      maxSpan = ySpan;
      d1x = yMinX; d1y = yMinY; d1z = yMinZ; d2x = yMaxX; d2y = yMaxY; d2z = yMaxZ;
    }
    if (zSpan > maxSpan) {
      maxSpan = zSpan;
      d1x = zMinX; d1y = zMinY; d1z = zMinZ; d2x = zMaxX; d2y = zMaxY; d2z = zMaxZ;
    }
    let rx = (d1x + d2x) * 0.5, ry = (d1y + d2y) * 0.5, rz = (d1z + d2z) * 0.5;
    dx = d2x - rx; dy = d2y - ry; dz = d2z - rz;
    let radiusSquared = dx * dx + dy * dy + dz * dz;
    let ritterRadius = Math.sqrt(radiusSquared);
    const nx = (xMinX + xMaxX) * 0.5, ny = (yMinY + yMaxY) * 0.5, nz = (zMinZ + zMaxZ) * 0.5;
    // the naive radius is the largest distance: sqrt of the largest squared distance (sqrt is monotonic)
    let naive2: f64 = 0;
    for (let i: usize = 0; i < n; i++) {
      const x = load<f64>(pos + i * 24), y = load<f64>(pos + i * 24, 8), z = load<f64>(pos + i * 24, 16);
      dx = x - nx; dy = y - ny; dz = z - nz;
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 > naive2) naive2 = r2;
      dx = x - rx; dy = y - ry; dz = z - rz;
      const oldCenterToPointSquared = dx * dx + dy * dy + dz * dz;
      if (oldCenterToPointSquared > radiusSquared) {
        const oldCenterToPoint = Math.sqrt(oldCenterToPointSquared);
        ritterRadius = (ritterRadius + oldCenterToPoint) * 0.5;
        radiusSquared = ritterRadius * ritterRadius;
        const oldToNew = oldCenterToPoint - ritterRadius;
        rx = (ritterRadius * rx + oldToNew * x) / oldCenterToPoint;
        ry = (ritterRadius * ry + oldToNew * y) / oldCenterToPoint;
        rz = (ritterRadius * rz + oldToNew * z) / oldCenterToPoint;
      }
    }
    const naiveRadius = Math.sqrt(naive2);
    if (ritterRadius < naiveRadius) {
      cx = rx; cy = ry; cz = rz; radius = ritterRadius;
    } else {
      cx = nx; cy = ny; cz = nz; radius = naiveRadius;
    }
    // widen to cover every vertex despite rounding in Ritter's updates
    let far2: f64 = 0;
    for (let i: usize = 0; i < n; i++) {
      dx = load<f64>(pos + i * 24) - cx; dy = load<f64>(pos + i * 24, 8) - cy; dz = load<f64>(pos + i * 24, 16) - cz;
      const r2 = dx * dx + dy * dy + dz * dz;
      if (r2 > far2) far2 = r2;
    }
    radius = Math.max(radius, Math.sqrt(far2));
  }
  store<f64>(out, cx, 32);
  store<f64>(out, cy, 40);
  store<f64>(out, cz, 48);
  store<f64>(out, radius, 56);

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
  let mag: f64 = 0;
  let beyond = false;
  for (let i: usize = 0; i < n; i++) {
    const px = load<f64>(pos + i * 24) * oa, py = load<f64>(pos + i * 24, 8) * oa, pz = load<f64>(pos + i * 24, 16) * ob;
    const m2 = px * px + py * py + pz * pz;
    const sd = px * sx + py * sy + pz * sz;
    let candidate: f64;
    if (m2 > 1.0) {
      const wx = py * sz - pz * sy, wy = pz * sx - px * sz, wz = px * sy - py * sx;
      candidate = m2 / (sd - Math.sqrt((wx * wx + wy * wy + wz * wz) * (m2 - 1.0)));
    } else {
      candidate = Math.sqrt(m2) / sd;
    }
    // Cesium's max() would skip a vertex beyond the horizon of every point along the direction
    // (candidate <= 0); then no point occludes the tile, so none is given
    if (!(candidate > 0)) beyond = true;
    mag = Math.max(mag, candidate);
  }
  if (beyond || mag <= 0 || mag == Infinity || mag != mag) {
    store<f64>(out, NaN, 64);
    store<f64>(out, NaN, 72);
    store<f64>(out, NaN, 80);
  } else {
    store<f64>(out, sx * mag, 64);
    store<f64>(out, sy * mag, 72);
    store<f64>(out, sz * mag, 80);
  }

  // (6) indices
  store<u32>(out + 88, <u32>n);
  let p = hArr + (n << 1);
  const wide = n > 65536;
  if (wide && (p - out) % 4 != 0) {
    store<u16>(p, 0);
    p += 2;
  }
  store<u32>(p, <u32>nt);
  p += 4;
  let highest: u32 = 0;
  for (let j: usize = 0; j < nt * 3; j++) {
    const idx = load<u32>(tri + (j << 2));
    const code = highest - idx;
    p = storeIndex(p, code, wide);
    if (code == 0) highest++;
  }

  // (7) edges: west (u = 0), south (v = 0), east (u = max), north (v = max)
  const counts = alloc((g + 1) << 2);
  const tmp = alloc(n << 2);
  p = writeEdge(p, edgeList, edgeKey, kw, g, counts, tmp, wide);
  p = writeEdge(p, edgeList + (n << 2), edgeKey + (n << 2), ks, g, counts, tmp, wide);
  p = writeEdge(p, edgeList + (n << 3), edgeKey + (n << 3), ke, g, counts, tmp, wide);
  p = writeEdge(p, edgeList + n * 12, edgeKey + n * 12, kn, g, counts, tmp, wide);

  // (8) extension 1: oct-encoded vertex normals
  if ((flags & NORMALS) != 0) {
    store<u8>(p, 1);
    store<u32>(p + 1, <u32>(n << 1));
    p += 5;
    const acc = alloc(n * 24);
    memory.fill(acc, 0, n * 24);
    // uv-counter-clockwise triangles face up in spec orientation, down in kepler's (v = 0 north)
    const sign: f64 = kepler ? -1.0 : 1.0;
    for (let t: usize = 0; t < nt; t++) {
      const ia = <usize>load<u32>(tri + t * 12);
      const ib = <usize>load<u32>(tri + t * 12, 4);
      const ic = <usize>load<u32>(tri + t * 12, 8);
      const ax = load<f64>(pos + ia * 24), ay = load<f64>(pos + ia * 24, 8), az = load<f64>(pos + ia * 24, 16);
      const e1x = load<f64>(pos + ib * 24) - ax, e1y = load<f64>(pos + ib * 24, 8) - ay, e1z = load<f64>(pos + ib * 24, 16) - az;
      const e2x = load<f64>(pos + ic * 24) - ax, e2y = load<f64>(pos + ic * 24, 8) - ay, e2z = load<f64>(pos + ic * 24, 16) - az;
      const fx = (e1y * e2z - e1z * e2y) * sign;
      const fy = (e1z * e2x - e1x * e2z) * sign;
      const fz = (e1x * e2y - e1y * e2x) * sign;
      let q = acc + ia * 24;
      store<f64>(q, load<f64>(q) + fx); store<f64>(q, load<f64>(q, 8) + fy, 8); store<f64>(q, load<f64>(q, 16) + fz, 16);
      q = acc + ib * 24;
      store<f64>(q, load<f64>(q) + fx); store<f64>(q, load<f64>(q, 8) + fy, 8); store<f64>(q, load<f64>(q, 16) + fz, 16);
      q = acc + ic * 24;
      store<f64>(q, load<f64>(q) + fx); store<f64>(q, load<f64>(q, 8) + fy, 8); store<f64>(q, load<f64>(q, 16) + fz, 16);
    }
    for (let i: usize = 0; i < n; i++) {
      let x = load<f64>(acc + i * 24), y = load<f64>(acc + i * 24, 8), z = load<f64>(acc + i * 24, 16);
      // Cesium's AttributeCompression.octEncodeInRange(v, 255), which divides by the L1 norm: the sum
      // need not be normalised first
      let l1 = Math.abs(x) + Math.abs(y) + Math.abs(z);
      if (!(l1 > 0) || l1 == Infinity) {
        // only degenerate faces: the ellipsoid's surface normal
        const src = <usize>load<u32>(order + (i << 2));
        const gx = <usize>load<u16>(vertices + (src << 2));
        const gy = <usize>load<u16>(vertices + (src << 2), 2);
        const cl = load<f64>(cosLat + (gy << 3));
        x = cl * load<f64>(cosLon + (gx << 3));
        y = cl * load<f64>(sinLon + (gx << 3));
        z = load<f64>(sinLat + (gy << 3));
        l1 = Math.abs(x) + Math.abs(y) + Math.abs(z);
      }
      let ox = x / l1;
      let oy = y / l1;
      if (z < 0) {
        const tx = ox, ty = oy;
        ox = (1.0 - Math.abs(ty)) * signNotZero(tx);
        oy = (1.0 - Math.abs(tx)) * signNotZero(ty);
      }
      store<u8>(p + (i << 1), snorm(ox));
      store<u8>(p + (i << 1), snorm(oy), 1);
    }
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
