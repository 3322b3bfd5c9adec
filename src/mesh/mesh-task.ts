import type { Kernels } from '../kernels/kernels.js';
import { meshDelatin } from '../kernels/mesh-delatin.js';
import { meshMartini } from '../kernels/mesh-martini.js';
import { encodeQuantizedMesh, webMercatorTileFrame } from '../kernels/quantized-mesh.js';
import type { TileIndex } from '../tiling/web-mercator.js';
import { buildGrid, fillHoles, mosaicHeights, type GridEdges } from './elevation-grid.js';

export type MeshQuantizer = 'martini' | 'delatin';
export type MeshOrientation = 'kepler' | 'spec';

/**
 * The CPU half of a /mesh request, run in a worker: build the neighbour-aware grid from the heights
 * the front gathered (decoded by elevation tasks, or cached), mesh it, encode quantized-mesh.
 */
export interface MeshTask {
  kind: 'mesh';
  tile: TileIndex;
  /** Pixels a side of the output grid (less one): 256 x scale. */
  size: number;
  /**
   * Heights of elevation tiles of `childSize` pixels: the tile's own (scale x scale children at zoom
   * z + log2(scale), row by row; missing: undefined) and the edges the grid takes from its east,
   * south and south-east neighbours, or...
   */
  tiles?: {
    scale: number;
    childSize: number;
    center: Array<Float32Array | undefined>;
    edges: GridEdges;
  };
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
}

export function runMeshTask(kernels: Kernels, task: MeshTask): MeshResult {
  const n = task.size;
  let grid: Float32Array;
  if (task.grid) {
    grid = task.grid;
  } else if (task.tiles) {
    grid = buildGrid(mosaicHeights(task.tiles.center, task.tiles.scale, task.tiles.childSize), n, task.tiles.edges);
  } else {
    throw new Error('mesh task without elevation');
  }
  fillHoles(grid, n + 1, n + 1);
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
  return { body, vertices: mesh.vertices.length / 2, triangles: mesh.triangles.length / 3 };
}
