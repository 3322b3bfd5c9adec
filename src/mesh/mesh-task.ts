import type { Kernels } from '../kernels/kernels.js';
import { decodeElevation } from '../kernels/elevation.js';
import { meshDelatin } from '../kernels/mesh-delatin.js';
import { meshMartini } from '../kernels/mesh-martini.js';
import { encodeQuantizedMesh, webMercatorTileFrame } from '../kernels/quantized-mesh.js';
import { badGateway } from '../server/errors.js';
import type { TileIndex } from '../tiling/web-mercator.js';
import { decodePngPixels } from './decode-png.js';
import { buildGrid, fillHoles, firstColumns, firstRows, mosaicHeights } from './elevation-grid.js';
import type { ElevationEncoding } from './terrain-source.js';

/**
 * The CPU half of a /mesh request, run in a worker: decode the elevation PNGs the front fetched
 * (or take heights it had cached), build the neighbour-aware grid, mesh it, encode quantized-mesh.
 */
export interface ElevationInput {
  key: string;
  png?: Uint8Array;
  decoded?: SharedArrayBuffer;
}

export type MeshQuantizer = 'martini' | 'delatin';
export type MeshOrientation = 'kepler' | 'spec';

export interface MeshTask {
  kind: 'mesh';
  tile: TileIndex;
  /** Pixels a side of the output grid (less one): 256 x scale. */
  size: number;
  /**
   * Elevation PNG tiles of `childSize` pixels: the tile's own (scale x scale children at zoom
   * z + log2(scale), row by row) and the neighbours whose edges the grid takes (missing: undefined), or...
   */
  tiles?: {
    scale: number;
    childSize: number;
    center: Array<ElevationInput | undefined>;
    east: Array<ElevationInput | undefined>;
    south: Array<ElevationInput | undefined>;
    southEast?: ElevationInput;
  };
  encoding?: ElevationEncoding;
  /** ...a (size+1)^2 grid read from a DEM COG (NaN = nodata). */
  grid?: Float32Array;
  maxError: number;
  quantizer: MeshQuantizer;
  orientation: MeshOrientation;
  extensions: { octNormals: boolean; metadata: boolean };
}

export interface MeshResult {
  body: Uint8Array;
  vertices: number;
  triangles: number;
  /** Elevation tiles decoded by this task, for the front's cache. */
  decoded: Array<{ key: string; data: SharedArrayBuffer }>;
}

export async function runMeshTask(kernels: Kernels, task: MeshTask): Promise<MeshResult> {
  const decoded: MeshResult['decoded'] = [];
  const n = task.size;
  let grid: Float32Array;
  if (task.grid) {
    grid = task.grid;
    fillHoles(grid, n + 1, n + 1);
  } else if (task.tiles) {
    const { scale, childSize: m } = task.tiles;
    const heights = (inputs: Array<ElevationInput | undefined>) =>
      Promise.all(inputs.map((input) => input && elevationOf(kernels, input, task, decoded)));
    const [center, east, south, [corner]] = await Promise.all([
      heights(task.tiles.center), heights(task.tiles.east), heights(task.tiles.south), heights([task.tiles.southEast]),
    ]);
    grid = buildGrid(mosaicHeights(center, scale, m), n, {
      eastColumn: firstColumns(east, m),
      southRow: firstRows(south, m),
      corner: corner?.[0],
    });
    fillHoles(grid, n + 1, n + 1);
  } else {
    throw new Error('mesh task without elevation');
  }
  const mesh = task.quantizer === 'martini'
    ? meshMartini(kernels, grid, n + 1, task.maxError, 'exact')
    : meshDelatin(kernels, grid, n + 1, n + 1, task.maxError, 'seamless');
  const body = encodeQuantizedMesh(kernels, {
    vertices: mesh.vertices,
    triangles: mesh.triangles,
    heights: grid,
    gridSize: n + 1,
    ...webMercatorTileFrame(kernels, task.tile, n + 1),
    orientation: task.orientation,
    extensions: { octNormals: task.extensions.octNormals, metadata: task.extensions.metadata ? { geometricError: task.maxError } : undefined },
  });
  return { body, vertices: mesh.vertices.length / 2, triangles: mesh.triangles.length / 3, decoded };
}

/** Heights of one elevation tile: cached, or decoded from its PNG (and handed back for the cache). */
async function elevationOf(kernels: Kernels, input: ElevationInput, task: MeshTask, decoded: MeshResult['decoded']): Promise<Float32Array> {
  if (input.decoded) return new Float32Array(input.decoded);
  const png = await decodePngPixels(input.png!, input.key);
  const m = task.tiles!.childSize;
  if (png.width !== m || png.height !== m) {
    throw badGateway(`elevation tile ${input.key} is ${png.width}x${png.height}, expected ${m}x${m}`);
  }
  const heights = decodeElevation(kernels, png.data, png.width, png.height, png.channels, task.encoding ?? 'terrarium');
  const shared = new SharedArrayBuffer(heights.byteLength);
  new Float32Array(shared).set(heights);
  decoded.push({ key: input.key, data: shared });
  return new Float32Array(shared);
}
