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

/** GDAL's GWKBilinear (cubic false) or GWKCubic at distance x. */
export function filterAt(cubic: boolean, x: number): number {
  const a = Math.abs(x);
  if (!cubic) return a <= 1 ? 1 - a : 0;
  const x2 = x * x;
  if (a <= 1) return x2 * (1.5 * a - 2.5) + 1;
  if (a <= 2) return x2 * (-0.5 * a + 2.5) - 4 * a + 2;
  return 0;
}

/** Filter parameters of one scale region: s = min(scale, 1), radius, and whether the fixed kernels apply. */
interface Filter {
  sx: number;
  sy: number;
  rx: number;
  ry: number;
  fixed: boolean;
}

/** Region 0 (the whole output) then one per ResampleParams.scaleRegions entry, and each output pixel's region. */
function filters(p: ResampleParams): { list: Filter[]; region: Uint8Array | undefined } {
  const R = p.method === 'cubic' ? 2 : 1;
  const all = [{ x: 0, y: 0, width: 0, height: 0, scaleX: p.scaleX ?? 1, scaleY: p.scaleY ?? 1 }, ...(p.scaleRegions ?? [])];
  const list = all.map(({ scaleX, scaleY }) => {
    const sx = Math.min(scaleX, 1);
    const sy = Math.min(scaleY, 1);
    return {
      sx, sy,
      rx: sx < 1 ? Math.min(Math.ceil(R / sx), p.srcWidth + 2) : R,
      ry: sy < 1 ? Math.min(Math.ceil(R / sy), p.srcHeight + 2) : R,
      fixed: scaleX >= 0.95 && scaleY >= 0.95,
    };
  });
  if (all.length === 1) return { list, region: undefined };
  const region = new Uint8Array(p.dstWidth * p.dstHeight);
  all.forEach((r, k) => {
    if (k === 0) return;
    for (let y = Math.max(r.y, 0); y < Math.min(r.y + r.height, p.dstHeight); y++) {
      for (let x = Math.max(r.x, 0); x < Math.min(r.x + r.width, p.dstWidth); x++) region[y * p.dstWidth + x] = k;
    }
  });
  return { list, region };
}

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
  const hasValidity = p.sourceMask !== undefined || p.nodata !== undefined;
  const { list: filterList, region } = filters(p);
  // weights of the stretched filter, per offset from i0 / j0
  const wx = new Float64Array(2 * Math.max(...filterList.map((f) => f.rx)) + 2);
  const wy = new Float64Array(2 * Math.max(...filterList.map((f) => f.ry)) + 2);

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

      if (p.method === 'nearest') {
        mask[o] = 255;
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
      const f = filterList[region === undefined ? 0 : region[o]!]!;
      const cubic = p.method === 'cubic';
      // GDAL reducing: the stretched filter, except that a source narrower than the radius takes
      // the 2x2 bilinear formula when there is no validity map
      if (!f.fixed && (hasValidity || (f.rx <= W && f.ry <= H))) {
        // offsets from (c0, r0), clamped to the source; GWKResample's bilinear starts at -r
        const first = !hasValidity || cubic ? 1 : 0;
        const i0 = Math.max(first - f.rx, -c0);
        const i1 = Math.min(f.rx, W - 1 - c0);
        const j0 = Math.max(first - f.ry, -r0);
        const j1 = Math.min(f.ry, H - 1 - r0);
        let hsum = 0;
        let vsum = 0;
        for (let i = i0; i <= i1; i++) {
          wx[i - i0] = filterAt(cubic, (i - fx) * f.sx);
          hsum += wx[i - i0]!;
        }
        for (let j = j0; j <= j1; j++) {
          wy[j - j0] = filterAt(cubic, (j - fy) * f.sy);
          vsum += wy[j - j0]!;
        }
        if (!hasValidity) {
          // GWKResampleNoMasksT: rows weighted by y, divided by the product of the weight sums
          const norm = hsum * vsum;
          for (let band = 0; band < bands; band++) {
            let acc = 0;
            for (let j = j0; j <= j1; j++) {
              let racc = 0;
              for (let i = i0; i <= i1; i++) racc += value(band, c0 + i, r0 + j) * wx[i - i0]!;
              acc += wy[j - j0]! * racc;
            }
            data[band * dstPlane + o] = toSample(acc / norm, dtype);
          }
          mask[o] = 255;
          continue;
        }
        // GWKResample: unusable neighbours skipped; masked below 1e-6, no division within 1e-5 of 1
        let wsum = 0;
        for (let j = j0; j <= j1; j++) {
          let rw = 0;
          for (let i = i0; i <= i1; i++) if (ok[(r0 + j) * W + c0 + i] === 1) rw += wx[i - i0]!;
          wsum += rw * wy[j - j0]!;
        }
        if (wsum < 0.000001) continue;
        const divide = wsum < 0.99999 || wsum > 1.00001;
        for (let band = 0; band < bands; band++) {
          let acc = 0;
          for (let j = j0; j <= j1; j++) {
            let racc = 0;
            for (let i = i0; i <= i1; i++) if (ok[(r0 + j) * W + c0 + i] === 1) racc += value(band, c0 + i, r0 + j) * wx[i - i0]!;
            acc += racc * wy[j - j0]!;
          }
          data[band * dstPlane + o] = toSample(divide ? acc / wsum : acc, dtype);
        }
        mask[o] = 255;
        continue;
      }
      mask[o] = 255;
      if (p.method === 'bilinear' || !f.fixed) {
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
