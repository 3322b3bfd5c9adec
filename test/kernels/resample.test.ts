// The WASM resampler against the scalar TS reference, bit for bit, on real COG tiles and on small
// cases whose results are known by hand. Needs build/kernels.wasm (`npm run build:wasm`).
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import {
  RESAMPLING_METHODS, SAMPLE_TYPES, typedArrayFor,
  type ResampleParams, type Resampling, type SampleType, type TypedArray,
} from '../../src/kernels/types.js';
import { firstByteDifference, loadCog, tileGrid, type Raster } from './fixtures.js';
import { resampleReference } from './reference/resample.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

/** Runs both implementations and requires identical bytes for data and mask. */
function expectSameAsReference<T extends SampleType>(p: ResampleParams<T>): { data: TypedArray; mask: Uint8Array } {
  const got = kernels.resample(p);
  const want = resampleReference(p);
  const maskAt = firstByteDifference(got.mask, want.mask);
  expect(maskAt, `mask differs at pixel ${maskAt}`).toBe(-1);
  const at = firstByteDifference(got.data, want.data);
  const i = Math.floor(at / want.data.BYTES_PER_ELEMENT);
  expect(at, `data differs at sample ${i}: wasm ${got.data[i]} vs reference ${want.data[i]}`).toBe(-1);
  expect(got.data.constructor).toBe(want.data.constructor);
  return got;
}

/** An n x n grid of source coordinates mapping output pixel centres through an affine transform. */
function affineGrid(size: number, step: number, f: (x: number, y: number) => [number, number]): Float64Array {
  const nodes = size / step + 1;
  const grid = new Float64Array(nodes * nodes * 2);
  for (let j = 0; j < nodes; j++) {
    for (let i = 0; i < nodes; i++) grid.set(f(i * step + 0.5, j * step + 0.5), 2 * (j * nodes + i));
  }
  return grid;
}

function params<T extends SampleType>(
  dtype: T, method: Resampling, source: TypedArray, w: number, h: number, bands: number,
  grid: Float64Array, step: number, size: number, extra: Partial<ResampleParams<T>> = {},
): ResampleParams<T> {
  return {
    method, dtype, source: source as never, srcWidth: w, srcHeight: h, bands,
    grid, gridStep: step, dstWidth: size, dstHeight: size, ...extra,
  };
}

describe('resample: hand-checked cases', () => {
  // values exercising each type's extremes: u32 above 2^31, f64 not representable in f32, ...
  const EXTREMES: Record<SampleType, number[]> = {
    uint8: [0, 1, 254, 255], int8: [-128, -1, 0, 127], uint16: [0, 1, 65534, 65535], int16: [-32768, -1, 0, 32767],
    uint32: [0, 1, 2 ** 31 + 3, 2 ** 32 - 1], int32: [-(2 ** 31), -1, 0, 2 ** 31 - 1],
    float32: [-1.5, 0.1, 3.4e38, -0], float64: [0.1, -1e-300, 1e308, Math.PI],
  };

  for (const dtype of SAMPLE_TYPES) {
    it(`identity grid returns the source exactly (${dtype}, every method)`, () => {
      const n = 16;
      const source = new (typedArrayFor(dtype))(2 * n * n);
      for (let i = 0; i < source.length; i++) source[i] = EXTREMES[dtype][i % 4]! + (dtype.startsWith('float') ? i : 0);
      // node (i, j) is the centre of source pixel (4i, 4j): one output pixel per source pixel
      const grid = affineGrid(n, 4, (x, y) => [x, y]);
      for (const method of RESAMPLING_METHODS) {
        const got = expectSameAsReference(params(dtype, method, source, n, n, 2, grid, 4, n));
        expect(firstByteDifference(got.data, source)).toBe(-1);
        expect(got.mask.every((m) => m === 255)).toBe(true);
      }
    });
  }

  it('bilinear 2x upsample of a 2x2 source gives the GDAL values', () => {
    const source = new Float32Array([0, 10, 20, 30]);
    // output pixel centre (px + 0.5) lands on source coordinate (px + 0.5) / 2
    const grid = affineGrid(4, 1, (x, y) => [x / 2, y / 2]);
    const p = params('float32', 'bilinear', source, 2, 2, 1, grid, 1, 4);
    const got = expectSameAsReference(p);
    // edges renormalise onto the inside neighbour, so the outer ring repeats the source
    expect(Array.from(got.data)).toEqual([0, 2.5, 7.5, 10, 5, 7.5, 12.5, 15, 15, 17.5, 22.5, 25, 20, 22.5, 27.5, 30]);
    const u8 = expectSameAsReference({ ...p, dtype: 'uint8', source: new Uint8Array([0, 10, 20, 30]) });
    // integers round half up
    expect(Array.from(u8.data)).toEqual([0, 3, 8, 10, 5, 8, 13, 15, 15, 18, 23, 25, 20, 23, 28, 30]);
    // -0.0 samples: the sign of zero survives identically (byte comparison)
    const negZero = expectSameAsReference({ ...p, source: new Float32Array(4).fill(-0) });
    expect(Object.is(negZero.data[5], -0)).toBe(true);
  });

  it('masks pixels outside the source and writes 0 there', () => {
    const source = new Uint16Array(8 * 8).fill(700);
    // the left half of the output maps to x < 0, the bottom rows past the last source row
    const grid = affineGrid(8, 2, (x, y) => [x - 4, y + 2]);
    for (const method of RESAMPLING_METHODS) {
      const got = expectSameAsReference(params('uint16', method, source, 8, 8, 1, grid, 2, 8));
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 8; x++) {
          const inside = x >= 4 && y < 6;
          expect(got.mask[y * 8 + x]).toBe(inside ? 255 : 0);
          expect(got.data[y * 8 + x]).toBe(inside ? 700 : 0);
        }
      }
    }
  });

  it('non-finite grid nodes (failed projections) mask their pixels', () => {
    const source = new Float64Array(16).fill(1);
    const grid = affineGrid(4, 4, (x, y) => [x, y]);
    grid[0] = Number.NaN;
    grid[3] = Number.POSITIVE_INFINITY;
    for (const method of RESAMPLING_METHODS) {
      const got = expectSameAsReference(params('float64', method, source, 4, 4, 1, grid, 4, 4));
      expect(got.mask[0]).toBe(0);
    }
  });

  it('nodata: partial-band nodata stays valid, full nodata is masked; NaN nodata matches NaN', () => {
    const grid = affineGrid(2, 2, (x, y) => [x, y / 2]); // 2x2 output over a 2x1 source
    const i16 = expectSameAsReference(params('int16', 'nearest', new Int16Array([-5, -5, 9, -5]), 2, 1, 2, grid, 2, 2, { nodata: -5 }));
    expect(Array.from(i16.mask)).toEqual([255, 0, 255, 0]);
    expect(Array.from(i16.data)).toEqual([-5, 0, -5, 0, 9, 0, 9, 0]);
    const f32 = expectSameAsReference(params('float32', 'nearest', new Float32Array([Number.NaN, 2]), 2, 1, 1, grid, 2, 2, { nodata: Number.NaN }));
    expect(Array.from(f32.mask)).toEqual([0, 255, 0, 255]);
    // float32 compares with nodata rounded to f32 (0.1 is not exactly representable)
    const f32b = expectSameAsReference(params('float32', 'nearest', new Float32Array([0.1, 2]), 2, 1, 1, grid, 2, 2, { nodata: 0.1 }));
    expect(Array.from(f32b.mask)).toEqual([0, 255, 0, 255]);
  });

  it('bilinear renormalises over usable neighbours and masks when the centre pixel is unusable', () => {
    const source = new Float32Array([10, 20, 30, 40]);
    const sourceMask = new Uint8Array([1, 0, 1, 1]);
    // a single output pixel (grid step 1: 2x2 nodes) sampling the 4x1 source at (x, 0.5)
    const at = (x: number) =>
      expectSameAsReference({
        method: 'bilinear', dtype: 'float32', source, srcWidth: 4, srcHeight: 1, bands: 1, sourceMask,
        grid: new Float64Array([x, 0.5, x + 1, 0.5, x, 1.5, x + 1, 1.5]), gridStep: 1, dstWidth: 1, dstHeight: 1,
      });
    expect(Array.from(at(0.5).data)).toEqual([10]);
    expect(Array.from(at(0.9).data)).toEqual([10]); // pixel 1 is masked: all weight on pixel 0
    expect(Array.from(at(1.5).mask)).toEqual([0]); // the pixel under the point is masked
    expect(Array.from(at(2.75).data)).toEqual([32.5]); // 0.75*30 + 0.25*40
  });

  it('cubic overshoot is clamped to the integer range before rounding', () => {
    const n = 8;
    const step = new Uint8Array(n * n);
    for (let i = 0; i < step.length; i++) step[i] = i % n < 4 ? 0 : 255;
    const grid = affineGrid(16, 1, (x, y) => [x / 2, y / 2]);
    const got = expectSameAsReference(params('uint8', 'cubic', step, n, n, 1, grid, 1, 16));
    const asFloat = expectSameAsReference(params('float32', 'cubic', Float32Array.from(step), n, n, 1, grid, 1, 16));
    expect(Math.min(...asFloat.data)).toBeLessThan(0); // the ringing really happens
    expect(Math.max(...asFloat.data)).toBeGreaterThan(255);
    expect(Math.min(...got.data)).toBe(0);
    expect(Math.max(...got.data)).toBe(255);
  });

  it('results survive the next call (copied out of module memory)', () => {
    const grid = affineGrid(4, 4, (x, y) => [x, y]);
    const a = kernels.resample(params('uint8', 'nearest', new Uint8Array(16).fill(7), 4, 4, 1, grid, 4, 4));
    kernels.resample(params('uint8', 'nearest', new Uint8Array(16).fill(9), 4, 4, 1, grid, 4, 4));
    expect(a.data.every((v) => v === 7)).toBe(true);
  });

  it('grows module memory past its initial 16 MiB for large sources', () => {
    const n = 1600; // 1600^2 float64 = 20 MB
    const source = new Float64Array(n * n);
    for (let i = 0; i < source.length; i++) source[i] = i * 0.5;
    // 16x16 output pixels over the last source rows and columns
    const grid = affineGrid(16, 4, (x, y) => [n - 20 + x, n - 20 + y]);
    for (const method of RESAMPLING_METHODS) expectSameAsReference(params('float64', method, source, n, n, 1, grid, 4, 16));
    expect(kernels.memoryBytes).toBeGreaterThan(20e6);
  });

  it('rejects inconsistent parameters', () => {
    const grid = affineGrid(4, 4, (x, y) => [x, y]);
    expect(() => kernels.resample(params('uint16', 'nearest', new Uint8Array(16), 4, 4, 1, grid, 4, 4))).toThrow(TypeError);
    expect(() => kernels.resample(params('uint8', 'nearest', new Uint8Array(16), 4, 4, 1, grid, 3, 4))).toThrow(RangeError);
    expect(() => kernels.resample(params('uint8', 'nearest', new Uint8Array(15), 4, 4, 1, grid, 4, 4))).toThrow(RangeError);
    expect(() => kernels.resample(params('uint8', 'nearest', new Uint8Array(16), 4, 4, 1, grid.subarray(2), 4, 4))).toThrow(RangeError);
  });
});

describe('resample: GDAL\'s stretched filters where it reduces (scale < 0.95)', () => {
  /** A size x size source of zeros with `v` at pixel (c, c). */
  const impulse = (size: number, c: number, v: number) => {
    const a = new Float64Array(size * size);
    a[c * size + c] = v;
    return a;
  };
  /** One output pixel per call, sampling source coordinate (x, y). */
  const one = (p: Omit<ResampleParams<'float64'>, 'grid' | 'gridStep' | 'dstWidth' | 'dstHeight'>, x: number, y: number) =>
    expectSameAsReference({ ...p, grid: new Float64Array([x, y, x + 1, y, x, y + 1, x + 1, y + 1]), gridStep: 1, dstWidth: 1, dstHeight: 1 });

  it('scales of at least 0.95 on both axes keep the bytes of the fixed kernels', () => {
    const source = new Uint16Array(64 * 64).map((_, i) => (i * 7919) % 65536);
    const grid = affineGrid(32, 4, (x, y) => [1.9 * x + 0.3, 1.7 * y + 0.2]);
    for (const method of RESAMPLING_METHODS) {
      const base = expectSameAsReference(params('uint16', method, source, 64, 64, 1, grid, 4, 32));
      for (const [scaleX, scaleY] of [[0.95, 3], [1, 0.95], [2.5, 1.5]]) {
        const got = expectSameAsReference(params('uint16', method, source, 64, 64, 1, grid, 4, 32, { scaleX, scaleY }));
        expect(firstByteDifference(got.data, base.data)).toBe(-1);
      }
    }
    // nearest ignores the scales
    const near = params('uint16', 'nearest', source, 64, 64, 1, grid, 4, 32);
    expect(firstByteDifference(kernels.resample({ ...near, scaleX: 0.1, scaleY: 0.2 }).data, kernels.resample(near).data)).toBe(-1);
  });

  it('an impulse under a 2x reduction: the weights GDAL gives it (bilinear and cubic, with and without a mask)', () => {
    const base = { dtype: 'float64' as const, source: impulse(16, 8, 100), srcWidth: 16, srcHeight: 16, bands: 1, scaleX: 0.5, scaleY: 0.5 };
    for (const sourceMask of [undefined, new Uint8Array(256).fill(1)]) {
      // bilinear, radius 2: f((i - dx) / 2) = 0.5, 1, 0.5 around the impulse, weights summing to 2 per axis
      expect(Array.from(one({ ...base, sourceMask, method: 'bilinear' }, 8.5, 8.5).data)).toEqual([25]);
      expect(Array.from(one({ ...base, sourceMask, method: 'bilinear' }, 9.5, 8.5).data)).toEqual([12.5]);
      // the 2x2 kernel would give 100 and 0
      expect(Array.from(one({ ...base, sourceMask, method: 'bilinear', scaleX: 1, scaleY: 1 }, 9.5, 8.5).data)).toEqual([0]);
      // cubic, radius 4: -0.0625, 0, 0.5625, 1, 0.5625, 0, -0.0625 (sum 2 per axis)
      expect(Array.from(one({ ...base, sourceMask, method: 'cubic' }, 8.5, 8.5).data)).toEqual([25]);
      expect(Array.from(one({ ...base, sourceMask, method: 'cubic' }, 11.5, 8.5).data)).toEqual([-1.5625]);
    }
  });

  it('each axis is stretched by its own scale', () => {
    const base = { dtype: 'float64' as const, source: impulse(16, 8, 100), srcWidth: 16, srcHeight: 16, bands: 1, method: 'bilinear' as const };
    // x reduced 2x, y magnified: x weights 0.5, 1, 0.5; y keeps the 2x2 weights (1 at the centre)
    expect(Array.from(one({ ...base, scaleX: 0.5, scaleY: 3 }, 8.5, 8.5).data)).toEqual([50]);
    expect(Array.from(one({ ...base, scaleX: 0.5, scaleY: 3 }, 8.5, 9.5).data)).toEqual([0]);
    expect(Array.from(one({ ...base, scaleX: 3, scaleY: 0.25 }, 8.5, 10.5).data)).toEqual([12.5]); // f(-2/4) / (y weights' sum 4)
  });

  it('with a mask: unusable neighbours are skipped and the weights renormalised; the centre decides validity', () => {
    const source = new Float64Array(16 * 16).fill(10);
    for (let r = 0; r < 16; r++) source[r * 16 + 9] = 50; // column 9 is 50, and masked on rows >= 8
    const sourceMask = new Uint8Array(256).fill(1);
    for (let r = 8; r < 16; r++) sourceMask[r * 16 + 9] = 0;
    const base = { dtype: 'float64' as const, source, sourceMask, srcWidth: 16, srcHeight: 16, bands: 1, method: 'bilinear' as const, scaleX: 0.5, scaleY: 0.5 };
    // centre (8, 10): columns 7..9 weigh 0.5, 1, 0.5 but column 9 is masked: the value stays 10
    expect(Array.from(one(base, 8.5, 10.5).data)).toEqual([10]);
    // centre (8, 2): unmasked, (0.5*10 + 1*10 + 0.5*50) / 2
    expect(Array.from(one(base, 8.5, 2.5).data)).toEqual([20]);
    // the pixel under the point is masked
    expect(Array.from(one(base, 9.5, 10.5).mask)).toEqual([0]);
    // nodata works the same way
    const nodata = { ...base, sourceMask: undefined, nodata: 50, source: source.map((v, i) => (sourceMask[i] ? v : 50)) };
    expect(Array.from(one(nodata, 8.5, 10.5).data)).toEqual([10]);
  });

  it('near the source edge the footprint is clamped and renormalised', () => {
    const source = new Float64Array(16 * 16).map((_, i) => i % 16);
    const base = { dtype: 'float64' as const, source, srcWidth: 16, srcHeight: 16, bands: 1, method: 'bilinear' as const, scaleX: 0.5, scaleY: 0.5 };
    // x = 0.25: c0 = -1, dx = 0.75, offsets 1..2 only (columns 0, 1) weighing f(0.125) = 0.875, f(0.625) = 0.375
    expect(one(base, 0.25, 8.5).data[0]).toBeCloseTo(0.375 / 1.25, 15);
    expect(one({ ...base, sourceMask: new Uint8Array(256).fill(1) }, 0.25, 8.5).data[0]).toBeCloseTo(0.375 / 1.25, 15);
  });

  it('without a validity map, a source narrower than the radius takes the 2x2 bilinear formula (both methods)', () => {
    const source = new Float32Array([0, 10, 20, 30, 40, 50]); // 3 x 2
    const grid = affineGrid(4, 2, (x, y) => [(x * 3) / 4, y / 2]);
    const bil = expectSameAsReference(params('float32', 'bilinear', source, 3, 2, 1, grid, 2, 4));
    for (const method of ['bilinear', 'cubic'] as const) {
      // scale 0.25: radius 4 (bilinear) / 8 (cubic) > 3 columns
      const got = expectSameAsReference(params('float32', method, source, 3, 2, 1, grid, 2, 4, { scaleX: 0.25, scaleY: 0.25 }));
      expect(firstByteDifference(got.data, bil.data)).toBe(-1);
    }
  });

  it('scale regions: each rectangle uses its own scales, the rest the call\'s', () => {
    const source = new Uint16Array(128 * 128).map((_, i) => (i * 2654435761) % 60000);
    const grid = affineGrid(32, 8, (x, y) => [3.1 * x + 2, 2.9 * y + 3]);
    for (const method of ['bilinear', 'cubic'] as const) {
      const run = (extra: Partial<ResampleParams<'uint16'>>) => expectSameAsReference(params('uint16', method, source, 128, 128, 1, grid, 8, 32, extra));
      const a = run({ scaleX: 0.33, scaleY: 0.3 });
      const b = run({ scaleX: 0.5, scaleY: 1.2 });
      const c = run({});
      const mixed = run({
        scaleX: 0.33, scaleY: 0.3,
        scaleRegions: [
          { x: 16, y: 0, width: 16, height: 16, scaleX: 0.5, scaleY: 1.2 },
          { x: 0, y: 16, width: 40, height: 99, scaleX: 1, scaleY: 1 }, // clipped to the output
        ],
      });
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const want = y >= 16 ? c : x >= 16 ? b : a;
          expect(mixed.data[y * 32 + x], `${method} (${x}, ${y})`).toBe(want.data[y * 32 + x]);
        }
      }
    }
  });

  it('rejects bad scales and regions', () => {
    const grid = affineGrid(4, 4, (x, y) => [x, y]);
    const p = params('uint8', 'bilinear', new Uint8Array(16), 4, 4, 1, grid, 4, 4);
    const region = { x: 0, y: 0, width: 4, height: 4, scaleX: 0.5, scaleY: 0.5 };
    expect(() => kernels.resample({ ...p, scaleX: 0 })).toThrow(RangeError);
    expect(() => kernels.resample({ ...p, scaleY: Number.NaN })).toThrow(RangeError);
    expect(() => kernels.resample({ ...p, scaleRegions: [{ ...region, scaleX: -1 }] })).toThrow(RangeError);
    expect(() => kernels.resample({ ...p, scaleRegions: [{ ...region, x: 0.5 }] })).toThrow(RangeError);
    expect(() => kernels.resample({ ...p, scaleRegions: [{ ...region, width: -1 }] })).toThrow(RangeError);
    expect(() => kernels.resample({ ...p, scaleRegions: Array(256).fill(region) })).toThrow(RangeError);
  });
});

// ---- real tiles ----------------------------------------------------------------------------------

/** Blanks a disc of the raster with `value` (the DEM fixture declares nodata but has none). */
function withHole(r: Raster, value: number): Raster {
  const data = r.data.slice();
  const [cx, cy, rad] = [r.width * 0.55, r.height * 0.45, r.width * 0.12];
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) if ((x - cx) ** 2 + (y - cy) ** 2 < rad * rad) data[y * r.width + x] = value;
  }
  return { ...r, data, nodata: value };
}

/** The DEM re-expressed in another sample type (nodata mapped to that type's choice). */
function demAs(dem: Raster, dtype: SampleType, f: (v: number) => number, nodata?: number): Raster {
  const data = new (typedArrayFor(dtype))(dem.data.length);
  const mask = new Uint8Array(dem.data.length);
  dem.data.forEach((v, i) => {
    const hole = v === dem.nodata;
    mask[i] = hole ? 0 : 255;
    data[i] = hole ? (nodata ?? 0) : f(v);
  });
  return nodata === undefined ? { ...dem, dtype, data, nodata: undefined, mask } : { ...dem, dtype, data, nodata };
}

const rasters: Record<string, () => Promise<Raster>> = {
  'uint16 x3 UTM, nodata 0': () => loadCog('riotiler-rgb_uint16_utm.tif'),
  'uint16 UTM overview, no nodata': () => loadCog('riotiler-cog_uint16_utm_ovr.tif', { level: 2 }),
  'uint8 x3 EPSG:4326, internal mask': () => loadCog('riotiler-cog_uint8_rgb_mask_4326.tif'),
  'uint8 RGB + alpha as mask, EPSG:3857': () => loadCog('cogeotiff-rgba8_cog.tiff', { alphaMask: true }),
  'float32 EPSG:4326, NaN nodata': () => loadCog('titiler-cog_with_nan_float32_4326.tif'),
  'float32 DEM EPSG:2056, nodata -9999': async () => withHole(await loadCog('titiler-dem_float32_epsg2056.tif'), -9999),
};
rasters['float32 DEM with NaN samples that are not nodata (NaN propagates)'] = async () => {
  const r = await rasters['float32 DEM EPSG:2056, nodata -9999']!();
  for (let i = 0; i < r.data.length; i += 97) r.data[i] = Number.NaN;
  return r;
};
const DEM_AS: Array<[SampleType, (v: number) => number, number | undefined]> = [
  ['float64', (v) => v * 1.0000001, -9999],
  ['int16', (v) => Math.round(v), -9999],
  ['int32', (v) => Math.round(v * 1e5), -(2 ** 31)],
  ['uint32', (v) => Math.round((v - 1600) * 5e6) + 2 ** 31, 0],
  ['int8', (v) => Math.round((v - 1815) / 1.6), -128],
  ['uint8', (v) => Math.round((v - 1600) / 1.65), undefined], // hole as a source mask instead
];
for (const [dtype, f, nodata] of DEM_AS) {
  rasters[`${dtype} from the DEM`] = async () => demAs(await rasters['float32 DEM EPSG:2056, nodata -9999']!(), dtype, f, nodata);
}

// [fraction x, fraction y, output pixel / source pixel, grid step]
const TILES: Array<[number, number, number, number]> = [
  [0.05, 0.95, 0.7, 16], // across the source's lower-left corner: outside, edges
  [0.5, 0.45, 0.3, 8], // upsampled, over the nodata hole
  [0.6, 0.4, 2.5, 1], // downsampled, exact per-pixel projection
];

describe('resample: WASM = reference on real COG tiles', () => {
  for (const [name, load] of Object.entries(rasters)) {
    it(name, async () => {
      const r = await load();
      let masked = 0;
      let valid = 0;
      for (const [fx, fy, scale, step] of TILES) {
        const { grid, gridStep, size } = tileGrid(r, fx, fy, scale, step);
        for (const method of RESAMPLING_METHODS) {
          const got = expectSameAsReference({
            method, dtype: r.dtype, source: r.data, srcWidth: r.width, srcHeight: r.height, bands: r.bands,
            sourceMask: r.mask, nodata: r.nodata, grid, gridStep, dstWidth: size, dstHeight: size,
          });
          for (const m of got.mask) m ? valid++ : masked++;
        }
      }
      // the tiles really cover both data and masked areas
      expect(valid).toBeGreaterThan(10000);
      expect(masked).toBeGreaterThan(1000);
    });
  }

  // reduced tiles with GDAL's stretched filters: isotropic, anisotropic, and per-region (chunks)
  const REDUCED: Array<[number, number, number, number, Partial<ResampleParams>]> = [
    [0.6, 0.4, 2.5, 1, { scaleX: 0.4, scaleY: 0.4 }],
    [0.05, 0.95, 1.8, 16, { scaleX: 0.55, scaleY: 0.3 }],
    [0.5, 0.45, 1.3, 8, { scaleX: 1.2, scaleY: 0.7 }],
    [0.5, 0.5, 3.5, 16, {
      scaleX: 0.3, scaleY: 0.28,
      scaleRegions: [{ x: 128, y: 0, width: 128, height: 128, scaleX: 0.9, scaleY: 0.2 }, { x: 0, y: 192, width: 64, height: 64, scaleX: 1, scaleY: 1 }],
    }],
  ];
  describe('with scales < 1 (GDAL reducing)', () => {
    for (const [name, load] of Object.entries(rasters)) {
      it(name, async () => {
        const r = await load();
        let valid = 0;
        for (const [fx, fy, scale, step, extra] of REDUCED) {
          const { grid, gridStep, size } = tileGrid(r, fx, fy, scale, step);
          for (const method of ['bilinear', 'cubic'] as const) {
            const got = expectSameAsReference({
              method, dtype: r.dtype, source: r.data, srcWidth: r.width, srcHeight: r.height, bands: r.bands,
              sourceMask: r.mask, nodata: r.nodata, grid, gridStep, dstWidth: size, dstHeight: size, ...extra,
            });
            for (const m of got.mask) if (m) valid++;
          }
        }
        expect(valid).toBeGreaterThan(5000);
      });
    }
  });

  it('rotated affine + mild non-linear grid (uint16 x3)', async () => {
    const r = await rasters['uint16 x3 UTM, nodata 0']!();
    expect(r.dtype).toBe('uint16');
    const grid = affineGrid(256, 16, (x, y) => [20 + 0.8 * x + 0.3 * y + 2e-4 * x * y, 10 - 0.3 * x + 0.8 * y + 1e-4 * y * y]);
    for (const method of RESAMPLING_METHODS) {
      expectSameAsReference({
        method, dtype: r.dtype, source: r.data, srcWidth: r.width, srcHeight: r.height, bands: 3,
        nodata: 0, grid, gridStep: 16, dstWidth: 256, dstHeight: 256,
      });
    }
  });
});
