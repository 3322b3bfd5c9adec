import type { Kernels } from '../kernels/kernels.js';
import { decodeElevationPng } from './decode-png.js';
import type { ElevationPart } from './elevation-grid.js';
import type { ElevationEncoding } from './terrain-source.js';

/**
 * (Parts of) elevation PNGs the front fetched, to decode in a worker: the first step of a mesh task
 * (mesh-task.ts), or a task of its own when a request's mesh also waits for tiles other requests
 * are decoding (see terrain-reader.ts).
 */
export interface ElevationDecode {
  encoding: ElevationEncoding;
  /** Pixels a side of every tile. */
  size: number;
  /** `key`: the tile's cache key, for error messages. */
  tiles: Array<{ key: string; png: Uint8Array; part: ElevationPart }>;
}

export interface ElevationTask extends ElevationDecode {
  kind: 'elevation';
}

export interface ElevationResult {
  /**
   * Float32 heights of each tile's part, in shared memory: the front caches them and hands them to
   * mesh tasks without copying.
   */
  heights: SharedArrayBuffer[];
}

export async function runElevationTask(kernels: Kernels, task: ElevationTask): Promise<ElevationResult> {
  return { heights: await decodeElevationTiles(kernels, task) };
}

/** The heights of each tile's part, in shared memory. */
export async function decodeElevationTiles(kernels: Kernels, d: ElevationDecode): Promise<SharedArrayBuffer[]> {
  const heights: SharedArrayBuffer[] = [];
  for (const t of d.tiles) {
    const shared = new SharedArrayBuffer((t.part === 'full' ? d.size * d.size : d.size) * 4);
    await decodeElevationPng(kernels, t.png, t.key, t.part, d.encoding, d.size, new Float32Array(shared));
    heights.push(shared);
  }
  return heights;
}
