// A plain JavaScript quantized-mesh-1.0 encoder written for speed (typed arrays, one output buffer,
// sin/cos per grid column and row), for the "plain JS pipeline" baseline of the mesh benchmark. It
// writes the same bytes as the TypeScript reference (test/kernels/reference/quantized-mesh.ts: the
// same arithmetic in the same order; the benchmark checks it on every input) and so as the WASM
// encoder. No extensions: kepler.gl asks for none. Its sines and cosines come from `libm` (Math, or
// the kernels' libm when the benchmark compares bytes with the WASM encoder, which uses that).
import { gridRowV, type QuantizedMeshInput } from '../../src/kernels/quantized-mesh.js';
import type { Libm } from '../../src/kernels/libm.js';

const A = 6378137.0;
const C = 6356752.3142451793;
const E2 = (A * A - C * C) / (A * A);
const MAXQ = 32767;
const RADIANS_PER_DEGREE = Math.PI / 180;

export function encodeQuantizedMeshJs(input: QuantizedMeshInput, libm: Libm = Math): Uint8Array {
  const { vertices, triangles, heights, gridSize: g, bounds: [west, south, east, north], orientation } = input;
  if (input.extensions?.octNormals || input.extensions?.metadata !== undefined) throw new Error('encodeQuantizedMeshJs: no extensions');
  const kepler = orientation === 'kepler';
  const nv = vertices.length / 2;
  const nt = triangles.length / 3;

  // u and v of every grid column and row
  const uCol = new Int32Array(g);
  const vRow = new Int32Array(g);
  for (let i = 0; i < g; i++) {
    uCol[i] = Math.round((i / (g - 1)) * MAXQ);
    vRow[i] = gridRowV(i, input);
  }
  for (let i = 0; i < 2 * nv; i++) if (vertices[i]! >= g) throw new RangeError('a vertex lies outside the grid');

  // winding and first-use renumbering
  const remap = new Int32Array(nv).fill(-1);
  const order = new Int32Array(nv);
  const tris = new Uint32Array(3 * nt);
  let n = 0;
  for (let t = 0; t < 3 * nt; t += 3) {
    const a = triangles[t]!;
    let b = triangles[t + 1]!, c = triangles[t + 2]!;
    if (a >= nv || b >= nv || c >= nv) throw new RangeError('a triangle index is not a vertex');
    const ua = uCol[vertices[2 * a]!]!, va = vRow[vertices[2 * a + 1]!]!;
    const cross = (uCol[vertices[2 * b]!]! - ua) * (vRow[vertices[2 * c + 1]!]! - va) - (vRow[vertices[2 * b + 1]!]! - va) * (uCol[vertices[2 * c]!]! - ua);
    if (cross < 0) [b, c] = [c, b];
    for (let k = 0; k < 3; k++) {
      const i = k === 0 ? a : k === 1 ? b : c;
      if (remap[i] === -1) (remap[i] = n), (order[n++] = i);
      tris[t + k] = remap[i]!;
    }
  }

  const gx = new Uint16Array(n), gy = new Uint16Array(n), us = new Uint16Array(n), vs = new Uint16Array(n), hq = new Uint16Array(n);
  const hs = new Float64Array(n);
  let minH = 0, maxH = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    gx[j] = vertices[2 * i]!;
    gy[j] = vertices[2 * i + 1]!;
    us[j] = uCol[gx[j]!]!;
    vs[j] = vRow[gy[j]!]!;
    const h = heights[gy[j]! * g + gx[j]!]!;
    if (!Number.isFinite(h)) throw new RangeError('a mesh vertex has a NaN or infinite height');
    hs[j] = h;
    if (j === 0 || h < minH) minH = h;
    if (j === 0 || h > maxH) maxH = h;
  }
  for (let j = 0; j < n; j++) hq[j] = maxH > minH ? Math.round(((hs[j]! - minH) / (maxH - minH)) * MAXQ) : 0;

  // decoded vertices in ECEF (geodeticToEcef on each column's longitude and row's latitude)
  const cosLon = new Float64Array(g), sinLon = new Float64Array(g), sinLat = new Float64Array(g), cosLat = new Float64Array(g), nRow = new Float64Array(g);
  for (let i = 0; i < g; i++) {
    const lon = (west + (uCol[i]! / MAXQ) * (east - west)) * RADIANS_PER_DEGREE;
    cosLon[i] = libm.cos(lon);
    sinLon[i] = libm.sin(lon);
    const v = vRow[i]!;
    const lat = (kepler ? north + (v / MAXQ) * (south - north) : south + (v / MAXQ) * (north - south)) * RADIANS_PER_DEGREE;
    const s = libm.sin(lat);
    sinLat[i] = s;
    cosLat[i] = libm.cos(lat);
    nRow[i] = A / Math.sqrt(1 - E2 * s * s);
  }
  const px = new Float64Array(n), py = new Float64Array(n), pz = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const h = minH + (hq[j]! / MAXQ) * (maxH - minH);
    const N = nRow[gy[j]!]!;
    const r = (N + h) * cosLat[gy[j]!]!;
    px[j] = r * cosLon[gx[j]!]!;
    py[j] = r * sinLon[gx[j]!]!;
    pz[j] = (N * (1 - E2) + h) * sinLat[gy[j]!]!;
  }
  const center = ecef((west + east) * 0.5 * RADIANS_PER_DEGREE, (south + north) * 0.5 * RADIANS_PER_DEGREE, (minH + maxH) * 0.5, libm);
  const sphere = n ? boundingSphere(px, py, pz, n) : { center, radius: 0 };
  const occlusion = horizonOcclusionPoint(sphere.center, px, py, pz, n, minH) ?? [NaN, NaN, NaN];

  // edges: W (u = 0) and E (u = max) by v, S (v = 0) and N (v = max) by u
  const edges: number[][] = [[], [], [], []];
  for (let j = 0; j < n; j++) {
    if (us[j] === 0) edges[0]!.push(j);
    if (vs[j] === 0) edges[1]!.push(j);
    if (us[j] === MAXQ) edges[2]!.push(j);
    if (vs[j] === MAXQ) edges[3]!.push(j);
  }
  edges[0]!.sort((a, b) => vs[a]! - vs[b]!);
  edges[1]!.sort((a, b) => us[a]! - us[b]!);
  edges[2]!.sort((a, b) => vs[a]! - vs[b]!);
  edges[3]!.sort((a, b) => us[a]! - us[b]!);

  const wide = n > 65536;
  const ib = wide ? 4 : 2;
  let size = 88 + 4 + 6 * n;
  const pad = wide && size % 4 !== 0 ? 2 : 0;
  size += pad + 4 + 3 * nt * ib + edges.reduce((s, e) => s + 4 + e.length * ib, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let p = 0;
  const f64 = (x: number) => (dv.setFloat64(p, x, true), (p += 8));
  const u32 = (x: number) => (dv.setUint32(p, x, true), (p += 4));
  const index = wide ? u32 : (x: number) => (dv.setUint16(p, x, true), (p += 2));
  center.forEach(f64);
  dv.setFloat32(p, minH, true);
  dv.setFloat32(p + 4, maxH, true);
  p += 8;
  sphere.center.forEach(f64);
  f64(sphere.radius);
  occlusion.forEach(f64);
  u32(n);
  for (const arr of [us, vs, hq]) {
    let prev = 0;
    for (let j = 0; j < n; j++) {
      const d = arr[j]! - prev;
      dv.setUint16(p, d >= 0 ? 2 * d : -2 * d - 1, true);
      p += 2;
      prev = arr[j]!;
    }
  }
  p += pad;
  u32(nt);
  let highest = 0;
  for (let t = 0; t < 3 * nt; t++) {
    const code = highest - tris[t]!;
    index(code);
    if (code === 0) highest++;
  }
  for (const e of edges) {
    u32(e.length);
    for (const j of e) index(j);
  }
  return out;
}

function ecef(lon: number, lat: number, height: number, libm: Libm): [number, number, number] {
  const sinLat = libm.sin(lat);
  const N = A / Math.sqrt(1 - E2 * sinLat * sinLat);
  const r = (N + height) * libm.cos(lat);
  return [r * libm.cos(lon), r * libm.sin(lon), (N * (1 - E2) + height) * sinLat];
}

/** Cesium's BoundingSphere.fromPoints, then the radius widened to the farthest point (as the reference). */
function boundingSphere(x: Float64Array, y: Float64Array, z: Float64Array, n: number): { center: [number, number, number]; radius: number } {
  let xMin = 0, xMax = 0, yMin = 0, yMax = 0, zMin = 0, zMax = 0;
  for (let i = 1; i < n; i++) {
    if (x[i]! < x[xMin]!) xMin = i;
    if (x[i]! > x[xMax]!) xMax = i;
    if (y[i]! < y[yMin]!) yMin = i;
    if (y[i]! > y[yMax]!) yMax = i;
    if (z[i]! < z[zMin]!) zMin = i;
    if (z[i]! > z[zMax]!) zMax = i;
  }
  const span = (a: number, b: number) => {
    const dx = x[b]! - x[a]!, dy = y[b]! - y[a]!, dz = z[b]! - z[a]!;
    return dx * dx + dy * dy + dz * dz;
  };
  const xSpan = span(xMin, xMax), ySpan = span(yMin, yMax), zSpan = span(zMin, zMax);
  let d1 = xMin, d2 = xMax, maxSpan = xSpan;
  if (ySpan > maxSpan) (maxSpan = ySpan), (d1 = yMin), (d2 = yMax);
  if (zSpan > maxSpan) (maxSpan = zSpan), (d1 = zMin), (d2 = zMax);
  let rx = (x[d1]! + x[d2]!) * 0.5, ry = (y[d1]! + y[d2]!) * 0.5, rz = (z[d1]! + z[d2]!) * 0.5;
  const sq = (i: number, cx: number, cy: number, cz: number) => {
    const dx = x[i]! - cx, dy = y[i]! - cy, dz = z[i]! - cz;
    return dx * dx + dy * dy + dz * dz;
  };
  let radiusSquared = sq(d2, rx, ry, rz);
  let ritterRadius = Math.sqrt(radiusSquared);
  const nx = (x[xMin]! + x[xMax]!) * 0.5, ny = (y[yMin]! + y[yMax]!) * 0.5, nz = (z[zMin]! + z[zMax]!) * 0.5;
  let naiveRadius = 0;
  for (let i = 0; i < n; i++) {
    const r = Math.sqrt(sq(i, nx, ny, nz));
    if (r > naiveRadius) naiveRadius = r;
    const oldCenterToPointSquared = sq(i, rx, ry, rz);
    if (oldCenterToPointSquared > radiusSquared) {
      const oldCenterToPoint = Math.sqrt(oldCenterToPointSquared);
      ritterRadius = (ritterRadius + oldCenterToPoint) * 0.5;
      radiusSquared = ritterRadius * ritterRadius;
      const oldToNew = oldCenterToPoint - ritterRadius;
      rx = (ritterRadius * rx + oldToNew * x[i]!) / oldCenterToPoint;
      ry = (ritterRadius * ry + oldToNew * y[i]!) / oldCenterToPoint;
      rz = (ritterRadius * rz + oldToNew * z[i]!) / oldCenterToPoint;
    }
  }
  const center: [number, number, number] = ritterRadius < naiveRadius ? [rx, ry, rz] : [nx, ny, nz];
  let radius = ritterRadius < naiveRadius ? ritterRadius : naiveRadius;
  for (let i = 0; i < n; i++) radius = Math.max(radius, Math.sqrt(sq(i, center[0], center[1], center[2])));
  return { center, radius };
}

/** The reference's horizonOcclusionPoint (Cesium's, possibly under the ellipsoid) on flat arrays. */
function horizonOcclusionPoint(direction: [number, number, number], x: Float64Array, y: Float64Array, z: Float64Array, n: number, minimumHeight: number): [number, number, number] | undefined {
  let r0 = A, r1 = A, r2 = C;
  if (minimumHeight < 0 && Math.min(A, A, C) > -minimumHeight) (r0 = A + minimumHeight), (r1 = A + minimumHeight), (r2 = C + minimumHeight);
  const o0 = 1 / r0, o1 = 1 / r1, o2 = 1 / r2;
  let d0 = direction[0] * o0, d1 = direction[1] * o1, d2 = direction[2] * o2;
  if (d0 !== 0 || d1 !== 0 || d2 !== 0) {
    const m = Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2);
    (d0 = d0 / m), (d1 = d1 / m), (d2 = d2 / m);
  }
  let result = 0;
  let beyond = false;
  for (let i = 0; i < n; i++) {
    const s0 = x[i]! * o0, s1 = y[i]! * o1, s2 = z[i]! * o2;
    const m2 = s0 * s0 + s1 * s1 + s2 * s2;
    const sd = s0 * d0 + s1 * d1 + s2 * d2;
    const c0 = s1 * d2 - s2 * d1, c1 = s2 * d0 - s0 * d2, c2 = s0 * d1 - s1 * d0;
    const candidate = m2 > 1 ? m2 / (sd - Math.sqrt((c0 * c0 + c1 * c1 + c2 * c2) * (m2 - 1))) : Math.sqrt(m2) / sd;
    if (!(candidate > 0)) beyond = true;
    result = Math.max(result, candidate);
  }
  if (beyond || result <= 0 || result === Infinity || Number.isNaN(result)) return undefined;
  return [d0 * result, d1 * result, d2 * result];
}
