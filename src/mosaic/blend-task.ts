import { blendTiles, type BlendInput, type PixelSelection } from '../kernels/blend.js';
import type { Kernels } from '../kernels/kernels.js';
import type { SampleType } from '../kernels/types.js';
import { badRequest } from '../server/errors.js';
import { renderOutput, type OutputOptions, type RenderedBody } from '../tiling/render-output.js';

/**
 * The CPU half of a mosaic tile, run in a worker: blend the items' tiles with the pixel-selection
 * method (WASM), then render the output like any tile.
 */
export interface BlendTask {
  kind: 'blend';
  method: PixelSelection;
  dtype: SampleType;
  bands: number;
  width: number;
  height: number;
  tiles: BlendInput[];
  output: OutputOptions;
}

export interface BlendResult {
  rendered: RenderedBody;
  timings: { blend: number; encode: number };
}

export async function runBlendTask(kernels: Kernels, task: BlendTask): Promise<BlendResult> {
  const t0 = performance.now();
  const pixels = task.width * task.height;
  if ((task.method === 'lastbandlow' || task.method === 'lastbandhigh') && task.bands < 2) {
    throw badRequest(`pixel_selection=${task.method} picks by the last band and drops it: it needs at least 2 bands, the mosaic has ${task.bands} (see assets and bidx)`);
  }
  const blended = blendTiles(kernels, task.method, task.dtype, task.bands, pixels, task.tiles);
  const t1 = performance.now();
  const rendered = await renderOutput(kernels, { ...blended, width: task.width, height: task.height }, task.output);
  return { rendered, timings: { blend: t1 - t0, encode: performance.now() - t1 } };
}
