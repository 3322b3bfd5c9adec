// Scalar TypeScript reference of assembly/resample.ts: plain per-pixel code with the same f64
// operations in the same order, so the WASM output must match it bit for bit. Written to be read
// (and to run at a sensible speed in the bench harness), not to be fast.
import { typedArrayFor, type ResampleParams, type ResampleResult, type SampleType } from '../../../src/kernels/types.js';

const INT_RANGE: Partial<Record<SampleType, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
};

/** Interpolated f64 -> sample: integers NaN -> 0, clamp, floor(v + 0.5); floats as the array stores them. */
export function toSample(v: number, dtype: SampleType): number {
  const range = INT_RANGE[dtype];
  if (range === undefined) return v; // Float32Array rounds to nearest on store, Float64Array keeps v
  if (Number.isNaN(v)) return 0;
  const c = v < range[0] ? range[0] : v > range[1] ? range[1] : v;
  return Math.floor(c + 0.5);
}

/** Keys cubic weight, a = -0.5, for a distance t in [0, 1] and in [1, 2]. */
export const keysNear = (t: number): number => (1.5 * t - 2.5) * t * t + 1;
export const keysFar = (t: number): number => ((-0.5 * t + 2.5) * t - 4) * t + 2;

/** Usable source pixels: mask non-zero and not every band equal to nodata (1 byte per pixel). */
function usablePixels(p: ResampleParams): Uint8Array {
  const { source, srcWidth, srcHeight, bands, sourceMask, nodata, dtype } = p;
  const plane = srcWidth * srcHeight;
  const ok = new Uint8Array(plane);
  // float32 compares with nodata rounded to f32; NaN nodata matches NaN
  const target = nodata === undefined ? undefined : dtype === 'float32' ? Math.fround(nodata) : nodata;
  const isNodata = (v: number): boolean => (Number.isNaN(target) ? Number.isNaN(v) : v === target);
  for (let i = 0; i < plane; i++) {
    let allNodata = target !== undefined;
    for (let b = 0; b < bands && allNodata; b++) allNodata = isNodata(source[b * plane + i]!);
    ok[i] = !allNodata && (sourceMask === undefined || sourceMask[i] !== 0) ? 1 : 0;
  }
  return ok;
}

export function resampleReference<T extends SampleType>(p: ResampleParams<T>): ResampleResult<T> {
  const { source, srcWidth: W, srcHeight: H, bands, grid, gridStep: step, dstWidth, dstHeight, dtype } = p;
  const plane = W * H;
  const gridW = dstWidth / step + 1;
  const dstPlane = dstWidth * dstHeight;
  const data = new (typedArrayFor(dtype))(bands * dstPlane);
  const mask = new Uint8Array(dstPlane);
  const ok = usablePixels(p);

  // written so that NaN coordinates count as outside
  const usable = (c: number, r: number): boolean => c >= 0 && c < W && r >= 0 && r < H && ok[r * W + c] === 1;
  const value = (b: number, c: number, r: number): number => source[b * plane + r * W + c]!;
  // a neighbour's term w * v, or 0 when it is outside or unusable (its weight then counts 0 too)
  const term = (b: number, c: number, r: number, w: number): number => (usable(c, r) ? w * value(b, c, r) : 0);
  const weight = (c: number, r: number, w: number): number => (usable(c, r) ? w : 0);
  /** One cubic row along x: the terms of band `band`, or the weights when band is -1. */
  const cubicRow = (band: number, r: number, c0: number, wx0: number, wx1: number, wx2: number, wx3: number): number =>
    band < 0
      ? weight(c0 - 1, r, wx0) + weight(c0, r, wx1) + weight(c0 + 1, r, wx2) + weight(c0 + 2, r, wx3)
      : term(band, c0 - 1, r, wx0) + term(band, c0, r, wx1) + term(band, c0 + 1, r, wx2) + term(band, c0 + 2, r, wx3);

  for (let py = 0; py < dstHeight; py++) {
    for (let px = 0; px < dstWidth; px++) {
      // the source coordinate: bilinear between the 4 grid nodes around the pixel
      const gx = Math.floor(px / step);
      const gy = Math.floor(py / step);
      const tx = (px - gx * step) / step;
      const ty = (py - gy * step) / step;
      const a = 2 * (gy * gridW + gx); // node (gx, gy), then the one right of it, below it, below-right
      const b = a + 2;
      const c = a + 2 * gridW;
      const d = c + 2;
      const sx = (1 - tx) * ((1 - ty) * grid[a]! + ty * grid[c]!) + tx * ((1 - ty) * grid[b]! + ty * grid[d]!);
      const sy = (1 - tx) * ((1 - ty) * grid[a + 1]! + ty * grid[c + 1]!) + tx * ((1 - ty) * grid[b + 1]! + ty * grid[d + 1]!);
      const o = py * dstWidth + px;
      if (!usable(Math.floor(sx), Math.floor(sy))) continue; // data stays 0, mask 0
      mask[o] = 255;

      if (p.method === 'nearest') {
        for (let band = 0; band < bands; band++) data[band * dstPlane + o] = value(band, Math.floor(sx), Math.floor(sy));
        continue;
      }
      // pixel centres sit at +0.5 (GDAL convention)
      const x = sx - 0.5;
      const y = sy - 0.5;
      const c0 = Math.floor(x);
      const r0 = Math.floor(y);
      const fx = x - c0;
      const fy = y - r0;
      if (p.method === 'bilinear') {
        // 2-D weights of the 2x2 neighbours, summed row by row: ((t00 + t10) + t01) + t11
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        const wsum = weight(c0, r0, w00) + weight(c0 + 1, r0, w10) + weight(c0, r0 + 1, w01) + weight(c0 + 1, r0 + 1, w11);
        for (let band = 0; band < bands; band++) {
          const acc = term(band, c0, r0, w00) + term(band, c0 + 1, r0, w10) + term(band, c0, r0 + 1, w01) + term(band, c0 + 1, r0 + 1, w11);
          data[band * dstPlane + o] = toSample(acc / wsum, dtype);
        }
      } else {
        // Keys over the 4x4 neighbours c0-1..c0+2, separably: each row along x, then the rows along y
        const wx0 = keysFar(1 + fx);
        const wx1 = keysNear(fx);
        const wx2 = keysNear(1 - fx);
        const wx3 = keysFar(2 - fx);
        const wy0 = keysFar(1 + fy);
        const wy1 = keysNear(fy);
        const wy2 = keysNear(1 - fy);
        const wy3 = keysFar(2 - fy);
        const wsum =
          wy0 * cubicRow(-1, r0 - 1, c0, wx0, wx1, wx2, wx3) +
          wy1 * cubicRow(-1, r0, c0, wx0, wx1, wx2, wx3) +
          wy2 * cubicRow(-1, r0 + 1, c0, wx0, wx1, wx2, wx3) +
          wy3 * cubicRow(-1, r0 + 2, c0, wx0, wx1, wx2, wx3);
        for (let band = 0; band < bands; band++) {
          const acc =
            wy0 * cubicRow(band, r0 - 1, c0, wx0, wx1, wx2, wx3) +
            wy1 * cubicRow(band, r0, c0, wx0, wx1, wx2, wx3) +
            wy2 * cubicRow(band, r0 + 1, c0, wx0, wx1, wx2, wx3) +
            wy3 * cubicRow(band, r0 + 2, c0, wx0, wx1, wx2, wx3);
          data[band * dstPlane + o] = toSample(acc / wsum, dtype);
        }
      }
    }
  }
  return { data, mask };
}
