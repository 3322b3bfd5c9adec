import type { Kernels } from '../kernels/kernels.js';
import { meshDelatin } from '../kernels/mesh-delatin.js';
import { gridIntoModule, meshMartiniInModule } from '../kernels/mesh-martini.js';
import { encodeQuantizedMesh, encodeQuantizedMeshInModule, webMercatorTileFrame, type QuantizedMeshFrame } from '../kernels/quantized-mesh.js';
import type { TileIndex } from '../tiling/web-mercator.js';
import { fillHoles, gridFromSlots, partOf, slotPart, type ElevationPart } from './elevation-grid.js';
import { decodeElevationTiles, type ElevationDecode } from './elevation-task.js';

export type MeshQuantizer = 'martini' | 'delatin';
export type MeshOrientation = 'kepler' | 'spec';

/**
 * The CPU half of a /mesh request, run in a worker: decode the elevation PNGs the front fetched for
 * it, build the neighbour-aware grid from them and the heights the front already had (cached, or
 * decoded for other requests), mesh it, encode quantized-mesh. One task per request: a cold tile
 * costs one worker round trip.
 */
export interface MeshTask {
  kind: 'mesh';
  tile: TileIndex;
  /** Pixels a side of the output grid (less one): 256 x scale. */
  size: number;
  /**
   * Elevation tiles of `childSize` pixels, slot by slot as TileSlots (elevation-grid.ts): the
   * tile's own (scale x scale children at zoom z + log2(scale)) and its east, south and south-east
   * neighbours. A slot holds heights the front had (of part `from`: that slot's part, or the whole
   * tile), or the index of a PNG in `decode`; undefined: no such tile. Or...
   */
  tiles?: {
    scale: number;
    childSize: number;
    slots: Array<{ heights: Float32Array; from: ElevationPart } | { png: number } | undefined>;
    /** PNGs this task decodes first; their heights come back in the result. */
    decode?: ElevationDecode;
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
  /** The heights of the PNGs in `tiles.decode` (each its part), in shared memory: the front caches and shares them. */
  heights?: SharedArrayBuffer[];
}

export async function runMeshTask(kernels: Kernels, task: MeshTask): Promise<MeshResult> {
  const n = task.size;
  let grid: Float32Array;
  let heights: SharedArrayBuffer[] | undefined;
  if (task.grid) {
    grid = task.grid;
    fillHoles(grid, n + 1, n + 1);
  } else if (task.tiles) {
    const { scale, childSize: m, slots, decode } = task.tiles;
    heights = decode ? await decodeElevationTiles(kernels, decode) : undefined;
    grid = gridFromSlots({
      scale, childSize: m,
      slots: slots.map((slot, i) => slot && ('png' in slot
        ? partOf(new Float32Array(heights![slot.png]!), m, decode!.tiles[slot.png]!.part, slotPart(i, scale))
        : partOf(slot.heights, m, slot.from, slotPart(i, scale)))),
    });
    // decoded PNG heights are always finite: only a missing tile leaves holes
    if (slots.some((slot) => !slot)) fillHoles(grid, n + 1, n + 1);
  } else {
    throw new Error('mesh task without elevation');
  }
  const frame: QuantizedMeshFrame = {
    gridSize: n + 1,
    ...webMercatorTileFrame(kernels, task.tile, n + 1),
    orientation: task.orientation,
    extensions: { octNormals: task.extensions.octNormals, metadata: task.extensions.metadata ? { geometricError: task.maxError } : undefined },
  };
  const extra = heights ? { heights } : {};
  if (task.quantizer === 'martini') {
    // the grid and the mesh stay in module memory from meshing to encoding
    const at = gridIntoModule(kernels, grid, n + 1);
    const mesh = meshMartiniInModule(kernels, at, n + 1, task.maxError, 'exact');
    return { body: encodeQuantizedMeshInModule(kernels, mesh, at, frame), vertices: mesh.vertexCount, triangles: mesh.triangleCount, ...extra };
  }
  const mesh = meshDelatin(kernels, grid, n + 1, n + 1, task.maxError, 'seamless');
  const body = encodeQuantizedMesh(kernels, { vertices: mesh.vertices, triangles: mesh.triangles, heights: grid, ...frame });
  return { body, vertices: mesh.vertices.length / 2, triangles: mesh.triangles.length / 3, ...extra };
}
