// decodeElevation (WASM) vs the plain JS formulas, on every possible pixel value and on the terrain fixtures.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decode as decodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeElevation, type ElevationEncoding } from '../../src/kernels/elevation.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { firstByteDifference } from './fixtures.js';
import { decodeElevationReference } from './reference/elevation.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

const TERRAIN = join(PACKAGE_ROOT, 'test/fixtures/terrain');

async function png(file: string): Promise<{ data: Uint8Array; width: number; height: number; channels: 3 | 4 }> {
  const img = decodePng(await readFile(join(TERRAIN, file)));
  expect(img.depth).toBe(8);
  return { data: img.data as Uint8Array, width: img.width, height: img.height, channels: img.channels as 3 | 4 };
}

describe('decodeElevation', () => {
  it('applies the Terrarium and Mapbox formulas', () => {
    const px = new Uint8Array([128, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 255, 1, 134, 160, 0, 7, 208, 128, 9]);
    expect(Array.from(decodeElevation(kernels, px, 5, 1, 4, 'terrarium'))).toEqual([
      0, -32768, 32767 + 255 / 256, Math.fround(256 + 134 + 160 / 256 - 32768), Math.fround(7 * 256 + 208 + 128 / 256 - 32768),
    ]);
    expect(Array.from(decodeElevation(kernels, px, 5, 1, 4, 'mapbox'))).toEqual([
      Math.fround(128 * 65536 / 10 - 10000), -10000, Math.fround(16777215 / 10 - 10000), 0, Math.fround((7 * 65536 + 208 * 256 + 128) / 10 - 10000),
    ]);
  });

  it('equals the JS formula rounded to float32 for every RGB value, RGB and RGBA, vector and scalar paths', () => {
    // all 2^24 colours in 16 calls of 2^20 pixels; widths that are not multiples of 4 exercise the tails
    const chunk = 1 << 20;
    for (const channels of [3, 4] as const) {
      const rgba = new Uint8Array(chunk * channels);
      for (let base = 0; base < 1 << 24; base += chunk) {
        for (let i = 0; i < chunk; i++) {
          const c = base + i;
          rgba[i * channels] = c >>> 16;
          rgba[i * channels + 1] = (c >>> 8) & 255;
          rgba[i * channels + 2] = c & 255;
          if (channels === 4) rgba[i * 4 + 3] = 255;
        }
        for (const encoding of ['terrarium', 'mapbox'] as const) {
          const width = base === 0 ? chunk - 3 : chunk;
          const got = decodeElevation(kernels, rgba, width, 1, channels, encoding);
          const want = decodeElevationReference(rgba, width, 1, channels, encoding);
          expect(firstByteDifference(got, want), `${encoding} ${channels} channels from colour ${base}`).toBe(-1);
        }
      }
    }
  }, 60_000);

  const fixtures: Array<[string, ElevationEncoding, number, number, number]> = [
    // file, encoding, min, max, h[0, 0] (SOURCES.md / expected.json)
    ['pymartini_terrarium_11_385_803.png', 'terrarium', 715.168, 2488.953, 1796.125],
    ['loadersgl_terrarium.png', 'terrarium', 852.1, 2475.1, NaN],
    ['martini_fuji.png', 'mapbox', 13.7, 3751, 497.8],
    ['pymartini_mapbox_st_helens_14_2630_5812.png', 'mapbox', 1002.0, 1164.2, NaN],
    ['loadersgl_mapbox.png', 'mapbox', 704.6, 3497.3, NaN],
  ];
  for (const [file, encoding, min, max, h00] of fixtures) {
    it(`decodes ${file} (${encoding}) as the reference does, with its known range`, async () => {
      const { data, width, height, channels } = await png(file);
      const got = decodeElevation(kernels, data, width, height, channels, encoding);
      expect(got.length).toBe(width * height);
      expect(firstByteDifference(got, decodeElevationReference(data, width, height, channels, encoding))).toBe(-1);
      let lo = Infinity, hi = -Infinity;
      for (const h of got) { lo = Math.min(lo, h); hi = Math.max(hi, h); }
      expect(lo).toBeCloseTo(min, 1);
      expect(hi).toBeCloseTo(max, 1);
      if (!Number.isNaN(h00)) expect(got[0]).toBe(Math.fround(h00));
    });
  }

  it('rejects bad arguments and short input', () => {
    const px = new Uint8Array(12);
    expect(() => decodeElevation(kernels, px, 2, 2, 4, 'terrarium')).toThrow(RangeError);
    expect(() => decodeElevation(kernels, px, 2, 2, 2 as 3, 'terrarium')).toThrow(RangeError);
    expect(() => decodeElevation(kernels, px, 2, 2, 3, 'nope' as 'mapbox')).toThrow(TypeError);
    expect(() => decodeElevation(kernels, px, 1.5, 2, 3, 'mapbox')).toThrow(RangeError);
    expect(decodeElevation(kernels, px, 0, 0, 3, 'mapbox').length).toBe(0);
  });
});
