// Scalar reference of assembly/quantized-mesh.ts (the same bytes), written plainly from the
// quantized-mesh-1.0 spec and CesiumJS's algorithms: BoundingSphere.fromPoints (literally),
// EllipsoidalOccluder.computeHorizonCullingPointFromVerticesPossiblyUnderEllipsoid (its per-vertex
// magnitude rearranged to one square root), AttributeCompression.octEncodeInRange. Plus a full decoder
// (every section) for the tests.
//
// Its sines and cosines come from `libm`: Math by default; the byte-for-byte tests pass the kernels
// module's libm (src/kernels/libm.ts), which the glue uses so that every JS engine encodes the same
// bytes. The trigonometry is the only thing shared: the encoding is written here independently.
import { gridRowV, type QuantizedMeshInput } from '../../../src/kernels/quantized-mesh.js';
import type { Libm } from '../../../src/kernels/libm.js';

const RADII: [number, number, number] = [6378137.0, 6378137.0, 6356752.3142451793]; // Ellipsoid.WGS84
const MAXQ = 32767;
const RADIANS_PER_DEGREE = Math.PI / 180;

type Vec3 = [number, number, number];

const E2 = (RADII[0] * RADII[0] - RADII[2] * RADII[2]) / (RADII[0] * RADII[0]);

/** Geodetic (radians, metres) -> ECEF metres, closed form on the WGS84 radii. */
export function geodeticToEcef(lon: number, lat: number, height: number, libm: Libm = Math): Vec3 {
  const sinLat = libm.sin(lat);
  const N = RADII[0] / Math.sqrt(1 - E2 * sinLat * sinLat);
  const r = (N + height) * libm.cos(lat);
  return [r * libm.cos(lon), r * libm.sin(lon), (N * (1 - E2) + height) * sinLat];
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const magSq = (a: Vec3): number => a[0] * a[0] + a[1] * a[1] + a[2] * a[2];

/** Cesium's BoundingSphere.fromPoints, then the radius widened to the farthest point. */
export function boundingSphere(points: Vec3[]): { center: Vec3; radius: number } {
  const first = points[0]!;
  let xMin = first, xMax = first, yMin = first, yMax = first, zMin = first, zMax = first;
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    if (p[0] < xMin[0]) xMin = p;
    if (p[0] > xMax[0]) xMax = p;
    if (p[1] < yMin[1]) yMin = p;
    if (p[1] > yMax[1]) yMax = p;
    if (p[2] < zMin[2]) zMin = p;
    if (p[2] > zMax[2]) zMax = p;
  }
  const xSpan = magSq(sub(xMax, xMin));
  const ySpan = magSq(sub(yMax, yMin));
  const zSpan = magSq(sub(zMax, zMin));
  let d1 = xMin, d2 = xMax, maxSpan = xSpan;
  if (ySpan > maxSpan) { maxSpan = ySpan; d1 = yMin; d2 = yMax; }
  if (zSpan > maxSpan) { maxSpan = zSpan; d1 = zMin; d2 = zMax; }
  const ritter: Vec3 = [(d1[0] + d2[0]) * 0.5, (d1[1] + d2[1]) * 0.5, (d1[2] + d2[2]) * 0.5];
  let radiusSquared = magSq(sub(d2, ritter));
  let ritterRadius = Math.sqrt(radiusSquared);
  const naive: Vec3 = [(xMin[0] + xMax[0]) * 0.5, (yMin[1] + yMax[1]) * 0.5, (zMin[2] + zMax[2]) * 0.5];
  let naiveRadius = 0;
  for (const p of points) {
    const r = Math.sqrt(magSq(sub(p, naive)));
    if (r > naiveRadius) naiveRadius = r;
    const oldCenterToPointSquared = magSq(sub(p, ritter));
    if (oldCenterToPointSquared > radiusSquared) {
      const oldCenterToPoint = Math.sqrt(oldCenterToPointSquared);
      ritterRadius = (ritterRadius + oldCenterToPoint) * 0.5;
      radiusSquared = ritterRadius * ritterRadius;
      const oldToNew = oldCenterToPoint - ritterRadius;
      ritter[0] = (ritterRadius * ritter[0] + oldToNew * p[0]) / oldCenterToPoint;
      ritter[1] = (ritterRadius * ritter[1] + oldToNew * p[1]) / oldCenterToPoint;
      ritter[2] = (ritterRadius * ritter[2] + oldToNew * p[2]) / oldCenterToPoint;
    }
  }
  let center: Vec3, radius: number;
  if (ritterRadius < naiveRadius) { center = ritter; radius = ritterRadius; }
  else { center = naive; radius = naiveRadius; }
  for (const p of points) radius = Math.max(radius, Math.sqrt(magSq(sub(p, center))));
  return { center, radius };
}

/**
 * Cesium's computeHorizonCullingPointFromVerticesPossiblyUnderEllipsoid(direction, points, 3,
 * ZERO, minimumHeight); undefined where Cesium returns undefined, and also when a point lies beyond
 * the horizon of every point along the direction (a negative candidate, which Cesium's max skips).
 */
export function horizonOcclusionPoint(direction: Vec3, points: Vec3[], minimumHeight: number): Vec3 | undefined {
  let radii = RADII;
  if (minimumHeight < 0 && Math.min(...RADII) > -minimumHeight) radii = [RADII[0] + minimumHeight, RADII[1] + minimumHeight, RADII[2] + minimumHeight];
  const oneOver: Vec3 = [1 / radii[0], 1 / radii[1], 1 / radii[2]];
  const toScaled = (p: Vec3): Vec3 => [p[0] * oneOver[0], p[1] * oneOver[1], p[2] * oneOver[2]];
  let d = toScaled(direction);
  if (d[0] !== 0 || d[1] !== 0 || d[2] !== 0) {
    const m = Math.sqrt(magSq(d));
    d = [d[0] / m, d[1] / m, d[2] / m];
  }
  let result = 0;
  let beyond = false;
  for (const p of points) {
    // Cesium: direction = s/|s|; |s| and |s|^2 clamped to >= 1; cosA = direction.d, sinA = |direction x d|,
    // cosB = 1/|s|, sinB = sqrt(|s|^2 - 1)/|s|; magnitude 1/(cosA cosB - sinA sinB). Multiplied out:
    const s = toScaled(p);
    const m2 = magSq(s);
    const sd = s[0] * d[0] + s[1] * d[1] + s[2] * d[2];
    const cross: Vec3 = [s[1] * d[2] - s[2] * d[1], s[2] * d[0] - s[0] * d[2], s[0] * d[1] - s[1] * d[0]];
    const candidate = m2 > 1 ? m2 / (sd - Math.sqrt(magSq(cross) * (m2 - 1))) : Math.sqrt(m2) / sd;
    if (!(candidate > 0)) beyond = true; // stricter than Cesium, which only takes the max
    result = Math.max(result, candidate);
  }
  if (beyond || result <= 0 || result === Infinity || Number.isNaN(result)) return undefined;
  return [d[0] * result, d[1] * result, d[2] * result];
}

/** Cesium's AttributeCompression.octEncodeInRange(v, 255) (v need not be unit: it divides by the L1 norm). */
export function octEncode(v: Vec3): [number, number] {
  const l1 = Math.abs(v[0]) + Math.abs(v[1]) + Math.abs(v[2]);
  let x = v[0] / l1;
  let y = v[1] / l1;
  if (v[2] < 0) {
    const ox = x, oy = y;
    x = (1.0 - Math.abs(oy)) * (ox < 0 ? -1 : 1);
    y = (1.0 - Math.abs(ox)) * (oy < 0 ? -1 : 1);
  }
  const toSNorm = (value: number) => Math.round((Math.min(Math.max(value, -1), 1) * 0.5 + 0.5) * 255);
  return [toSNorm(x), toSNorm(y)];
}

/** Cesium's AttributeCompression.octDecodeInRange(x, y, 255): a unit vector. */
export function octDecode(bx: number, by: number): Vec3 {
  let x = (bx / 255) * 2 - 1;
  let y = (by / 255) * 2 - 1;
  const z = 1 - (Math.abs(x) + Math.abs(y));
  if (z < 0) {
    const ox = x;
    x = (1 - Math.abs(y)) * (ox < 0 ? -1 : 1);
    y = (1 - Math.abs(ox)) * (y < 0 ? -1 : 1);
  }
  const m = Math.hypot(x, y, z);
  return [x / m, y / m, z / m];
}

export function encodeQuantizedMeshReference(input: QuantizedMeshInput, libm: Libm = Math): Uint8Array {
  const { vertices, triangles, heights, gridSize: g, bounds: [west, south, east, north], orientation } = input;
  const kepler = orientation === 'kepler';
  const nv = vertices.length / 2;
  const quant = (i: number) => Math.round((i / (g - 1)) * MAXQ);
  const uOf = (i: number) => {
    if (vertices[2 * i]! >= g || vertices[2 * i + 1]! >= g) throw new RangeError('a vertex lies outside the grid');
    return quant(vertices[2 * i]!);
  };
  const vOf = (i: number) => gridRowV(vertices[2 * i + 1]!, input);
  for (let i = 0; i < nv; i++) uOf(i);

  // winding (counter-clockwise in u, v) and first-use renumbering
  const remap = new Map<number, number>();
  const order: number[] = [];
  const tris: number[] = [];
  for (let t = 0; t < triangles.length; t += 3) {
    let [a, b, c] = [triangles[t]!, triangles[t + 1]!, triangles[t + 2]!];
    if (a >= nv || b >= nv || c >= nv) throw new RangeError('a triangle index is not a vertex');
    const cross = (uOf(b) - uOf(a)) * (vOf(c) - vOf(a)) - (vOf(b) - vOf(a)) * (uOf(c) - uOf(a));
    if (cross < 0) [b, c] = [c, b];
    for (const i of [a, b, c]) {
      if (!remap.has(i)) {
        remap.set(i, order.length);
        order.push(i);
      }
      tris.push(remap.get(i)!);
    }
  }
  const n = order.length;
  const gx = order.map((i) => vertices[2 * i]!);
  const gy = order.map((i) => vertices[2 * i + 1]!);
  const hs = order.map((_, j) => heights[gy[j]! * g + gx[j]!]!);
  if (hs.some((h) => !Number.isFinite(h))) throw new RangeError('a mesh vertex has a NaN or infinite height');
  let minH = 0, maxH = 0;
  hs.forEach((h, j) => {
    if (j === 0 || h < minH) minH = h;
    if (j === 0 || h > maxH) maxH = h;
  });
  const us = order.map(uOf);
  const vs = order.map(vOf);
  const hq = hs.map((h) => (maxH > minH ? Math.round(((h - minH) / (maxH - minH)) * MAXQ) : 0));

  // decoded vertices in ECEF
  const lonOf = (u: number) => (west + (u / MAXQ) * (east - west)) * RADIANS_PER_DEGREE;
  const latOf = (v: number) => (kepler ? north + (v / MAXQ) * (south - north) : south + (v / MAXQ) * (north - south)) * RADIANS_PER_DEGREE;
  const pos = order.map((_, j) => geodeticToEcef(lonOf(us[j]!), latOf(vs[j]!), minH + (hq[j]! / MAXQ) * (maxH - minH), libm));
  const center = geodeticToEcef((west + east) * 0.5 * RADIANS_PER_DEGREE, (south + north) * 0.5 * RADIANS_PER_DEGREE, (minH + maxH) * 0.5, libm);
  const sphere = n ? boundingSphere(pos) : { center, radius: 0 };
  const occlusion = horizonOcclusionPoint(sphere.center, pos, minH) ?? [NaN, NaN, NaN];

  const wide = n > 65536;
  const bytes: number[] = [];
  const dv = new DataView(new ArrayBuffer(8));
  const push = (k: number) => { for (let i = 0; i < k; i++) bytes.push(dv.getUint8(i)); };
  const f64 = (x: number) => { dv.setFloat64(0, x, true); push(8); };
  const f32 = (x: number) => { dv.setFloat32(0, x, true); push(4); };
  const u32 = (x: number) => { dv.setUint32(0, x, true); push(4); };
  const u16 = (x: number) => { dv.setUint16(0, x, true); push(2); };
  const index = (x: number) => (wide ? u32(x) : u16(x));

  center.forEach(f64);
  f32(minH);
  f32(maxH);
  sphere.center.forEach(f64);
  f64(sphere.radius);
  occlusion.forEach(f64);
  u32(n);
  for (const arr of [us, vs, hq]) {
    let prev = 0;
    for (const x of arr) {
      const d = x - prev;
      u16(d >= 0 ? 2 * d : -2 * d - 1);
      prev = x;
    }
  }
  if (wide && bytes.length % 4 !== 0) u16(0);
  u32(tris.length / 3);
  let highest = 0;
  for (const i of tris) {
    const code = highest - i;
    index(code);
    if (code === 0) highest++;
  }
  const ids = [...Array(n).keys()];
  const edges = [
    ids.filter((i) => us[i] === 0).sort((a, b) => vs[a]! - vs[b]!),
    ids.filter((i) => vs[i] === 0).sort((a, b) => us[a]! - us[b]!),
    ids.filter((i) => us[i] === MAXQ).sort((a, b) => vs[a]! - vs[b]!),
    ids.filter((i) => vs[i] === MAXQ).sort((a, b) => us[a]! - us[b]!),
  ];
  for (const e of edges) {
    u32(e.length);
    e.forEach(index);
  }

  if (input.extensions?.octNormals) {
    bytes.push(1);
    u32(2 * n);
    const acc: Vec3[] = pos.map(() => [0, 0, 0]);
    const sign = kepler ? -1 : 1;
    for (let t = 0; t < tris.length; t += 3) {
      const [a, b, c] = [tris[t]!, tris[t + 1]!, tris[t + 2]!];
      const e1 = sub(pos[b]!, pos[a]!);
      const e2 = sub(pos[c]!, pos[a]!);
      const f: Vec3 = [
        (e1[1] * e2[2] - e1[2] * e2[1]) * sign,
        (e1[2] * e2[0] - e1[0] * e2[2]) * sign,
        (e1[0] * e2[1] - e1[1] * e2[0]) * sign,
      ];
      for (const i of [a, b, c]) for (let k = 0; k < 3; k++) acc[i]![k]! += f[k]!;
    }
    for (let i = 0; i < n; i++) {
      let v = acc[i]!;
      const l1 = Math.abs(v[0]) + Math.abs(v[1]) + Math.abs(v[2]);
      if (!(l1 > 0) || l1 === Infinity) {
        const lon = lonOf(us[i]!), lat = latOf(vs[i]!);
        v = [libm.cos(lat) * libm.cos(lon), libm.cos(lat) * libm.sin(lon), libm.sin(lat)];
      }
      bytes.push(...octEncode(v));
    }
  }
  if (input.extensions?.metadata !== undefined) {
    const json = new TextEncoder().encode(JSON.stringify(input.extensions.metadata));
    bytes.push(4);
    u32(json.length + 4);
    u32(json.length);
    bytes.push(...json);
  }
  return Uint8Array.from(bytes);
}

export interface DecodedQuantizedMesh {
  center: Vec3;
  minHeight: number;
  maxHeight: number;
  sphereCenter: Vec3;
  sphereRadius: number;
  occlusion: Vec3;
  u: Uint16Array;
  v: Uint16Array;
  h: Uint16Array;
  /** Decoded (not high-water) indices, 3 per triangle. */
  indices: Uint32Array;
  indexBytes: 2 | 4;
  west: Uint32Array;
  south: Uint32Array;
  east: Uint32Array;
  north: Uint32Array;
  /** Extension id -> payload, in file order. */
  extensions: Array<[number, Uint8Array]>;
}

/** Reads every section of a quantized-mesh-1.0 tile; throws on trailing or missing bytes. */
export function decodeQuantizedMesh(bytes: Uint8Array): DecodedQuantizedMesh {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 0;
  const f64 = () => { p += 8; return dv.getFloat64(p - 8, true); };
  const f32 = () => { p += 4; return dv.getFloat32(p - 4, true); };
  const u32 = () => { p += 4; return dv.getUint32(p - 4, true); };
  const center: Vec3 = [f64(), f64(), f64()];
  const minHeight = f32();
  const maxHeight = f32();
  const sphereCenter: Vec3 = [f64(), f64(), f64()];
  const sphereRadius = f64();
  const occlusion: Vec3 = [f64(), f64(), f64()];
  const n = u32();
  const arrays = [new Uint16Array(n), new Uint16Array(n), new Uint16Array(n)] as const;
  for (const arr of arrays) {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const z = dv.getUint16(p, true);
      p += 2;
      value += (z >> 1) ^ -(z & 1);
      arr[i] = value;
    }
  }
  const indexBytes = n > 65536 ? 4 : 2;
  if (p % indexBytes !== 0) p += indexBytes - (p % indexBytes);
  const readIndex = () => { p += indexBytes; return indexBytes === 4 ? dv.getUint32(p - 4, true) : dv.getUint16(p - 2, true); };
  const nt = u32();
  const indices = new Uint32Array(nt * 3);
  let highest = 0;
  for (let i = 0; i < nt * 3; i++) {
    const code = readIndex();
    indices[i] = highest - code;
    if (code === 0) highest++;
  }
  const edge = () => {
    const k = u32();
    const e = new Uint32Array(k);
    for (let i = 0; i < k; i++) e[i] = readIndex();
    return e;
  };
  const west = edge(), south = edge(), east = edge(), north = edge();
  const extensions: Array<[number, Uint8Array]> = [];
  while (p < bytes.length) {
    const id = dv.getUint8(p);
    const len = dv.getUint32(p + 1, true);
    p += 5;
    if (p + len > bytes.length) throw new RangeError(`extension ${id} overruns the tile`);
    extensions.push([id, bytes.subarray(p, p + len)]);
    p += len;
  }
  if (p !== bytes.length) throw new RangeError('truncated tile');
  return {
    center, minHeight, maxHeight, sphereCenter, sphereRadius, occlusion,
    u: arrays[0], v: arrays[1], h: arrays[2], indices, indexBytes, west, south, east, north, extensions,
  };
}
