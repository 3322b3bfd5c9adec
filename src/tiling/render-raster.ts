import type { BlockLayout } from '../cog/cog-header.js';
import { decodeBlock, unpackMaskBits } from '../cog/decode-block.js';
import { unprocessable } from '../server/errors.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Resampling, SampleType, TypedArray } from '../kernels/types.js';
import { assembleWindow, type DecodedBlocks, type WindowRaster } from './assemble-window.js';
import { copyWindow } from './copy-window.js';
import { renderOutput, type OutputOptions, type RenderedBody } from './render-output.js';
import type { RasterPlan } from './tile-plan.js';

/**
 * The CPU half of a tile request, run in a worker: decode the blocks the front fetched, assemble the
 * window, resample it in WASM, render the output. Plain data in, plain data out.
 */
export interface BlockInput {
  key: string;
  /** Rows of pixels in this block (a last strip may be shorter). */
  rows: number;
  isMask: boolean;
  /** Compressed bytes, when the block is not in the front's decoded-block cache. */
  compressed?: Uint8Array;
  /** Decoded bytes from the cache (shared memory: no copy between threads). */
  decoded?: SharedArrayBuffer;
}

export interface RenderTask {
  kind: 'render';
  dtype: SampleType;
  littleEndian: boolean;
  layout: BlockLayout;
  maskLayout?: BlockLayout;
  alphaSample?: number;
  nodata?: number;
  /** 0-based samples to output. */
  bands: number[];
  resampling: Resampling;
  plan: Pick<RasterPlan, 'window' | 'grid' | 'gridStep' | 'width' | 'height' | 'copy' | 'warpScale'>;
  blocks: BlockInput[];
  /** 'values' answers the resampled raster itself (points, terrain grids), otherwise an encoded body. */
  output: OutputOptions | 'values';
}

export interface RenderResult {
  rendered?: RenderedBody;
  /** Planar samples of the output and its mask (0 or 255), for output 'values'. */
  values?: { data: TypedArray; mask: Uint8Array };
  /** Count of valid output pixels (0: an empty tile). */
  validPixels: number;
  /** Blocks decoded by this task, for the front's cache. */
  decoded: Array<{ key: string; isMask: boolean; data: SharedArrayBuffer }>;
}

export async function renderRaster(kernels: Kernels, task: RenderTask): Promise<RenderResult> {
  const { blocks, decoded } = await decodeInputs(kernels, task);
  const window = assembleWindow(task.layout, task.plan.window, task.dtype, task.bands, task.alphaSample, blocks);
  const { plan } = task;
  const { data, mask } = plan.copy
    ? copyWindow(window, plan.copy, task.bands.length, task.dtype, plan.width, plan.height, task.nodata)
    : resampleWindow(kernels, task, window);
  let validPixels = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) validPixels++;
  const raster = { data: data as TypedArray, dtype: task.dtype, mask, bands: task.bands.length, width: task.plan.width, height: task.plan.height };
  if (task.output === 'values') {
    return { values: { data: raster.data, mask }, validPixels, decoded };
  }
  return { rendered: await renderOutput(kernels, raster, task.output), validPixels, decoded };
}

function resampleWindow(kernels: Kernels, task: RenderTask, window: WindowRaster) {
  return kernels.resample({
    method: task.resampling,
    dtype: task.dtype,
    source: window.data,
    srcWidth: window.width,
    srcHeight: window.height,
    bands: task.bands.length,
    sourceMask: window.mask,
    nodata: task.nodata,
    grid: task.plan.grid,
    gridStep: task.plan.gridStep,
    dstWidth: task.plan.width,
    dstHeight: task.plan.height,
    ...task.plan.warpScale,
  });
}

async function decodeInputs(kernels: Kernels, task: RenderTask): Promise<{ blocks: DecodedBlocks; decoded: RenderResult['decoded'] }> {
  const blocks: DecodedBlocks = { data: new Map(), mask: task.maskLayout ? new Map() : undefined };
  const decoded: RenderResult['decoded'] = [];
  for (const b of task.blocks) {
    let buf: ArrayBufferLike | undefined = b.decoded;
    if (!buf && b.compressed) {
      const layout = b.isMask ? task.maskLayout! : task.layout;
      const raw = await decodeBlock(layout, b.rows, b.compressed, task.littleEndian, kernels).catch((err: Error) => {
        throw unprocessable(`corrupt or unsupported block ${b.key} of IFD ${layout.ifd}: ${err.message}`);
      });
      const bytes = b.isMask ? unpackMaskBits(new Uint8Array(raw), layout.blockWidth, b.rows) : new Uint8Array(raw);
      const shared = new SharedArrayBuffer(bytes.byteLength);
      new Uint8Array(shared).set(bytes);
      decoded.push({ key: b.key, isMask: b.isMask, data: shared });
      buf = shared;
    }
    if (!buf) continue;
    if (b.isMask) blocks.mask!.set(b.key, new Uint8Array(buf));
    else blocks.data.set(b.key, buf);
  }
  return { blocks, decoded };
}
