// applyColormap (WASM vs reference) and the named LUTs of src/tiling/colormaps.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { COLORMAP_NAMES, colormapLut } from '../../src/tiling/colormaps.js';
import { loadCog } from './fixtures.js';
import { applyColormapReference } from './reference/colormap.js';
import { rescaleReference } from './reference/rescale.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

const rgba = (lut: Uint8Array, i: number): number[] => Array.from(lut.subarray(i * 4, i * 4 + 4));

describe('applyColormap', () => {
  it('looks indices up in the LUT; alpha 0 where the mask is 0', () => {
    const lut = new Uint8Array(1024);
    for (let i = 0; i < 256; i++) lut.set([i, 255 - i, i >> 1, 200], i * 4);
    const out = kernels.applyColormap(new Uint8Array([0, 255, 10]), new Uint8Array([255, 0, 1]), lut);
    expect(Array.from(out)).toEqual([0, 255, 0, 200, 255, 0, 127, 0, 10, 245, 5, 200]);
    expect(Array.from(kernels.applyColormap(new Uint8Array([3]), undefined, lut))).toEqual([3, 252, 1, 200]);
    expect(() => kernels.applyColormap(new Uint8Array(1), undefined, new Uint8Array(1000))).toThrow(RangeError);
  });

  it('equals the reference on a rescaled real DEM, with and without a mask', async () => {
    const dem = await loadCog('titiler-dem_float32_epsg2056.tif');
    const n = dem.width * dem.height;
    const index = rescaleReference(dem.data, 1, n, [[1700, 1950]]);
    const mask = index.map((v) => (v > 20 ? 255 : 0));
    for (const name of ['terrain', 'viridis_r']) {
      const lut = colormapLut(name)!;
      for (const m of [mask, undefined]) {
        const got = kernels.applyColormap(index, m, lut);
        const want = applyColormapReference(index, m, lut);
        expect(got.findIndex((v, i) => v !== want[i])).toBe(-1);
      }
    }
  });
});

describe('colormap LUTs', () => {
  it('lists at least the TiTiler basics, each with a reversed twin', () => {
    for (const name of ['viridis', 'magma', 'inferno', 'plasma', 'cividis', 'turbo', 'greys', 'gray', 'terrain']) {
      expect(COLORMAP_NAMES).toContain(name);
      expect(COLORMAP_NAMES).toContain(`${name}_r`);
    }
  });

  it('every listed name builds an opaque 256-entry RGBA table, memoised', () => {
    for (const name of COLORMAP_NAMES) {
      const lut = colormapLut(name)!;
      expect(lut.length, name).toBe(1024);
      for (let i = 0; i < 256; i++) expect(lut[i * 4 + 3]).toBe(255);
      expect(colormapLut(name)).toBe(lut);
    }
    expect(colormapLut('nope')).toBeUndefined();
    expect(colormapLut('nope_r')).toBeUndefined();
  });

  it('has the known end points and directions', () => {
    expect(rgba(colormapLut('viridis')!, 0)).toEqual([0x44, 0x01, 0x54, 255]);
    expect(rgba(colormapLut('viridis')!, 255)).toEqual([0xfd, 0xe7, 0x25, 255]);
    expect(rgba(colormapLut('viridis_r')!, 0)).toEqual([0xfd, 0xe7, 0x25, 255]);
    expect(rgba(colormapLut('gray')!, 0)).toEqual([0, 0, 0, 255]);
    expect(rgba(colormapLut('gray')!, 255)).toEqual([255, 255, 255, 255]);
    expect(rgba(colormapLut('greys')!, 0)).toEqual([255, 255, 255, 255]);
    expect(rgba(colormapLut('greys')!, 255)).toEqual([0, 0, 0, 255]);
    // matplotlib terrain: (0.2, 0.2, 0.6) -> (0, 0.6, 1) at 0.15 -> ... -> white
    expect(rgba(colormapLut('terrain')!, 0)).toEqual([51, 51, 153, 255]);
    expect(rgba(colormapLut('terrain')!, 255)).toEqual([255, 255, 255, 255]);
    const t38 = rgba(colormapLut('terrain')!, 38); // just below the 0.15 anchor (x = 38.25)
    expect(t38[0]).toBeLessThanOrEqual(2);
    expect(t38[1]).toBeGreaterThanOrEqual(150);
    expect(t38[2]).toBeGreaterThanOrEqual(250);
  });

  it('gray rises monotonically from black to white', () => {
    const lut = colormapLut('gray')!;
    for (let i = 1; i < 256; i++) {
      expect(lut[i * 4]!).toBeGreaterThanOrEqual(lut[(i - 1) * 4]!);
      expect(Math.abs(lut[i * 4]! - i)).toBeLessThanOrEqual(1); // matplotlib truncation: i or i - 1
    }
  });
});
