// rescaleToUint8: WASM against the scalar reference (bit for bit) plus hand-checked values.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { SAMPLE_TYPES, typedArrayFor } from '../../src/kernels/types.js';
import { loadCog } from './fixtures.js';
import { rescaleReference } from './reference/rescale.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

describe('rescaleToUint8', () => {
  it('clips, scales by 255 / (max - min) and truncates', () => {
    const data = new Uint16Array([0, 50, 100, 150, 1, 99]);
    expect(Array.from(kernels.rescaleToUint8(data, 1, 6, [[0, 100]]))).toEqual([0, 127, 255, 255, 2, 252]);
  });

  it('NaN -> 0, values below min -> 0, min == max -> 0', () => {
    const data = new Float32Array([Number.NaN, -5, 5, Number.POSITIVE_INFINITY]);
    expect(Array.from(kernels.rescaleToUint8(data, 1, 4, [[0, 10]]))).toEqual([0, 0, 127, 255]);
    expect(Array.from(kernels.rescaleToUint8(data, 1, 4, [[5, 5]]))).toEqual([0, 0, 0, 0]);
    // 11 values: the 8-wide vector path and the scalar tail must agree
    const wide = new Float64Array([Number.NaN, -5, 5, Infinity, -Infinity, 10, 0, 9.99, Number.NaN, 1e300, -1e300]);
    const expected = [0, 0, 127, 255, 0, 255, 0, 254, 0, 255, 0];
    expect(Array.from(kernels.rescaleToUint8(wide, 1, 11, [[0, 10]]))).toEqual(expected);
    expect(Array.from(kernels.rescaleToUint8(wide.subarray(3), 1, 8, [[0, 10]]))).toEqual(expected.slice(3));
  });

  it('takes one range per band, or one range for all bands', () => {
    const data = new Int16Array([-100, 0, 100, -100, 0, 100]);
    expect(Array.from(kernels.rescaleToUint8(data, 2, 3, [[-100, 100], [0, 100]]))).toEqual([0, 127, 255, 0, 0, 255]);
    expect(Array.from(kernels.rescaleToUint8(data, 2, 3, [[-100, 100]]))).toEqual([0, 127, 255, 0, 127, 255]);
    expect(() => kernels.rescaleToUint8(data, 2, 3, [[0, 1], [0, 1], [0, 1]])).toThrow(RangeError);
  });

  it('an inverted range behaves like numpy.clip (everything becomes max)', () => {
    const data = new Float64Array([0, 50, 100]);
    const got = kernels.rescaleToUint8(data, 1, 3, [[100, 0]]);
    expect(Array.from(got)).toEqual([255, 255, 255]);
    expect(Array.from(got)).toEqual(Array.from(rescaleReference(data, 1, 3, [[100, 0]])));
  });

  it('equals the reference bit for bit for every sample type on a real DEM', async () => {
    const dem = await loadCog('titiler-dem_float32_epsg2056.tif');
    for (let i = 0; i < dem.data.length; i += 101) dem.data[i] = Number.NaN;
    const ranges: Array<[number, number]> = [[1700, 1900], [1615.8, 2015.1], [-1e9, 1e9], [1800, 1800], [2000, 1700]];
    // an odd plane length: the 8-wide vector loop and the scalar tail both run
    const n = dem.data.length - 5;
    for (const dtype of SAMPLE_TYPES) {
      // two bands: the DEM as-is and scaled, converted by the typed array's own store rules
      const data = new (typedArrayFor(dtype))(n * 2);
      for (let i = 0; i < n; i++) {
        const v = dem.data[i]!;
        data[i] = dtype.startsWith('float') ? v : Math.round((v - 1800) * 0.5);
        data[i + n] = dtype.startsWith('float') ? v * 3 : Math.round(v * 7);
      }
      for (const range of ranges) {
        for (const rs of [[range], [range, [range[0] * 2, range[1] * 3]]] as Array<Array<[number, number]>>) {
          const got = kernels.rescaleToUint8(data, 2, n, rs);
          const want = rescaleReference(data, 2, n, rs);
          const at = got.findIndex((v, i) => v !== want[i]);
          expect(at, `${dtype} ${JSON.stringify(rs)}: differs at ${at}`).toBe(-1);
        }
      }
    }
  });
});
