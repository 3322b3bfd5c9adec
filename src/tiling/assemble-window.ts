import type { BlockLayout } from '../cog/cog-header.js';
import { typedArrayFor, type SampleType, type TypedArray } from '../kernels/types.js';
import type { SourceWindow } from './tile-plan.js';

/**
 * Copies the pixels of a source window out of decoded blocks into one planar array (a band after
 * another, only the bands asked for), the layout the resampling kernel reads. One pass a row,
 * straight from the decoded blocks: no per-sample reads through DataViews.
 */
export interface DecodedBlocks {
  /** Decoded samples by block key (see blockKey); a missing key is a sparse (empty) block. */
  data: Map<string, ArrayBufferLike>;
  /** Unpacked internal mask blocks (0 or 255 a pixel), by block key. */
  mask?: Map<string, Uint8Array>;
}

export interface WindowRaster {
  data: TypedArray;
  /** 0 = invalid pixel, non-zero = valid. Absent when every pixel is valid. */
  mask?: Uint8Array;
  width: number;
  height: number;
}

/** Key of a block: position, and the sample for planar configuration 2. */
export const blockKey = (bx: number, by: number, sample = 0) => `${bx},${by},${sample}`;

export function assembleWindow(
  layout: BlockLayout,
  window: SourceWindow,
  dtype: SampleType,
  bands: number[],
  alphaSample: number | undefined,
  blocks: DecodedBlocks,
): WindowRaster {
  const d = window.decimation;
  const width = Math.ceil(window.width / d);
  const height = Math.ceil(window.height / d);
  const pixels = width * height;
  const Typed = typedArrayFor(dtype);
  const data = new Typed(pixels * bands.length) as TypedArray;
  const needsMask = alphaSample !== undefined || blocks.mask !== undefined || hasSparseBlock(layout, window, blocks);
  const mask = needsMask ? new Uint8Array(pixels).fill(255) : undefined;
  const planar = layout.planarConfiguration === 2;
  const spp = planar ? 1 : layout.samplesPerPixel;
  const { blockWidth: bw, blockHeight: bh } = layout;
  const offset = Math.floor(d / 2);

  // level column of each window column, and its block, computed once
  const cols = new Int32Array(width);
  for (let wc = 0; wc < width; wc++) cols[wc] = Math.min(window.col + wc * d + offset, layout.width - 1);

  for (let wr = 0; wr < height; wr++) {
    const r = Math.min(window.row + wr * d + offset, layout.height - 1);
    const by = Math.floor(r / bh);
    const rr = r - by * bh;
    let wc = 0;
    while (wc < width) {
      const bx = Math.floor(cols[wc] / bw);
      let end = wc;
      while (end < width && Math.floor(cols[end] / bw) === bx) end++;
      copySpan(wr, wc, end);
      wc = end;

      function copySpan(wrow: number, from: number, to: number) {
        const base = wrow * width;
        for (let b = 0; b < bands.length; b++) {
          const sample = bands[b];
          const buf = blocks.data.get(blockKey(bx, by, planar ? sample : 0));
          const out = b * pixels + base;
          if (!buf) continue; // sparse block: zeros, masked below
          const src = new Typed(buf) as TypedArray;
          const s = planar ? 0 : sample;
          for (let i = from; i < to; i++) data[out + i] = src[(rr * bw + (cols[i] - bx * bw)) * spp + s];
        }
        if (!mask) return;
        const first = blocks.data.get(blockKey(bx, by, planar ? bands[0] : 0));
        if (!first) {
          mask.fill(0, base + from, base + to);
          return;
        }
        if (alphaSample !== undefined) {
          const abuf = blocks.data.get(blockKey(bx, by, planar ? alphaSample : 0));
          if (abuf) {
            const src = new Typed(abuf) as TypedArray;
            const s = planar ? 0 : alphaSample;
            for (let i = from; i < to; i++) if (src[(rr * bw + (cols[i] - bx * bw)) * spp + s] === 0) mask[base + i] = 0;
          }
        }
        const m = blocks.mask?.get(blockKey(bx, by));
        if (m) for (let i = from; i < to; i++) if (m[rr * bw + (cols[i] - bx * bw)] === 0) mask[base + i] = 0;
      }
    }
  }
  return { data, mask, width, height };
}

function hasSparseBlock(layout: BlockLayout, w: SourceWindow, blocks: DecodedBlocks): boolean {
  const bx0 = Math.floor(w.col / layout.blockWidth), bx1 = Math.floor((w.col + w.width - 1) / layout.blockWidth);
  const by0 = Math.floor(w.row / layout.blockHeight), by1 = Math.floor((w.row + w.height - 1) / layout.blockHeight);
  for (let by = by0; by <= by1; by++) for (let bx = bx0; bx <= bx1; bx++) if (!blocks.data.has(blockKey(bx, by))) return true;
  return false;
}
