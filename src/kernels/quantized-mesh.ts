// Glue of the quantized-mesh-1.0 encoder (assembly/quantized-mesh.ts). Browser-safe.
//
// The kernel does all the work (winding, renumbering, quantisation, ECEF geometry, header, zig-zag,
// high-water marks, edges, extensions); this file validates the input and makes the kernel's tables:
// sin/cos of each grid column's longitude and each grid row's latitude (as decoded from the quantised
// u and v), and of the tile's centre, with the module's own libm (libm.ts) so that every engine
// computes the same bytes.

import { tileBoundsMercator, ORIGIN_SHIFT, type TileIndex } from '../tiling/web-mercator.js';
import type { Kernels } from './kernels.js';
import { kernelLibm } from './libm.js';
import type { ModuleMesh } from './mesh-martini.js';

export const QUANTIZED_MESH_MEDIA_TYPE = 'application/vnd.quantized-mesh';

export interface QuantizedMeshInput {
  /** x, y grid coordinates interleaved (0..gridSize-1). */
  vertices: Uint16Array;
  /** 3 indices each, any winding (made counter-clockwise in the output orientation's (u, v)). */
  triangles: Uint32Array;
  /** The grid, row-major gridSize x gridSize (row 0 = NORTH edge). */
  heights: Float32Array;
  /** e.g. 257; 2..32768 (so that every grid column and row has its own u and v). */
  gridSize: number;
  /** Tile bounds in degrees. */
  bounds: [west: number, south: number, east: number, north: number];
  /**
   * Latitude in degrees of each grid row (row 0 = north), for grids whose rows are not evenly spaced
   * in latitude (Web-Mercator tiles: rows are even in Mercator y). Default: evenly spaced.
   */
  rowLatitudes?: ArrayLike<number>;
  /**
   * kepler: v = 0 at the NORTH edge (kepler.gl decodes with bounds [w, n, e, s]);
   * spec: v = 0 at the south edge, as the quantized-mesh spec and Cesium expect.
   */
  orientation: 'kepler' | 'spec';
  /** Only what the client's Accept asked for (see parseAcceptExtensions). */
  extensions?: { octNormals?: boolean; metadata?: object };
}

export interface AcceptedExtensions {
  octNormals: boolean;
  metadata: boolean;
  waterMask: boolean;
}

/**
 * The quantized-mesh extensions an Accept header asks for, as Cesium sends it:
 * `application/vnd.quantized-mesh;extensions=octvertexnormals-watermask-metadata,application/octet-stream;q=0.9,*\/*;q=0.01`.
 * Only the `extensions` parameters of `application/vnd.quantized-mesh` ranges count (names are
 * case-insensitive, separated by `-`; several ranges are merged).
 */
export function parseAcceptExtensions(accept: string | undefined): AcceptedExtensions {
  const result: AcceptedExtensions = { octNormals: false, metadata: false, waterMask: false };
  if (!accept) return result;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';');
    if (type!.trim().toLowerCase() !== QUANTIZED_MESH_MEDIA_TYPE) continue;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'extensions') continue;
      const value = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      for (const name of value.toLowerCase().split('-')) {
        const n = name.trim();
        if (n === 'octvertexnormals') result.octNormals = true;
        else if (n === 'metadata') result.metadata = true;
        else if (n === 'watermask') result.waterMask = true;
      }
    }
  }
  return result;
}

type EncodeFn = (
  vertices: number, vertexCount: number, triangles: number, triangleCount: number, heights: number, gridSize: number,
  tables: number, flags: number, meta: number, metaLen: number, out: number,
) => number;

const ERRORS: Record<number, string> = {
  [-1]: 'a triangle index is not a vertex',
  [-2]: 'a vertex lies outside the grid',
  [-3]: 'a mesh vertex has a NaN or infinite height',
  [-4]: 'bad arguments',
};

const MAXQ = 32767;
/** The Web-Mercator sphere's radius in metres (EPSG:3857). */
const EARTH_RADIUS = 6378137;
const RADIANS_PER_DEGREE = Math.PI / 180;

/** u of a grid column (also v of a grid row in kepler orientation). */
export function quantizeGridCoordinate(i: number, gridSize: number): number {
  return Math.round((i / (gridSize - 1)) * MAXQ);
}

/** v of a grid row: the row's latitude placed linearly between the tile's bounds, as decoders read v. */
export function gridRowV(row: number, input: Pick<QuantizedMeshInput, 'gridSize' | 'orientation' | 'bounds' | 'rowLatitudes'>): number {
  const [, south, , north] = input.bounds;
  const fromNorth = input.rowLatitudes
    ? Math.min(MAXQ, Math.max(0, Math.round(((north - input.rowLatitudes[row]) / (north - south)) * MAXQ)))
    : quantizeGridCoordinate(row, input.gridSize);
  return input.orientation === 'kepler' ? fromNorth : MAXQ - fromNorth;
}

/**
 * The tile's quantized-mesh-1.0 bytes (not compressed). Header per the spec in WGS84 (centre at
 * mid height, bounding sphere over the decoded vertices, horizon occlusion point in ellipsoid-scaled
 * coordinates, NaN when undefined, which Cesium never culls); vertices in first-use order of the
 * triangles (unused vertices dropped); edges W, S, E, N meaning u = 0, v = 0, u = max, v = max;
 * extension 1 (oct normals) and 4 (metadata) only when asked.
 */
export function encodeQuantizedMesh(k: Kernels, input: QuantizedMeshInput): Uint8Array {
  const { vertices, triangles, heights, gridSize: g } = input;
  checkGridSize(g);
  if (heights.length < g * g) throw new RangeError(`encodeQuantizedMesh: ${heights.length} heights, need ${g}x${g}`);
  if (vertices.length % 2 !== 0) throw new RangeError('encodeQuantizedMesh: vertices must hold x, y pairs');
  if (triangles.length % 3 !== 0) throw new RangeError('encodeQuantizedMesh: triangles must hold 3 indices each');
  k.exports.reset();
  const mesh: ModuleMesh = { vertices: copyIn(k, vertices), vertexCount: vertices.length / 2, triangles: copyIn(k, triangles), triangleCount: triangles.length / 3 };
  return encodeQuantizedMeshInModule(k, mesh, copyIn(k, heights.subarray(0, g * g)), input);
}

/** What encodeQuantizedMeshInModule needs besides the mesh and grid: the grid's size and place. */
export type QuantizedMeshFrame = Omit<QuantizedMeshInput, 'vertices' | 'triangles' | 'heights'>;

/**
 * encodeQuantizedMesh of a mesh and a gridSize^2 f32 grid already in module memory (the caller
 * reset the module and put them there, e.g. with meshMartiniInModule): nothing is copied in but the
 * tables; the tile's bytes are copied out.
 */
export function encodeQuantizedMeshInModule(k: Kernels, mesh: ModuleMesh, heights: number, frame: QuantizedMeshFrame): Uint8Array {
  const { gridSize: g, bounds, orientation } = frame;
  checkGridSize(g);
  if (orientation !== 'kepler' && orientation !== 'spec') throw new TypeError(`encodeQuantizedMesh: unknown orientation ${String(orientation)}`);
  const [west, south, east, north] = bounds;
  if (![west, south, east, north].every(Number.isFinite) || !(west < east) || !(south < north) || south < -90 || north > 90) {
    throw new RangeError(`encodeQuantizedMesh: bad bounds [${bounds.join(', ')}]`);
  }
  const nv = mesh.vertexCount;
  const nt = mesh.triangleCount;
  if (nv > 0x7fffffff || nt > 0x0fffffff) throw new RangeError('encodeQuantizedMesh: mesh too large');
  const kepler = orientation === 'kepler';
  const ext = frame.extensions ?? {};
  const meta = ext.metadata === undefined ? undefined : new TextEncoder().encode(JSON.stringify(ext.metadata));
  const tables = encoderTables(k, frame);

  const nOut = Math.min(nv, nt * 3);
  const wide = nOut > 65536 ? 4 : 2;
  const bound = 88 + 4 + 6 * nOut + 2 + 4 + 3 * nt * wide + 16 + 2 * nOut * wide
    + (ext.octNormals ? 5 + 2 * nOut : 0) + (meta ? 9 + meta.length : 0);

  const x = k.exports;
  const fn = x['qm_encode'] as EncodeFn | undefined;
  if (typeof fn !== 'function') throw new TypeError('kernels module lacks qm_encode: stale build?');
  const ptab = copyIn(k, tables);
  const pm = meta ? copyIn(k, meta) : 0;
  const out = alloc(k, bound);
  const flags = (kepler ? 0 : 1) | (ext.octNormals ? 2 : 0);
  const n = fn(mesh.vertices, nv, mesh.triangles, nt, heights, g, ptab, flags, pm, meta ? meta.length : -1, out);
  if (n < 0) throw new RangeError(`encodeQuantizedMesh: ${ERRORS[n] ?? `error ${n}`}`);
  return new Uint8Array(x.memory.buffer.slice(out, out + n));
}

function checkGridSize(g: number): void {
  if (!(Number.isInteger(g) && g >= 2 && g <= 32768)) throw new RangeError(`encodeQuantizedMesh: gridSize ${g} outside 2..32768`);
}

/**
 * The kernel's tables: per grid column its u and the cosine and sine of its decoded longitude, per
 * row its v and those of its decoded latitude, and of the tile's centre.
 */
function encoderTables(k: Kernels, frame: QuantizedMeshFrame): Float64Array {
  const { gridSize: g, bounds, orientation } = frame;
  const [west, south, east, north] = bounds;
  const kepler = orientation === 'kepler';
  const tables = new Float64Array(4 + 4 * g + Math.ceil(g / 2));
  const f = tables;
  const u16 = new Uint16Array(tables.buffer, (4 + 4 * g) * 8, 2 * g);
  const { sin, cos } = kernelLibm(k);
  const lonC = (west + east) * 0.5 * RADIANS_PER_DEGREE;
  const latC = (south + north) * 0.5 * RADIANS_PER_DEGREE;
  f[0] = cos(latC);
  f[1] = sin(latC);
  f[2] = cos(lonC);
  f[3] = sin(lonC);
  for (let i = 0; i < g; i++) {
    const u = quantizeGridCoordinate(i, g);
    const lon = (west + (u / MAXQ) * (east - west)) * RADIANS_PER_DEGREE;
    f[4 + i] = cos(lon);
    f[4 + g + i] = sin(lon);
    u16[i] = u;
    // row i: v and the latitude a decoder maps it to (kepler: [w, n, e, s] bounds; spec: [w, s, e, n])
    const v = gridRowV(i, frame);
    const lat = (kepler ? north + (v / MAXQ) * (south - north) : south + (v / MAXQ) * (north - south)) * RADIANS_PER_DEGREE;
    f[4 + 2 * g + i] = cos(lat);
    f[4 + 3 * g + i] = sin(lat);
    u16[g + i] = v;
  }
  return tables;
}

/**
 * The bounds and row latitudes of a Web-Mercator tile's gridSize x gridSize grid (rows evenly spaced
 * in Mercator y, row 0 north), as encodeQuantizedMesh takes them. Latitudes come from the module's
 * libm rather than Math.atan/Math.exp (tileBoundsLonLat), so a browser and the server encode the
 * same header bytes for the same tile.
 */
export function webMercatorTileFrame(k: Kernels, tile: TileIndex, gridSize: number): Pick<QuantizedMeshInput, 'bounds' | 'rowLatitudes'> {
  const { atan, exp } = kernelLibm(k);
  const latitude = (y: number) => (atan(exp(y / EARTH_RADIUS)) * 360) / Math.PI - 90;
  const [minx, miny, maxx, maxy] = tileBoundsMercator(tile);
  const rowLatitudes = Float64Array.from({ length: gridSize }, (_, r) => latitude(maxy + (r / (gridSize - 1)) * (miny - maxy)));
  return {
    bounds: [(minx / ORIGIN_SHIFT) * 180, latitude(miny), (maxx / ORIGIN_SHIFT) * 180, latitude(maxy)],
    rowLatitudes,
  };
}

function alloc(k: Kernels, bytes: number): number {
  if (!(bytes >= 0 && bytes <= 0xffff0000)) throw new RangeError(`kernels: cannot allocate ${bytes} bytes`);
  try {
    return k.exports.alloc(bytes) >>> 0;
  } catch (err) {
    throw new RangeError(`kernels: module memory exhausted allocating ${bytes} bytes`, { cause: err });
  }
}

function copyIn(k: Kernels, a: ArrayBufferView): number {
  const ptr = alloc(k, a.byteLength);
  // the buffer is fetched after alloc: growing memory detaches the previous ArrayBuffer
  new Uint8Array(k.exports.memory.buffer, ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return ptr;
}
