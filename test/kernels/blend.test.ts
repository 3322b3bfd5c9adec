// Mosaic blending (rio-tiler's pixel selection methods): WASM against the scalar reference bit for
// bit on random tiles, hand-checked answers per method, numpy's corner cases, and FirstFill.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  blendOutput, blendTiles, FirstFill, PIXEL_SELECTION_METHODS, type BlendInput, type BlendResult, type PixelSelection,
} from '../../src/kernels/blend.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { SAMPLE_TYPES, typedArrayFor, type SampleType, type TypedArray } from '../../src/kernels/types.js';
import { blendReference } from './reference/blend.js';
import { rng } from './fixtures.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});


/** Random samples over the whole range of the type; floats mix in NaN, +-0, +-Infinity and huge values. */
function randomSample(dtype: SampleType, rnd: () => number): number {
  switch (dtype) {
    case 'uint8': return Math.floor(rnd() * 256);
    case 'int8': return Math.floor(rnd() * 256) - 128;
    case 'uint16': return Math.floor(rnd() * 65536);
    case 'int16': return Math.floor(rnd() * 65536) - 32768;
    case 'uint32': return Math.floor(rnd() * 2 ** 32);
    case 'int32': return Math.floor(rnd() * 2 ** 32) - 2 ** 31;
    default: {
      const r = rnd();
      const sign = rnd() < 0.5 ? -1 : 1;
      if (r < 0.03) return Number.NaN;
      if (r < 0.05) return -0;
      if (r < 0.07) return 0;
      if (r < 0.08) return sign * Infinity;
      if (r < 0.1) return sign * 3e38 * (1 + rnd() * 0.1); // float32: sums overflow
      if (dtype === 'float64' && r < 0.13) return sign * (rnd() < 0.5 ? 7.07e153 * (1 + rnd()) : 1e307 * (1 + rnd() * 16));
      if (r < 0.25) return Math.floor(rnd() * 10); // ties
      return (rnd() - 0.5) * 10 ** Math.floor(rnd() * 12 - 4);
    }
  }
}

function randomTiles(dtype: SampleType, bands: number, pixels: number, n: number, rnd: () => number): BlendInput[] {
  const tiles: BlendInput[] = [];
  for (let i = 0; i < n; i++) {
    const data = new (typedArrayFor(dtype))(bands * pixels);
    for (let j = 0; j < data.length; j++) data[j] = randomSample(dtype, rnd);
    const mask = new Uint8Array(pixels);
    const coverage = [0.15, 0.5, 0.85, 1][Math.floor(rnd() * 4)]!;
    for (let j = 0; j < pixels; j++) mask[j] = rnd() < coverage ? 255 : 0;
    tiles.push({ data, mask });
  }
  return tiles;
}

const isNaNAt = (a: TypedArray, i: number) => Number.isNaN(a[i]!);

/** Equal bit for bit (-0 is not 0); NaN equals NaN whatever its payload (neither JS nor WASM fixes payloads). */
function expectSame(got: BlendResult, want: BlendResult, label: string): void {
  expect(got.dtype, label).toBe(want.dtype);
  expect(got.bands, label).toBe(want.bands);
  expect(got.data.length, label).toBe(want.data.length);
  const mi = got.mask.findIndex((v, i) => v !== want.mask[i]);
  expect(mi, `${label}: mask differs at ${mi}`).toBe(-1);
  const size = got.data.BYTES_PER_ELEMENT;
  const gb = new Uint8Array(got.data.buffer, got.data.byteOffset, got.data.byteLength);
  const wb = new Uint8Array(want.data.buffer, want.data.byteOffset, want.data.byteLength);
  for (let i = 0; i < got.data.length; i++) {
    if (isNaNAt(got.data, i) && isNaNAt(want.data, i)) continue;
    for (let k = 0; k < size; k++) {
      if (gb[i * size + k] !== wb[i * size + k]) {
        expect.fail(`${label}: sample ${i} is ${Object.is(got.data[i], -0) ? '-0' : got.data[i]}, reference ${Object.is(want.data[i], -0) ? '-0' : want.data[i]}`);
      }
    }
  }
}

const u8 = (...v: number[]) => new Uint8Array(v);
const M = 255;

describe('blendTiles: hand-checked, 3 tiles of 2 bands x 4 pixels', () => {
  // pixel 3 is valid nowhere; pixel 0 everywhere; pixel 1 in A and C; pixel 2 in B and C
  const tiles: BlendInput[] = [
    { data: u8(10, 20, 30, 40, /* band 2 */ 1, 2, 3, 4), mask: u8(M, M, 0, 0) },
    { data: u8(50, 5, 60, 70, /* band 2 */ 9, 0, 6, 7), mask: u8(M, 0, M, 0) },
    { data: u8(11, 25, 90, 80, /* band 2 */ 5, 8, 2, 8), mask: u8(M, M, M, 0) },
  ];
  const expected: Record<Exclude<PixelSelection, 'stdev'>, number[]> = {
    first: [10, 20, 60, 0, 1, 2, 6, 0],
    highest: [50, 25, 90, 0, 9, 8, 6, 0], // per band: pixel 2 takes 90 from C but 6 from B
    lowest: [10, 20, 60, 0, 1, 2, 2, 0],
    mean: [23, 22, 75, 0, 5, 5, 4, 0], // 71/3 = 23.67 and 45/2 = 22.5 truncate
    median: [11, 22, 75, 0, 5, 5, 4, 0], // (20 + 25) / 2 = 22.5 -> 22, (2 + 8) / 2 = 5
    count: [3, 2, 2, 0],
    lastbandlow: [10, 20, 90, 0], // decided on band 2: A (1), A (2), C (2)
    lastbandhigh: [50, 25, 60, 0], // B (9), C (8), B (6)
  };
  for (const [method, want] of Object.entries(expected) as Array<[PixelSelection, number[]]>) {
    it(method, () => {
      const r = blendTiles(kernels, method, 'uint8', 2, 4, tiles);
      expect(Array.from(r.data)).toEqual(want);
      expect(Array.from(r.mask)).toEqual(method === 'count' ? [M, M, M, M] : [M, M, M, 0]);
      expect(r.data).toBeInstanceOf(Uint8Array);
      expect(r.bands).toBe(want.length / 4);
      expectSame(r, blendReference(method, 'uint8', 2, 4, tiles), method);
    });
  }

  it('stdev (float64, population)', () => {
    const r = blendTiles(kernels, 'stdev', 'uint8', 2, 4, tiles);
    expect(r.dtype).toBe('float64');
    const std = (...v: number[]) => {
      const m = v.reduce((a, b) => a + b) / v.length;
      return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
    };
    const want = [std(10, 50, 11), std(20, 25), std(60, 90), 0, std(1, 9, 5), std(2, 8), std(6, 2), 0];
    want.forEach((w, i) => expect(r.data[i]).toBeCloseTo(w, 12));
    expect(Array.from(r.mask)).toEqual([M, M, M, 0]);
    expectSame(r, blendReference('stdev', 'uint8', 2, 4, tiles), 'stdev');
  });
});

describe("blendTiles: numpy's rules", () => {
  const one = (dtype: SampleType, values: number[], mask?: number[]): BlendInput[] =>
    values.map((v, i) => {
      const data = new (typedArrayFor(dtype))(1);
      data[0] = v;
      return { data, mask: u8(mask ? mask[i]! : M) };
    });
  const blend1 = (method: PixelSelection, dtype: SampleType, values: number[], mask?: number[]) =>
    blendTiles(kernels, method, dtype, 1, 1, one(dtype, values, mask));

  it('mean and median truncate toward zero (astype), never round', () => {
    expect(blend1('mean', 'int8', [-3, -2]).data[0]).toBe(-2);
    expect(blend1('mean', 'uint8', [1, 2, 2]).data[0]).toBe(1);
    expect(blend1('median', 'int16', [10, -3, 7, -2]).data[0]).toBe(2); // (-2 + 7) / 2 = 2.5
    expect(blend1('median', 'int16', [-5, -2]).data[0]).toBe(-3); // -3.5
    expect(blend1('median', 'uint32', [4294967295, 4294967294]).data[0]).toBe(4294967294);
    expect(blend1('median', 'int32', [-2147483648, -2147483647]).data[0]).toBe(-2147483647);
    expect(blend1('median', 'float32', [1, 2, 4, 100]).data[0]).toBe(3);
  });

  it('NaN is a value unless masked', () => {
    expect(blend1('median', 'float32', [1, Number.NaN, 3]).data[0]).toBeNaN();
    expect(blend1('median', 'float32', [1, Number.NaN, 3], [M, 0, M]).data[0]).toBe(2);
    expect(blend1('highest', 'float64', [Number.NaN, 5]).data[0]).toBeNaN(); // NaN held: nothing compares greater
    expect(blend1('highest', 'float64', [5, Number.NaN, 7]).data[0]).toBe(7); // a later NaN never wins
    expect(blend1('lowest', 'float64', [5, Number.NaN, 3]).data[0]).toBe(3);
    expect(blend1('first', 'float32', [Number.NaN, 5]).data[0]).toBeNaN();
    expect(blend1('first', 'float32', [Number.NaN, 5], [0, M]).data[0]).toBe(5);
  });

  it("mean: numpy.ma's safe division masks a band whose mean is not finite", () => {
    // one band: the pixel is masked
    const r = blend1('mean', 'float32', [3e38, 3e38]);
    expect([r.data[0], r.mask[0]]).toEqual([0, 0]);
    expect(Array.from(blend1('mean', 'float64', [Number.NaN, 1]).mask)).toEqual([0]);
    // f64: |sum| * DBL_MIN >= count masks too (9e307 * 2.2e-308 >= 2), even though the mean is finite
    expect(Array.from(blend1('mean', 'float64', [9e307, 0]).mask)).toEqual([0]);
    expect(blend1('mean', 'float64', [4.5e307, 0]).data[0]).toBe(2.25e307);
    // two bands: the pixel stays valid (ImageData.mask ORs the bands); the masked band keeps the sum
    const two: BlendInput[] = [
      { data: new Float64Array([9e307, 1]), mask: u8(M) },
      { data: new Float64Array([0, 2]), mask: u8(M) },
    ];
    const t = blendTiles(kernels, 'mean', 'float64', 2, 1, two);
    expect([...t.data, ...t.mask]).toEqual([9e307, 1.5, M]);
    const f: BlendInput[] = [
      { data: new Float32Array([3e38, 1]), mask: u8(M) },
      { data: new Float32Array([3e38, 2]), mask: u8(M) },
    ];
    expect(Array.from(blendTiles(kernels, 'mean', 'float32', 2, 1, f).data)).toEqual([Infinity, 1.5]);
  });

  it("stdev: numpy.ma.std's corner cases", () => {
    expect(blend1('stdev', 'uint16', [1, 3]).data[0]).toBe(1);
    // a masked mean (NaN, overflow) masks every deviation: std 0, valid
    const nan = blend1('stdev', 'float32', [1, Number.NaN]);
    expect([nan.data[0], nan.mask[0]]).toEqual([0, M]);
    expect(blend1('stdev', 'float32', [3e38, 3e38]).data[0]).toBe(0);
    // squares overflow: sqrt masks inf
    expect(Array.from(blend1('stdev', 'float64', [1e200, -1e200]).mask)).toEqual([0]);
    // ss = 9.997e307 >= 2 / DBL_MIN: the safe division leaves ss undivided, std = sqrt(ss) (numpy's value)
    expect(blend1('stdev', 'float64', [7.07e153, -7.07e153]).data[0]).toBe(9.998489885977782e153);
    expect(blend1('stdev', 'float64', [7.07e153, -7.07e153, 0]).data[0]).toBe(5.7726308271590235e153);
  });

  it('median: numpy sums the middle pair from 0 in the array type', () => {
    expect(Object.is(blend1('median', 'float64', [-0]).data[0], 0)).toBe(true);
    expect(Object.is(blend1('median', 'float32', [-0, -0, 5]).data[0], 0)).toBe(true);
    expect(blend1('median', 'float32', [3e38]).data[0]).toBe(Infinity); // lo + hi overflows even for one value
    expect(blend1('median', 'float64', [3e38]).data[0]).toBe(3e38);
    expect(blend1('median', 'float32', [-Infinity, Infinity, 1]).data[0]).toBe(1);
  });

  it('count: uint8 below 256 tiles, uint32 from 256, one band, never masked', () => {
    const rnd = rng(7);
    for (const n of [255, 256, 300]) {
      const tiles = randomTiles('int16', 2, 37, n, rnd);
      const r = blendTiles(kernels, 'count', 'int16', 2, 37, tiles);
      expect(r.dtype).toBe(n < 256 ? 'uint8' : 'uint32');
      expect(blendOutput('count', 'int16', 2, n)).toEqual({ dtype: r.dtype, bands: 1 });
      expect(r.mask.every((v) => v === M)).toBe(true);
      expectSame(r, blendReference('count', 'int16', 2, 37, tiles), `count n=${n}`);
      // more tiles than an i8 lane counts, for the statistics that use the counts
      if (n === 300) {
        for (const method of ['mean', 'median', 'stdev'] as const) {
          expectSame(blendTiles(kernels, method, 'int16', 2, 37, tiles), blendReference(method, 'int16', 2, 37, tiles), `${method} n=300`);
        }
      }
    }
  });

  it('rejects what it cannot blend', () => {
    const t = one('uint8', [1, 2]);
    expect(() => blendTiles(kernels, 'mean', 'uint8', 1, 1, [])).toThrow(RangeError);
    expect(() => blendTiles(kernels, 'lastbandlow', 'uint8', 1, 1, t)).toThrow(/at least 2 bands/);
    expect(() => blendTiles(kernels, 'mean', 'uint16', 1, 1, t)).toThrow(TypeError);
    expect(() => blendTiles(kernels, 'mean', 'uint8', 2, 1, t)).toThrow(RangeError);
    expect(() => blendTiles(kernels, 'mean', 'uint8', 1, 2, t)).toThrow(RangeError);
    expect(() => blendTiles(kernels, 'mode' as PixelSelection, 'uint8', 1, 1, t)).toThrow(TypeError);
  });
});

describe('blendTiles: WASM equals the reference bit for bit', () => {
  for (const dtype of SAMPLE_TYPES) {
    it(`every method on random ${dtype} tiles`, () => {
      const rnd = rng(SAMPLE_TYPES.indexOf(dtype) + 1);
      for (const n of [1, 2, 3, 4, 16, 17]) {
        // 1000 + 3 pixels: padding in every plane; 4096: whole vectors, no padding
        for (const pixels of [1003, 4096]) {
          const bands = 1 + Math.floor(rnd() * 4);
          const tiles = randomTiles(dtype, bands, pixels, n, rnd);
          for (const method of PIXEL_SELECTION_METHODS) {
            const b = method.startsWith('lastband') ? Math.max(2, bands) : bands;
            const ts = b === bands ? tiles : randomTiles(dtype, b, pixels, n, rnd);
            const label = `${method} ${dtype} n=${n} bands=${b} pixels=${pixels}`;
            const got = blendTiles(kernels, method, dtype, b, pixels, ts);
            expectSame(got, blendReference(method, dtype, b, pixels, ts), label);
            expect(blendOutput(method, dtype, b, n), label).toEqual({ dtype: got.dtype, bands: got.bands });
          }
        }
      }
    });
  }

  it('tiny tiles and subarray views', () => {
    const rnd = rng(99);
    for (const pixels of [0, 1, 15, 16, 17]) {
      for (const dtype of ['uint16', 'float32'] as const) {
        const tiles = randomTiles(dtype, 3, pixels + 5, 4, rnd).map((t) => ({ data: t.data.subarray(5), mask: t.mask.subarray(5) }));
        for (const method of PIXEL_SELECTION_METHODS) {
          expectSame(blendTiles(kernels, method, dtype, 3, pixels, tiles), blendReference(method, dtype, 3, pixels, tiles), `${method} ${pixels}`);
        }
      }
    }
  });
});

describe('FirstFill', () => {
  it("equals blendTiles('first') and is filled once every pixel is", () => {
    const rnd = rng(5);
    for (const dtype of SAMPLE_TYPES) {
      const pixels = 333;
      const tiles = randomTiles(dtype, 3, pixels, 16, rnd);
      const fill = new FirstFill(kernels, dtype, 3, pixels);
      expect(fill.filled).toBe(false);
      const covered = new Uint8Array(pixels);
      for (let i = 0; i < tiles.length && !fill.filled; i++) {
        fill.add(tiles[i]!);
        tiles[i]!.mask.forEach((m, p) => { if (m) covered[p] = 1; });
        const unfilled = covered.reduce((a, c) => a + (c ? 0 : 1), 0);
        expect(fill.unfilled).toBe(unfilled);
        expect(fill.filled).toBe(unfilled === 0);
        const used = tiles.slice(0, i + 1);
        const want = blendTiles(kernels, 'first', dtype, 3, pixels, used);
        const got = fill.result();
        expectSame({ ...got, dtype, bands: 3 }, want, `${dtype} after ${i + 1} tiles`);
      }
      expect(fill.filled).toBe(true); // random coverage fills 333 pixels well before 16 tiles
      expect(fill.tiles).toBeLessThan(16);
      // once filled, the rest cannot change anything: adds are skipped
      const before = fill.result();
      fill.add(tiles[15]!);
      expect(fill.result().data).toBe(before.data);
      expect(fill.result().mask).toBe(before.mask);
      expectSame({ ...before, dtype, bands: 3 }, blendTiles(kernels, 'first', dtype, 3, pixels, tiles), `${dtype} all tiles`);
    }
  });

  it('starts all masked and ignores a tile with nothing valid', () => {
    const fill = new FirstFill(kernels, 'int16', 1, 3);
    expect(Array.from(fill.result().mask)).toEqual([0, 0, 0]);
    fill.add({ data: new Int16Array([-1, -2, -3]), mask: u8(0, 0, 0) });
    fill.add({ data: new Int16Array([4, 5, 6]), mask: u8(0, M, 0) });
    fill.add({ data: new Int16Array([7, 8, 9]), mask: u8(M, M, 0) });
    expect(fill.filled).toBe(false);
    expect(Array.from(fill.result().data)).toEqual([7, 5, 0]);
    fill.add({ data: new Int16Array([1, 1, 1]), mask: u8(M, M, M) });
    expect(fill.filled).toBe(true);
    expect(Array.from(fill.result().data)).toEqual([7, 5, 1]);
    expect(Array.from(fill.result().mask)).toEqual([M, M, M]);
    expect(() => fill.add({ data: new Uint16Array(3), mask: u8(M, M, M) })).toThrow(TypeError);
  });
});
