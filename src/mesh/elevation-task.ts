import type { Kernels } from '../kernels/kernels.js';
import { decodeElevationPng } from './decode-png.js';
import type { ElevationPart } from './elevation-grid.js';
import type { ElevationEncoding } from './terrain-source.js';

/**
 * A worker task: decode (parts of) the elevation PNGs the front fetched for one /mesh request. Its
 * own task rather than a step of the mesh task, so that requests needing the same tile at the same
 * time (a tile is its west, north and north-west neighbours' neighbour) can share its decode
 * without waiting for another request's mesh (see terrain-reader.ts).
 */
export interface ElevationTask {
  kind: 'elevation';
  encoding: ElevationEncoding;
  /** Pixels a side of every tile. */
  size: number;
  /** `key`: the tile's cache key, for error messages. */
  tiles: Array<{ key: string; png: Uint8Array; part: ElevationPart }>;
}

export interface ElevationResult {
  /**
   * Float32 heights of each tile's part, in shared memory: the front caches them and hands them to
   * mesh tasks without copying.
   */
  heights: SharedArrayBuffer[];
}

export async function runElevationTask(kernels: Kernels, task: ElevationTask): Promise<ElevationResult> {
  const heights: SharedArrayBuffer[] = [];
  for (const t of task.tiles) {
    const h = await decodeElevationPng(kernels, t.png, t.key, t.part, task.encoding, task.size);
    const shared = new SharedArrayBuffer(h.byteLength);
    new Float32Array(shared).set(h);
    heights.push(shared);
  }
  return { heights };
}
