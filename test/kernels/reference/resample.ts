// Scalar TypeScript reference of assembly/resample.ts: the obvious per-pixel code, with the same
// f64 operations in the same order, so the WASM output must match it bit for bit.
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

/** Keys cubic weight, a = -0.5, for |d| <= 1 and 1 < |d| < 2. */
export const keysNear = (t: number): number => (1.5 * t - 2.5) * t * t + 1;
export const keysFar = (t: number): number => ((-0.5 * t + 2.5) * t - 4) * t + 2;

export function resampleReference<T extends SampleType>(p: ResampleParams<T>): ResampleResult<T> {
  const { source, srcWidth: W, srcHeight: H, bands, grid, gridStep: step, dstWidth, dstHeight, dtype } = p;
  const plane = W * H;
  const gridW = dstWidth / step + 1;
  const dstPlane = dstWidth * dstHeight;
  const data = new (typedArrayFor(dtype))(bands * dstPlane);
  const mask = new Uint8Array(dstPlane);

  const isNodata = (v: number): boolean => {
    const nd = p.nodata!;
    if (Number.isNaN(nd)) return Number.isNaN(v);
    return v === (dtype === 'float32' ? Math.fround(nd) : nd);
  };
  const usable = (c: number, r: number): boolean => {
    if (!(c >= 0 && c < W && r >= 0 && r < H)) return false; // written so that NaN is outside
    const i = r * W + c;
    if (p.sourceMask !== undefined && p.sourceMask[i] === 0) return false;
    if (p.nodata !== undefined) {
      let all = true;
      for (let b = 0; b < bands; b++) if (!isNodata(source[b * plane + i]!)) all = false;
      if (all) return false;
    }
    return true;
  };
  const value = (b: number, c: number, r: number): number => source[b * plane + r * W + c]!;

  for (let py = 0; py < dstHeight; py++) {
    for (let px = 0; px < dstWidth; px++) {
      const gx = Math.floor(px / step);
      const gy = Math.floor(py / step);
      const tx = (px - gx * step) / step;
      const ty = (py - gy * step) / step;
      const n = (i: number, j: number, k: number): number => grid[2 * (j * gridW + i) + k]!;
      const interp = (k: number): number =>
        (1 - tx) * ((1 - ty) * n(gx, gy, k) + ty * n(gx, gy + 1, k)) +
        tx * ((1 - ty) * n(gx + 1, gy, k) + ty * n(gx + 1, gy + 1, k));
      const sx = interp(0);
      const sy = interp(1);
      const o = py * dstWidth + px;
      if (!usable(Math.floor(sx), Math.floor(sy))) continue; // data stays 0, mask 0

      if (p.method === 'nearest') {
        for (let b = 0; b < bands; b++) data[b * dstPlane + o] = value(b, Math.floor(sx), Math.floor(sy));
      } else {
        const x = sx - 0.5;
        const y = sy - 0.5;
        const c0 = Math.floor(x);
        const r0 = Math.floor(y);
        const fx = x - c0;
        const fy = y - r0;
        // sums have a fixed shape, ((t0 + t1) + t2) + t3; an unusable neighbour's term is 0
        const sum = (terms: number[]): number => terms.reduce((a, t) => a + t);
        const term = (c: number, r: number, w: number, v: () => number): number => (usable(c, r) ? w * v() : 0);
        for (let b = 0; b < bands; b++) {
          let acc: number;
          let wsum: number;
          if (p.method === 'bilinear') {
            // 2-D weights of the 2x2 neighbours, row by row
            const wx = [1 - fx, fx];
            const wy = [1 - fy, fy];
            const cells = [[0, 0], [1, 0], [0, 1], [1, 1]] as const;
            acc = sum(cells.map(([i, j]) => term(c0 + i, r0 + j, wx[i]! * wy[j]!, () => value(b, c0 + i, r0 + j))));
            wsum = sum(cells.map(([i, j]) => term(c0 + i, r0 + j, wx[i]! * wy[j]!, () => 1)));
          } else {
            // Keys over the 4x4 neighbours c0-1..c0+2, separably: rows first, then along y
            const wx = [keysFar(1 + fx), keysNear(fx), keysNear(1 - fx), keysFar(2 - fx)];
            const wy = [keysFar(1 + fy), keysNear(fy), keysNear(1 - fy), keysFar(2 - fy)];
            const k = [0, 1, 2, 3];
            const rows = k.map((j) => sum(k.map((i) => term(c0 - 1 + i, r0 - 1 + j, wx[i]!, () => value(b, c0 - 1 + i, r0 - 1 + j)))));
            const rowWeights = k.map((j) => sum(k.map((i) => term(c0 - 1 + i, r0 - 1 + j, wx[i]!, () => 1))));
            acc = sum(k.map((j) => wy[j]! * rows[j]!));
            wsum = sum(k.map((j) => wy[j]! * rowWeights[j]!));
          }
          data[b * dstPlane + o] = toSample(acc / wsum, dtype);
        }
      }
      mask[o] = 255;
    }
  }
  return { data, mask };
}
