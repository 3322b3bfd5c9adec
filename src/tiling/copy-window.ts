import { typedArrayFor, type SampleType, type TypedArray } from '../kernels/types.js';
import type { WindowRaster } from './assemble-window.js';

/**
 * The output of a block-copy plan (see RasterPlan.copy): the window's rows placed at an offset in
 * the output, with the resampler's validity rules (source mask, and a pixel whose bands all equal
 * nodata is invalid; NaN matches NaN). Pixels outside the window are masked.
 */
export function copyWindow(
  window: WindowRaster, at: { col: number; row: number }, bands: number, dtype: SampleType,
  width: number, height: number, nodata: number | undefined,
): { data: TypedArray; mask: Uint8Array } {
  const pixels = width * height;
  const Typed = typedArrayFor(dtype);
  const data = new Typed(pixels * bands) as TypedArray;
  const mask = new Uint8Array(pixels);
  const wp = window.width * window.height;
  for (let b = 0; b < bands; b++) {
    for (let r = 0; r < window.height; r++) {
      const src = window.data.subarray(b * wp + r * window.width, b * wp + (r + 1) * window.width);
      data.set(src as never, b * pixels + (at.row + r) * width + at.col);
    }
  }
  const nd = nodata === undefined ? undefined : dtype === 'float32' ? Math.fround(nodata) : nodata;
  for (let r = 0; r < window.height; r++) {
    for (let c = 0; c < window.width; c++) {
      const w = r * window.width + c;
      if (window.mask && window.mask[w] === 0) continue;
      const o = (at.row + r) * width + at.col + c;
      if (nd !== undefined && allNodata(data, o, pixels, bands, nd)) {
        for (let b = 0; b < bands; b++) data[b * pixels + o] = 0;
        continue;
      }
      mask[o] = 255;
    }
  }
  return { data, mask };
}

function allNodata(data: TypedArray, o: number, pixels: number, bands: number, nd: number): boolean {
  for (let b = 0; b < bands; b++) {
    const v = data[b * pixels + o];
    if (!(v === nd || (Number.isNaN(nd) && Number.isNaN(v)))) return false;
  }
  return true;
}
