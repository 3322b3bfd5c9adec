// encodeQuantizedMesh (WASM) vs the TS reference byte for byte, and the output read back by loaders.gl's
// QuantizedMeshLoader (what kepler.gl runs) and by a full decoder (edges, extensions, header geometry).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from '@loaders.gl/core';
import { QuantizedMeshLoader } from '@loaders.gl/terrain';
// @ts-expect-error: untyped package
import Martini from '@mapbox/martini';
import { decode as decodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeElevation, type ElevationEncoding } from '../../src/kernels/elevation.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { encodeQuantizedMesh, encodeQuantizedMeshInModule, parseAcceptExtensions, webMercatorTileFrame, type QuantizedMeshInput } from '../../src/kernels/quantized-mesh.js';
import { gridIntoModule, meshMartini, meshMartiniInModule } from '../../src/kernels/mesh-martini.js';
import { kernelLibm } from '../../src/kernels/libm.js';
import { tileBoundsLonLat } from '../../src/tiling/web-mercator.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { firstByteDifference } from './fixtures.js';
import {
  decodeQuantizedMesh, encodeQuantizedMeshReference, geodeticToEcef, horizonOcclusionPoint, octDecode, type DecodedQuantizedMesh,
} from './reference/quantized-mesh.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

type Bounds = QuantizedMeshInput['bounds'];
type Orientation = QuantizedMeshInput['orientation'];
type Vec3 = [number, number, number];
interface Mesh { vertices: Uint16Array; triangles: Uint32Array }

const TERRAIN = join(PACKAGE_ROOT, 'test/fixtures/terrain');
const MAXQ = 32767;
const DEG = Math.PI / 180;
/** Bounds of Web-Mercator tile z/x/y. */
function tileBounds(z: number, x: number, y: number): Bounds {
  const n = 2 ** z;
  const lon = (i: number) => (i / n) * 360 - 180;
  const lat = (j: number) => Math.atan(Math.sinh(Math.PI * (1 - (2 * j) / n))) / DEG;
  return [lon(x), lat(y + 1), lon(x + 1), lat(y)];
}
/** z10 x1070 y778 in geographic TMS (the MapTiler fixture's tile); the Grand Canyon fixture's tile. */
const ALPS: Bounds = [8.0859375, 46.7578125, 8.26171875, 46.93359375];
const CANYON = tileBounds(11, 385, 803);

/** A seeded PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Every grid point a vertex (row-major), 2 triangles per cell, winding alternating cell by cell. */
function fullGrid(g: number): Mesh {
  const vertices = new Uint16Array(g * g * 2);
  for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) vertices.set([x, y], 2 * (y * g + x));
  const triangles = new Uint32Array((g - 1) * (g - 1) * 6);
  let t = 0;
  for (let y = 0; y < g - 1; y++) {
    for (let x = 0; x < g - 1; x++) {
      const a = y * g + x;
      if ((x + y) % 2) triangles.set([a, a + 1, a + g, a + 1, a + g + 1, a + g], t);
      else triangles.set([a, a + g, a + 1, a + 1, a + g, a + g + 1], t);
      t += 6;
    }
  }
  return { vertices, triangles };
}

/** The 4 corners, 2 triangles. */
function twoTriangles(g: number): Mesh {
  return { vertices: Uint16Array.from([0, 0, g - 1, 0, 0, g - 1, g - 1, g - 1]), triangles: Uint32Array.from([0, 1, 2, 1, 3, 2]) };
}

/** The same mesh with its vertices renumbered, its triangles reordered and rotated at random. */
function shuffled(m: Mesh, seed: number): Mesh {
  const r = rng(seed);
  const nv = m.vertices.length / 2;
  const perm = Array.from({ length: nv }, (_, i) => i);
  for (let i = nv - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [perm[i], perm[j]] = [perm[j]!, perm[i]!]; }
  const vertices = new Uint16Array(nv * 2);
  for (let i = 0; i < nv; i++) vertices.set([m.vertices[2 * i]!, m.vertices[2 * i + 1]!], 2 * perm[i]!);
  const nt = m.triangles.length / 3;
  const tOrder = Array.from({ length: nt }, (_, i) => i).sort(() => r() - 0.5);
  const triangles = new Uint32Array(nt * 3);
  tOrder.forEach((t, k) => {
    const rot = Math.floor(r() * 3);
    for (let j = 0; j < 3; j++) triangles[3 * k + j] = perm[m.triangles[3 * t + ((j + rot) % 3)]!]!;
  });
  return { vertices, triangles };
}

function martini(heights: Float32Array, g: number, maxError: number): Mesh {
  const tile = new Martini(g).createTile(heights);
  return tile.getMesh(maxError) as Mesh;
}

/** A terrain fixture decoded by the kernel and backfilled to (n+1)^2, as martini's tests do. */
async function fixtureGrid(file: string, encoding: ElevationEncoding): Promise<{ heights: Float32Array; gridSize: number }> {
  const img = decodePng(await readFile(join(TERRAIN, file)));
  const n = img.width;
  const h = decodeElevation(kernels, img.data as Uint8Array, n, img.height, img.channels as 3 | 4, encoding);
  const g = n + 1;
  const heights = new Float32Array(g * g);
  for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) heights[y * g + x] = h[Math.min(y, n - 1) * n + Math.min(x, n - 1)]!;
  return { heights, gridSize: g };
}

function input(mesh: Mesh, heights: Float32Array, gridSize: number, bounds: Bounds, orientation: Orientation, extensions?: QuantizedMeshInput['extensions']): QuantizedMeshInput {
  return { ...mesh, heights, gridSize, bounds, orientation, ...(extensions ? { extensions } : {}) };
}

/** Encodes with the kernel and checks the bytes against the reference. */
function encodeChecked(inp: QuantizedMeshInput): Uint8Array {
  const got = encodeQuantizedMesh(kernels, inp);
  const want = encodeQuantizedMeshReference(inp, kernelLibm(kernels));
  expect(got.length).toBe(want.length);
  expect(firstByteDifference(got, want)).toBe(-1);
  return got;
}

/** Geographic position of grid point (x, y). */
function gridLonLat(x: number, y: number, g: number, [w, s, e, n]: Bounds): [number, number] {
  return [w + (x / (g - 1)) * (e - w), n - (y / (g - 1)) * (n - s)];
}

/** Decoded vertices in degrees and metres (f64, from the quantised values). */
function decodedLonLatH(d: DecodedQuantizedMesh, [w, s, e, n]: Bounds, orientation: Orientation): Vec3[] {
  return Array.from(d.u, (u, i) => {
    const t = d.v[i]! / MAXQ;
    const lat = orientation === 'kepler' ? n + t * (s - n) : s + t * (n - s);
    return [w + (u / MAXQ) * (e - w), lat, d.minHeight + (d.h[i]! / MAXQ) * (d.maxHeight - d.minHeight)];
  });
}

/** ECEF by the textbook formula (independent of the encoder's Cesium-style one). */
function ecef(lonDeg: number, latDeg: number, h: number): Vec3 {
  const a = 6378137, f = 1 / 298.257223563, e2 = f * (2 - f);
  const lat = latDeg * DEG, lon = lonDeg * DEG;
  const N = a / Math.sqrt(1 - e2 * Math.sin(lat) ** 2);
  return [(N + h) * Math.cos(lat) * Math.cos(lon), (N + h) * Math.cos(lat) * Math.sin(lon), (N * (1 - e2) + h) * Math.sin(lat)];
}

const dist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/**
 * Decodes with loaders.gl's QuantizedMeshLoader as kepler does ([w, n, e, s] bounds for kepler
 * orientation, [w, s, e, n] for spec) and checks every vertex against its grid point, the triangle set
 * against the input's, and the winding (counter-clockwise in the texture's (u, v)).
 */
async function checkWithLoadersGl(bytes: Uint8Array, inp: QuantizedMeshInput): Promise<void> {
  const { gridSize: g, bounds, heights, orientation } = inp;
  const [w, s, e, n] = bounds;
  const loaderBounds = orientation === 'kepler' ? [w, n, e, s] : [w, s, e, n];
  // the loader decodes indices in place: give it its own copy
  const mesh = (await parse(bytes.slice().buffer, QuantizedMeshLoader, { 'quantized-mesh': { bounds: loaderBounds, skirtHeight: 0 } })) as {
    attributes: { POSITION: { value: Float32Array }; TEXCOORD_0: { value: Float32Array } };
    indices: { value: Uint16Array | Uint32Array };
  };
  const pos = mesh.attributes.POSITION.value;
  const tex = mesh.attributes.TEXCOORD_0.value;
  const nOut = pos.length / 3;
  let lo = Infinity, hi = -Infinity;
  const used = new Set<number>();
  for (let t = 0; t < inp.triangles.length; t++) {
    const i = inp.triangles[t]!;
    const key = inp.vertices[2 * i + 1]! * g + inp.vertices[2 * i]!;
    used.add(key);
    lo = Math.min(lo, heights[key]!);
    hi = Math.max(hi, heights[key]!);
  }
  expect(nOut).toBe(new Set(Array.from(inp.triangles)).size);
  const tolLon = (0.5 * (e - w)) / MAXQ + Math.max(Math.abs(w), Math.abs(e)) * 2 ** -23;
  const tolLat = (0.5 * (n - s)) / MAXQ + Math.max(Math.abs(s), Math.abs(n)) * 2 ** -23;
  const tolH = (hi - lo) / MAXQ + Math.max(Math.abs(lo), Math.abs(hi)) * 2 ** -23;
  const keyOf = new Float64Array(nOut);
  let bad = 0;
  for (let i = 0; i < nOut; i++) {
    const lon = pos[3 * i]!, lat = pos[3 * i + 1]!, h = pos[3 * i + 2]!;
    const x = Math.round(((lon - w) / (e - w)) * (g - 1));
    const y = Math.round(((n - lat) / (n - s)) * (g - 1));
    const [glon, glat] = gridLonLat(x, y, g, bounds);
    const key = y * g + x;
    keyOf[i] = key;
    if (!used.has(key) || Math.abs(lon - glon) > tolLon || Math.abs(lat - glat) > tolLat || Math.abs(h - heights[key]!) > tolH) bad++;
  }
  expect(bad).toBe(0);
  // the same triangles (as sets of grid points), all counter-clockwise in (u, v)
  const idx = mesh.indices.value;
  expect(idx.length).toBe(inp.triangles.length);
  const tri3 = (a: number, b: number, c: number) => {
    const k = [a, b, c].sort((p, q) => p - q);
    return k[0]! * 2 ** 34 + k[1]! * 2 ** 17 + k[2]!;
  };
  const got = new Float64Array(idx.length / 3);
  const want = new Float64Array(idx.length / 3);
  let cw = 0;
  for (let t = 0; t < idx.length / 3; t++) {
    const [a, b, c] = [idx[3 * t]!, idx[3 * t + 1]!, idx[3 * t + 2]!];
    got[t] = tri3(keyOf[a]!, keyOf[b]!, keyOf[c]!);
    const key = (i: number) => inp.vertices[2 * i + 1]! * g + inp.vertices[2 * i]!;
    want[t] = tri3(key(inp.triangles[3 * t]!), key(inp.triangles[3 * t + 1]!), key(inp.triangles[3 * t + 2]!));
    const cross = (tex[2 * b]! - tex[2 * a]!) * (tex[2 * c + 1]! - tex[2 * a + 1]!) - (tex[2 * b + 1]! - tex[2 * a + 1]!) * (tex[2 * c]! - tex[2 * a]!);
    if (cross < 0) cw++;
  }
  expect(firstByteDifference(got.sort(), want.sort())).toBe(-1);
  expect(cw).toBe(0);
}

/** Format-level checks with the full decoder: edges, high-water order, header geometry, extensions. */
function checkDecoded(bytes: Uint8Array, inp: QuantizedMeshInput): DecodedQuantizedMesh {
  const d = decodeQuantizedMesh(bytes);
  const n = d.u.length;
  expect(d.indexBytes).toBe(n > 65536 ? 4 : 2);
  // first-use order: each index is at most one past the highest so far
  let highest = -1, jumps = 0;
  for (const i of d.indices) {
    if (i > highest + 1) jumps++;
    highest = Math.max(highest, i);
  }
  expect(jumps).toBe(0);
  expect(highest).toBe(n - 1);
  // edges: exactly the vertices with u = 0 / v = 0 / u = max / v = max, sorted along the edge
  const ids = [...Array(n).keys()];
  const sameSet = (edge: Uint32Array, pred: (i: number) => boolean, along: Uint16Array) => {
    expect(Array.from(edge).sort((a, b) => a - b)).toEqual(ids.filter(pred));
    let unsorted = 0;
    for (let k = 1; k < edge.length; k++) if (along[edge[k]!]! < along[edge[k - 1]!]!) unsorted++;
    expect(unsorted).toBe(0);
  };
  sameSet(d.west, (i) => d.u[i] === 0, d.v);
  sameSet(d.south, (i) => d.v[i] === 0, d.u);
  sameSet(d.east, (i) => d.u[i] === MAXQ, d.v);
  sameSet(d.north, (i) => d.v[i] === MAXQ, d.u);
  // v = 0 is the north edge in kepler's orientation, the south edge in the spec's
  const { gridSize: g, orientation, bounds } = inp;
  const southRow = orientation === 'kepler' ? 0 : g - 1;
  for (const i of d.south) expect(d.v[i]).toBe(0);
  const southKeys = Array.from(inp.triangles, (i) => inp.vertices[2 * i + 1]).filter((y) => y === southRow);
  expect(d.south.length > 0).toBe(southKeys.length > 0);

  if (n === 0) return d;
  const lonLatH = decodedLonLatH(d, bounds, orientation);
  const points = lonLatH.map(([lon, lat, h]) => ecef(lon, lat, h));
  // header centre: the tile's centre at mid height
  const [w, s, e, nn] = bounds;
  expect(dist(d.center, ecef((w + e) / 2, (s + nn) / 2, (d.minHeight + d.maxHeight) / 2))).toBeLessThan(1e-6);
  // bounding sphere covers every vertex, no larger than the box's half diagonal
  let far = 0;
  for (const p of points) far = Math.max(far, dist(p, d.sphereCenter));
  expect(far).toBeLessThanOrEqual(d.sphereRadius + 1e-6);
  const box = [0, 1, 2].map((k) => points.reduce((m, p) => Math.max(m, p[k]!), -Infinity) - points.reduce((m, p) => Math.min(m, p[k]!), Infinity));
  expect(d.sphereRadius).toBeLessThanOrEqual(Math.hypot(...box) / 2 + 1e-6);
  return d;
}

/**
 * The horizon occlusion point P, recomputed from its definition with angles: in the ellipsoid's scaled
 * space (shrunk by a negative minimum height) P lies along the bounding sphere centre's direction d, as
 * far out as the farthest point from which some vertex q is still on the horizon: 1 / cos(alpha + beta)
 * with alpha the angle between q and d and beta = acos(1 / |q|) (q below the ellipsoid counts as on it).
 */
function checkOcclusion(d: DecodedQuantizedMesh, inp: QuantizedMeshInput): number {
  const P = d.occlusion;
  const len = Math.hypot(...P);
  const m = Math.min(0, d.minHeight);
  const radii = [6378137 + m, 6378137 + m, 6356752.3142451793 + m];
  const scaled = (p: Vec3): Vec3 => [p[0] / radii[0]!, p[1] / radii[1]!, p[2] / radii[2]!];
  const c = scaled(d.sphereCenter);
  const dir = c.map((x) => x / Math.hypot(...c)) as Vec3;
  for (let k = 0; k < 3; k++) expect(Math.abs(P[k]! / len - dir[k]!)).toBeLessThan(1e-12);
  let t = 0;
  for (const [lon, lat, h] of decodedLonLatH(d, inp.bounds, inp.orientation)) {
    const q = scaled(ecef(lon, lat, h));
    const qm = Math.hypot(...q);
    const cross = [q[1] * dir[2] - q[2] * dir[1], q[2] * dir[0] - q[0] * dir[2], q[0] * dir[1] - q[1] * dir[0]];
    const alpha = Math.atan2(Math.hypot(...cross), q[0] * dir[0] + q[1] * dir[1] + q[2] * dir[2]);
    const beta = Math.acos(1 / Math.max(1, qm));
    t = Math.max(t, 1 / Math.cos(alpha + beta));
  }
  expect(Math.abs(len / t - 1)).toBeLessThan(1e-9);
  return len;
}

describe('parseAcceptExtensions', () => {
  it('reads the extensions Cesium asks for', () => {
    expect(parseAcceptExtensions(undefined)).toEqual({ octNormals: false, metadata: false, waterMask: false });
    expect(parseAcceptExtensions('*/*')).toEqual({ octNormals: false, metadata: false, waterMask: false });
    expect(parseAcceptExtensions('application/vnd.quantized-mesh,application/octet-stream;q=0.9,*/*;q=0.01'))
      .toEqual({ octNormals: false, metadata: false, waterMask: false });
    expect(parseAcceptExtensions('application/vnd.quantized-mesh;extensions=octvertexnormals-watermask-metadata,application/octet-stream;q=0.9,*/*;q=0.01'))
      .toEqual({ octNormals: true, metadata: true, waterMask: true });
    expect(parseAcceptExtensions('application/vnd.quantized-mesh;extensions=metadata')).toEqual({ octNormals: false, metadata: true, waterMask: false });
    expect(parseAcceptExtensions('Application/VND.Quantized-Mesh ; q=1 ; Extensions="OctVertexNormals"'))
      .toEqual({ octNormals: true, metadata: false, waterMask: false });
    // only quantized-mesh ranges count
    expect(parseAcceptExtensions('application/json;extensions=metadata, application/vnd.quantized-mesh;extensions=watermask'))
      .toEqual({ octNormals: false, metadata: false, waterMask: true });
    expect(parseAcceptExtensions('application/vnd.quantized-mesh;extensions=vertexnormals')).toEqual({ octNormals: false, metadata: false, waterMask: false });
  });
});

describe('reading the format', () => {
  it('decodes the MapTiler tile with loaders.gl and with the test decoder, and reproduces its occlusion point', async () => {
    const bytes = new Uint8Array(await readFile(join(TERRAIN, 'loadersgl_maptiler_10_1070_778.terrain')));
    const mesh = (await parse(bytes.slice().buffer, QuantizedMeshLoader, { 'quantized-mesh': { bounds: [ALPS[0], ALPS[1], ALPS[2], ALPS[3]], skirtHeight: 0 } })) as {
      attributes: { POSITION: { value: Float32Array } }; indices: { value: Uint16Array };
    };
    expect(mesh.attributes.POSITION.value.length).toBe(709 * 3);
    expect(mesh.indices.value.length).toBe(2078 * 3);
    const d = decodeQuantizedMesh(bytes);
    expect([d.u.length, d.indices.length / 3, d.minHeight, d.maxHeight]).toEqual([709, 2078, 461, 2390]);
    expect([d.west.length, d.south.length, d.east.length, d.north.length]).toEqual([21, 23, 24, 20]);
    expect(d.extensions.map(([id, b]) => [id, b.length])).toEqual([[1, 1418]]);
    expect(Array.from(d.u.subarray(0, 3))).toEqual([32767, 32767, 32255]);
    expect(Math.hypot(...d.occlusion)).toBeCloseTo(1.00043, 5);
    for (let i = 0; i < 709; i++) {
      const z = mesh.attributes.POSITION.value[3 * i + 2]!;
      expect(Math.abs(z - (461 + (d.h[i]! / MAXQ) * (2390 - 461)))).toBeLessThan(1e-3);
    }
    // our occlusion algorithm on its decoded vertices, from its sphere centre, gives its point
    const [w, s, e, n] = ALPS;
    const pts = Array.from(d.u, (u, i) => geodeticToEcef(
      (w + (u / MAXQ) * (e - w)) * DEG, (s + (d.v[i]! / MAXQ) * (n - s)) * DEG, d.minHeight + (d.h[i]! / MAXQ) * (d.maxHeight - d.minHeight)));
    const P = horizonOcclusionPoint(d.sphereCenter, pts, d.minHeight)!;
    for (let k = 0; k < 3; k++) expect(Math.abs(P[k]! - d.occlusion[k]!)).toBeLessThan(1e-9);
  });

  it('decodes the ctod empty tile (its occlusion point is NaN, -Infinity, NaN)', async () => {
    const d = decodeQuantizedMesh(new Uint8Array(await readFile(join(TERRAIN, 'ctod_empty.terrain'))));
    expect([d.u.length, d.indices.length / 3, d.west.length]).toEqual([289, 855, 17]);
    expect(d.occlusion).toEqual([NaN, -Infinity, NaN]);
    expect(d.extensions.map(([id, b]) => [id, b.length])).toEqual([[1, 578]]);
  });
});

describe('encodeQuantizedMesh on synthetic grids', () => {
  const wavy = (g: number, base = 500, amp = 300) => {
    const h = new Float32Array(g * g);
    for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) h[y * g + x] = base + amp * Math.sin(x * 0.7) * Math.cos(y * 0.45) + 3 * x - 2 * y;
    return h;
  };

  for (const orientation of ['kepler', 'spec'] as const) {
    it(`${orientation}: small grids, full and shuffled meshes, every extension combination`, async () => {
      for (const g of [2, 3, 5, 17, 65]) {
        const heights = wavy(g);
        for (const mesh of [fullGrid(g), shuffled(fullGrid(g), g), twoTriangles(g)]) {
          for (const extensions of [undefined, { octNormals: true }, { metadata: { available: [[{ startX: 0, startY: 0, endX: 1, endY: 1 }]] } }, { octNormals: true, metadata: { 'ü': 'ß' } }]) {
            const inp = input(mesh, heights, g, ALPS, orientation, extensions);
            const bytes = encodeChecked(inp);
            await checkWithLoadersGl(bytes, inp);
            const d = checkDecoded(bytes, inp);
            checkOcclusion(d, inp);
            const ids = d.extensions.map(([id]) => id);
            expect(ids).toEqual([...(extensions?.octNormals ? [1] : []), ...(extensions?.metadata ? [4] : [])]);
            if (extensions?.octNormals) expect(d.extensions[0]![1].length).toBe(2 * d.u.length);
            if (extensions?.metadata) {
              const payload = d.extensions.at(-1)![1];
              const len = new DataView(payload.buffer, payload.byteOffset).getUint32(0, true);
              expect(len).toBe(payload.length - 4);
              expect(JSON.parse(new TextDecoder().decode(payload.subarray(4)))).toEqual(extensions.metadata);
            }
          }
        }
      }
    });
  }

  it('both orientations describe the same surface; kepler mirrors v', () => {
    const g = 17;
    const heights = wavy(g);
    const mesh = shuffled(fullGrid(g), 7);
    const k = decodeQuantizedMesh(encodeChecked(input(mesh, heights, g, CANYON, 'kepler', { octNormals: true })));
    const s = decodeQuantizedMesh(encodeChecked(input(mesh, heights, g, CANYON, 'spec', { octNormals: true })));
    const byPoint = (d: DecodedQuantizedMesh, orientation: Orientation) => {
      const map = new Map<string, { h: number; v: number; normal: Vec3 }>();
      const ll = decodedLonLatH(d, CANYON, orientation);
      const normals = d.extensions[0]![1];
      ll.forEach(([lon, lat, h], i) => map.set(`${lon.toFixed(9)},${lat.toFixed(9)}`, { h, v: d.v[i]!, normal: octDecode(normals[2 * i]!, normals[2 * i + 1]!) }));
      return map;
    };
    const mk = byPoint(k, 'kepler');
    const ms = byPoint(s, 'spec');
    expect(mk.size).toBe(g * g);
    for (const [key, a] of mk) {
      const b = ms.get(key)!;
      expect(b.h).toBe(a.h);
      expect(a.v + b.v).toBe(MAXQ);
      const cos = a.normal[0] * b.normal[0] + a.normal[1] * b.normal[1] + a.normal[2] * b.normal[2];
      expect(cos).toBeGreaterThan(Math.cos(2 * DEG)); // within the oct quantisation
    }
    expect(k.minHeight).toBe(s.minHeight);
    expect(k.maxHeight).toBe(s.maxHeight);
  });

  it('normals point up: along the ellipsoid normal on a flat tile, tilted on a slope', () => {
    const g = 9;
    for (const orientation of ['kepler', 'spec'] as const) {
      const flat = new Float32Array(g * g).fill(250);
      const d = decodeQuantizedMesh(encodeChecked(input(fullGrid(g), flat, g, ALPS, orientation, { octNormals: true })));
      expect(d.h.every((h) => h === 0)).toBe(true); // max == min: every height quantises to 0
      expect([d.minHeight, d.maxHeight]).toEqual([250, 250]);
      const normals = d.extensions[0]![1];
      decodedLonLatH(d, ALPS, orientation).forEach(([lon, lat], i) => {
        const up: Vec3 = [Math.cos(lat * DEG) * Math.cos(lon * DEG), Math.cos(lat * DEG) * Math.sin(lon * DEG), Math.sin(lat * DEG)];
        const nv = octDecode(normals[2 * i]!, normals[2 * i + 1]!);
        expect(nv[0] * up[0] + nv[1] * up[1] + nv[2] * up[2]).toBeGreaterThan(Math.cos(1.5 * DEG));
      });
      // rising eastwards by ~ the tile's width over its width (45 degrees): normals lean west
      const widthM = (ALPS[2] - ALPS[0]) * DEG * 6378137 * Math.cos(46.85 * DEG);
      const ramp = new Float32Array(g * g).map((_, i) => ((i % g) / (g - 1)) * widthM);
      const r = decodeQuantizedMesh(encodeChecked(input(fullGrid(g), ramp, g, ALPS, orientation, { octNormals: true })));
      const rn = r.extensions[0]![1];
      const lon0 = (ALPS[0] + ALPS[2]) / 2;
      const upC: Vec3 = [Math.cos(46.85 * DEG) * Math.cos(lon0 * DEG), Math.cos(46.85 * DEG) * Math.sin(lon0 * DEG), Math.sin(46.85 * DEG)];
      const eastC: Vec3 = [-Math.sin(lon0 * DEG), Math.cos(lon0 * DEG), 0];
      for (let i = 0; i < r.u.length; i++) {
        const nv = octDecode(rn[2 * i]!, rn[2 * i + 1]!);
        const up = nv[0] * upC[0] + nv[1] * upC[1] + nv[2] * upC[2];
        const east = nv[0] * eastC[0] + nv[1] * eastC[1] + nv[2] * eastC[2];
        expect(Math.atan2(-east, up) / DEG).toBeGreaterThan(40);
        expect(Math.atan2(-east, up) / DEG).toBeLessThan(50);
      }
    }
  });

  it('occlusion point: ~1 in scaled units, flat tiles at sea level, below the ellipsoid, NaN for a whole hemisphere', () => {
    const g = 17;
    for (const orientation of ['kepler', 'spec'] as const) {
      for (const [heights, bounds] of [
        [wavy(g), ALPS], [new Float32Array(g * g), ALPS], [new Float32Array(g * g), [-1, -1, 1, 1]],
        [wavy(g, -300, 100), CANYON], [wavy(g, 8000, 800), [170, 80, 180, 85]],
      ] as Array<[Float32Array, Bounds]>) {
        const inp = input(fullGrid(g), heights, g, bounds, orientation);
        const d = checkDecoded(encodeChecked(inp), inp);
        const len = checkOcclusion(d, inp);
        expect(len).toBeGreaterThanOrEqual(1);
        expect(len).toBeLessThan(1.01);
      }
      // a hemisphere-sized tile has no horizon culling point: NaN (Cesium then never culls it)
      const inp = input(fullGrid(g), wavy(g), g, [-180, -90, 0, 90], orientation);
      expect(decodeQuantizedMesh(encodeChecked(inp)).occlusion.every(Number.isNaN)).toBe(true);
    }
  });

  it('drops unused vertices, keeps degenerate triangles, encodes an empty mesh', async () => {
    const g = 5;
    const heights = wavy(g);
    const full = fullGrid(g);
    // 3 extra vertices, one only in an index-degenerate triangle
    const vertices = Uint16Array.from([...full.vertices, 2, 2, 4, 4, 1, 3]);
    const triangles = Uint32Array.from([...full.triangles, 0, 0, 27]);
    for (const orientation of ['kepler', 'spec'] as const) {
      const inp = input({ vertices, triangles }, heights, g, ALPS, orientation, { octNormals: true });
      const bytes = encodeChecked(inp);
      const d = checkDecoded(bytes, inp);
      expect(d.u.length).toBe(g * g + 1);
      await checkWithLoadersGl(bytes, inp);
      const empty = input({ vertices, triangles: new Uint32Array(0) }, heights, g, ALPS, orientation, { octNormals: true, metadata: {} });
      const e = decodeQuantizedMesh(encodeChecked(empty));
      expect([e.u.length, e.indices.length, e.minHeight, e.maxHeight, e.sphereRadius]).toEqual([0, 0, 0, 0, 0]);
      expect(e.extensions.map(([id, b]) => [id, b.length])).toEqual([[1, 0], [4, 6]]);
    }
  });

  it('1 to 9 used vertices (the kernel works on blocks of 2 and 4 vertices), degenerate triangles included', () => {
    const g = 5;
    const heights = wavy(g);
    const { vertices } = fullGrid(g);
    for (let k = 1; k <= 9; k++) {
      // a fan over grid points 0..k-1 (row 0, then row 1), or (0, k-1, k-1)
      const triangles = k < 3 ? Uint32Array.from([0, k - 1, k - 1]) : Uint32Array.from({ length: 3 * (k - 2) }, (_, j) => (j % 3 === 0 ? 0 : Math.floor(j / 3) + (j % 3)));
      for (const orientation of ['kepler', 'spec'] as const) {
        const d = decodeQuantizedMesh(encodeChecked(input({ vertices, triangles }, heights, g, ALPS, orientation, { octNormals: true })));
        expect(d.u.length).toBe(k);
      }
    }
  });

  it('rejects bad meshes', () => {
    const g = 3;
    const heights = new Float32Array(9);
    const ok = fullGrid(g);
    const enc = (m: Partial<QuantizedMeshInput>) => () => encodeQuantizedMesh(kernels, { ...input(ok, heights, g, ALPS, 'spec'), ...m });
    expect(enc({ triangles: Uint32Array.from([0, 1, 9]) })).toThrow(/not a vertex/);
    expect(enc({ vertices: Uint16Array.from([...ok.vertices.subarray(2), 3, 0]) })).toThrow(/outside the grid/);
    expect(enc({ heights: new Float32Array(9).fill(NaN) })).toThrow(/NaN/);
    expect(enc({ heights: new Float32Array(8) })).toThrow(RangeError);
    expect(enc({ gridSize: 1 })).toThrow(RangeError);
    expect(enc({ bounds: [1, 0, 0, 1] })).toThrow(RangeError);
    expect(enc({ triangles: new Uint32Array(4) })).toThrow(RangeError);
    // the kernel stays usable
    expect(encodeQuantizedMesh(kernels, input(ok, heights, g, ALPS, 'spec')).length).toBeGreaterThan(88);
  });
});

describe('encodeQuantizedMesh on the terrain fixtures', () => {
  const fixtures: Array<[string, ElevationEncoding, Bounds]> = [
    ['pymartini_terrarium_11_385_803.png', 'terrarium', CANYON],
    ['pymartini_mapbox_st_helens_14_2630_5812.png', 'mapbox', tileBounds(14, 2630, 5812)],
    ['loadersgl_mapbox.png', 'mapbox', ALPS],
  ];
  for (const [file, encoding, bounds] of fixtures) {
    it(`${file}: 2 triangles, martini meshes and the full 257 grid (32-bit indices), both orientations`, async () => {
      const { heights, gridSize: g } = await fixtureGrid(file, encoding);
      expect(g).toBe(257);
      for (const orientation of ['kepler', 'spec'] as const) {
        for (const mesh of [twoTriangles(g), martini(heights, g, 20), fullGrid(g)]) {
          const inp = input(mesh, heights, g, bounds, orientation, { octNormals: true });
          const bytes = encodeChecked(inp);
          await checkWithLoadersGl(bytes, inp);
          const d = checkDecoded(bytes, inp);
          checkOcclusion(d, inp);
          if (mesh.vertices.length === 2 * 257 * 257) {
            expect(d.u.length).toBe(66049);
            expect(d.indexBytes).toBe(4);
            // 2 bytes of padding bring the u32 triangle count and indices to a multiple of 4
            const at = 92 + 6 * 66049;
            expect(at % 4).toBe(2);
            expect([bytes[at], bytes[at + 1]]).toEqual([0, 0]);
            expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(at + 2, true)).toBe(mesh.triangles.length / 3);
          }
        }
      }
    }, 60_000);
  }

  it('65536 vertices still use 16-bit indices, 66049 use 32-bit', async () => {
    const { heights } = await fixtureGrid('pymartini_terrarium_11_385_803.png', 'terrarium');
    // a 256 grid (the top-left 256x256 of the 257 grid): 65536 vertices, the last 16-bit count
    const g = 256;
    const h256 = new Float32Array(g * g);
    for (let y = 0; y < g; y++) h256.set(heights.subarray(y * 257, y * 257 + g), y * g);
    for (const orientation of ['kepler', 'spec'] as const) {
      const inp = input(shuffled(fullGrid(g), 3), h256, g, CANYON, orientation);
      const bytes = encodeChecked(inp);
      const d = checkDecoded(bytes, inp);
      expect([d.u.length, d.indexBytes]).toEqual([65536, 2]);
      await checkWithLoadersGl(bytes, inp);
    }
  }, 60_000);

  it('65536 used vertices, then a triangle back at vertex 0: its 16-bit code 65536 is written as 0, the normals use vertex 0', async () => {
    const { heights } = await fixtureGrid('pymartini_terrarium_11_385_803.png', 'terrarium');
    const g = 256;
    const h256 = new Float32Array(g * g);
    for (let y = 0; y < g; y++) h256.set(heights.subarray(y * 257, y * 257 + g), y * g);
    const full = fullGrid(g);
    const triangles = Uint32Array.from([...full.triangles, 0, g, 1]);
    const bytes = encodeChecked(input({ vertices: full.vertices, triangles }, h256, g, CANYON, 'kepler', { octNormals: true }));
    const d = decodeQuantizedMesh(bytes);
    expect([d.u.length, d.indexBytes]).toEqual([65536, 2]);
    const lastTriangle = 92 + 6 * 65536 + 4 + 6 * (triangles.length / 3 - 1);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint16(lastTriangle, true)).toBe(0);
  }, 60_000);

  it('a fuji martini mesh (~10k vertices)', async () => {
    const { heights, gridSize: g } = await fixtureGrid('martini_fuji.png', 'mapbox');
    const mesh = martini(heights, g, 30);
    expect(mesh.vertices.length / 2).toBe(9704);
    for (const orientation of ['kepler', 'spec'] as const) {
      const inp = input(mesh, heights, g, tileBounds(11, 1812, 808), orientation, { octNormals: true, metadata: {} });
      const bytes = encodeChecked(inp);
      await checkWithLoadersGl(bytes, inp);
      checkOcclusion(checkDecoded(bytes, inp), inp);
    }
  }, 60_000);
});

describe('meshing and encoding in module memory (what the server does)', () => {
  it('gives the bytes of meshMartini + encodeQuantizedMesh, with and without the extensions', async () => {
    const { heights, gridSize: g } = await fixtureGrid('pymartini_terrarium_11_385_803.png', 'terrarium');
    const tile = { z: 11, x: 385, y: 803 };
    for (const [maxError, orientation, extensions] of [[30.1, 'kepler', {}], [5, 'spec', { octNormals: true, metadata: { geometricError: 5 } }]] as const) {
      const frame = { gridSize: g, ...webMercatorTileFrame(kernels, tile, g), orientation, extensions };
      const mesh = meshMartini(kernels, heights, g, maxError, 'exact');
      const copied = encodeQuantizedMesh(kernels, { vertices: mesh.vertices, triangles: mesh.triangles, heights, ...frame });
      const at = gridIntoModule(kernels, heights, g);
      const inModule = meshMartiniInModule(kernels, at, g, maxError, 'exact');
      expect([inModule.vertexCount, inModule.triangleCount]).toEqual([mesh.vertices.length / 2, mesh.triangles.length / 3]);
      expect(firstByteDifference(encodeQuantizedMeshInModule(kernels, inModule, at, frame), copied)).toBe(-1);
    }
  }, 60_000);
});

describe('encodeQuantizedMesh with Web-Mercator rows (rowLatitudes)', () => {
  it('places each grid row at its own latitude, as loaders.gl decodes it, in both orientations', async () => {
    const g = 17;
    const [w, s, e, n] = CANYON;
    const mercY = (lat: number) => Math.log(Math.tan(Math.PI / 4 + (lat * DEG) / 2));
    const rowLatitudes = Array.from({ length: g }, (_, r) => {
      const y = mercY(n) + (r / (g - 1)) * (mercY(s) - mercY(n));
      return (2 * Math.atan(Math.exp(y)) - Math.PI / 2) / DEG;
    });
    const heights = Float32Array.from({ length: g * g }, (_, i) => 1000 + (i % g) * 3 + Math.floor(i / g));
    for (const orientation of ['kepler', 'spec'] as const) {
      const inp = { ...input(fullGrid(g), heights, g, CANYON, orientation), rowLatitudes };
      const bytes = encodeChecked(inp);
      const loaderBounds = orientation === 'kepler' ? [w, n, e, s] : [w, s, e, n];
      const mesh = (await parse(bytes.slice().buffer, QuantizedMeshLoader, { 'quantized-mesh': { bounds: loaderBounds, skirtHeight: 0 } })) as {
        attributes: { POSITION: { value: Float32Array } };
      };
      const pos = mesh.attributes.POSITION.value;
      const tolLat = (0.5 * (n - s)) / MAXQ + 1e-5;
      for (let i = 0; i < pos.length / 3; i++) {
        const [lon, lat, h] = [pos[3 * i]!, pos[3 * i + 1]!, pos[3 * i + 2]!];
        const col = Math.round(((lon - w) / (e - w)) * (g - 1));
        const row = Math.round(h - 1000 - col * 3); // the heights encode the row
        expect(Math.abs(lat - rowLatitudes[row]!), `row ${row}`).toBeLessThanOrEqual(tolLat);
      }
    }
  });
});

describe('webMercatorTileFrame (latitudes from the kernels\' libm)', () => {
  it('gives the bounds of tileBoundsLonLat and rows evenly spaced in Mercator y, to the last bits', () => {
    for (const tile of [{ z: 0, x: 0, y: 0 }, { z: 11, x: 385, y: 803 }, { z: 14, x: 2630, y: 5812 }, { z: 3, x: 7, y: 0 }]) {
      const { bounds, rowLatitudes } = webMercatorTileFrame(kernels, tile, 257);
      const want = tileBoundsLonLat(tile);
      bounds.forEach((b, i) => expect(Math.abs(b - want[i]!), `${JSON.stringify(tile)} bound ${i}`).toBeLessThanOrEqual(1e-12));
      expect(rowLatitudes![0]).toBe(bounds[3]);
      expect(Math.abs(rowLatitudes![256]! - bounds[1])).toBeLessThanOrEqual(1e-12);
      for (let r = 1; r < 257; r++) expect(rowLatitudes![r]!).toBeLessThan(rowLatitudes![r - 1]!);
    }
  });

  it("the kernels' libm is within an ulp or so of Math", () => {
    const libm = kernelLibm(kernels);
    for (let i = 0; i < 1000; i++) {
      const x = (i / 1000 - 0.5) * 7;
      for (const f of ['sin', 'cos', 'atan', 'exp'] as const) {
        expect(Math.abs(libm[f](x) - Math[f](x))).toBeLessThanOrEqual(4e-16 * Math.max(1, Math.abs(Math[f](x))));
      }
    }
  });
});
