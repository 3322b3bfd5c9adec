import type { BlockLayout } from '../cog/cog-header.js';
import { typedArrayFor, type SampleType, type TypedArray } from '../kernels/types.js';
import type { SourceWindow } from './tile-plan.js';

/**
 * Copies the pixels of a source window out of decoded blocks into one planar array (a band after
 * another, only the bands asked for), the layout the resampling kernel reads. Block views and the
 * column spans that fall in each block are worked out once per window; a row of one band from one
 * block is then a single `set` (one sample a pixel) or a strided loop (interleaved samples).
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

/** A run of window columns [from, to) that all lie in block column `bx`. */
interface Span { bx: number; from: number; to: number }

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
  const planar = layout.planarConfiguration === 2;
  const spp = planar ? 1 : layout.samplesPerPixel;
  const { blockWidth: bw, blockHeight: bh } = layout;
  const offset = Math.floor(d / 2);

  // level column of each window column (in-block offset), and the spans of columns per block
  const inBlock = new Int32Array(width);
  const spans: Span[] = [];
  for (let wc = 0; wc < width; wc++) {
    const col = Math.min(window.col + wc * d + offset, layout.width - 1);
    const bx = Math.floor(col / bw);
    inBlock[wc] = col - bx * bw;
    const last = spans[spans.length - 1];
    if (last && last.bx === bx) last.to = wc + 1;
    else spans.push({ bx, from: wc, to: wc + 1 });
  }
  const view = (bx: number, by: number, sample: number): TypedArray | undefined => {
    const buf = blocks.data.get(blockKey(bx, by, planar ? sample : 0));
    return buf ? (new Typed(buf) as TypedArray) : undefined;
  };

  const alpha = alphaSample !== undefined;
  let mask = alpha || blocks.mask ? new Uint8Array(pixels).fill(255) : undefined;
  let currentBy = -1;
  let views: Array<Array<TypedArray | undefined>> = [];
  let alphaViews: Array<TypedArray | undefined> = [];
  let maskViews: Array<Uint8Array | undefined> = [];

  for (let wr = 0; wr < height; wr++) {
    const r = Math.min(window.row + wr * d + offset, layout.height - 1);
    const by = Math.floor(r / bh);
    const rr = r - by * bh;
    if (by !== currentBy) {
      currentBy = by;
      views = spans.map((s) => bands.map((b) => view(s.bx, by, b)));
      alphaViews = alpha ? spans.map((s) => view(s.bx, by, alphaSample)) : [];
      maskViews = blocks.mask ? spans.map((s) => blocks.mask!.get(blockKey(s.bx, by))) : [];
    }
    const base = wr * width;
    for (let si = 0; si < spans.length; si++) {
      const { from, to } = spans[si];
      const rowStart = rr * bw;
      for (let b = 0; b < bands.length; b++) {
        const src = views[si][b];
        if (!src) continue; // sparse block: zeros, masked below
        const out = b * pixels + base;
        const s = planar ? 0 : bands[b];
        if (spp === 1 && d === 1) {
          data.set(src.subarray(rowStart + inBlock[from], rowStart + inBlock[from] + (to - from)) as never, out + from);
        } else {
          for (let i = from; i < to; i++) data[out + i] = src[(rowStart + inBlock[i]) * spp + s];
        }
      }
      if (!views[si][0]) {
        // a sparse COG stores nothing for empty blocks: no data there
        mask ??= new Uint8Array(pixels).fill(255);
        mask.fill(0, base + from, base + to);
        continue;
      }
      if (!mask) continue;
      const a = alphaViews[si];
      if (a) {
        const s = planar ? 0 : alphaSample!;
        for (let i = from; i < to; i++) if (a[(rowStart + inBlock[i]) * spp + s] === 0) mask[base + i] = 0;
      }
      const m = maskViews[si];
      if (m) for (let i = from; i < to; i++) if (m[rowStart + inBlock[i]] === 0) mask[base + i] = 0;
    }
  }
  return { data, mask, width, height };
}
