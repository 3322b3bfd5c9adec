// unfilterScanlines / decodeElevationScanlines (WASM, assembly/png.ts) vs the PNG spec's reference
// unfiltering, on random scanlines of every filter type, and on real PNGs against fast-png.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { decode as decodePng } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeElevation, decodeElevationScanlines, unfilterScanlines } from '../../src/kernels/elevation.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { firstByteDifference, rng } from './fixtures.js';
import { unfilterReference } from './reference/png.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

const random = rng(7);

/** Random scanlines whose filter types are `types` in turn (filtered bytes are random too: any byte is valid). */
function scanlines(stride: number, rows: number, types: number[]): Uint8Array {
  const s = Uint8Array.from({ length: rows * (stride + 1) }, () => Math.floor(random() * 256));
  for (let r = 0; r < rows; r++) s[r * (stride + 1)] = types[r % types.length]!;
  return s;
}

/** The inflated IDAT stream and geometry of an 8-bit non-interlaced PNG. */
async function idat(file: string): Promise<{ data: Uint8Array; width: number; height: number; channels: 3 | 4 }> {
  const png = new Uint8Array(await readFile(join(PACKAGE_ROOT, 'test/fixtures/terrain', file)));
  const view = new DataView(png.buffer, png.byteOffset);
  const parts: Uint8Array[] = [];
  let width = 0, height = 0, channels: 3 | 4 = 3;
  for (let p = 8; p < png.length;) {
    const length = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    if (type === 'IHDR') (width = view.getUint32(p + 8)), (height = view.getUint32(p + 12)), (channels = png[p + 17] === 6 ? 4 : 3);
    if (type === 'IDAT') parts.push(png.subarray(p + 8, p + 8 + length));
    p += 12 + length;
  }
  return { data: inflateSync(Buffer.concat(parts)), width, height, channels };
}

describe('unfilterScanlines', () => {
  it('equals the reference for every filter type, 1..8 bytes a pixel, strides around the 16-byte vector step', () => {
    for (const bpp of [1, 2, 3, 4, 6, 8]) {
      for (const stride of [bpp, 15, 16, 17, 48, 255, 768, 1024].filter((s) => s >= bpp)) {
        // each type after each type (the row above of every kind), and a first row of each type
        for (const first of [0, 1, 2, 3, 4]) {
          const types = [first, 0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 2, 2, 3, 3, 1, 1, 4, 0, 0];
          const rows = types.length;
          const s = scanlines(stride, rows, types);
          const want = unfilterReference(s, stride, rows, bpp);
          expect(firstByteDifference(unfilterScanlines(kernels, s, stride, rows, bpp), want), `bpp ${bpp} stride ${stride}`).toBe(-1);
          const firstPixels = unfilterScanlines(kernels, s, stride, rows, bpp, 'first-pixels');
          for (let r = 0; r < rows; r++) expect(Array.from(firstPixels.subarray(r * bpp, (r + 1) * bpp))).toEqual(Array.from(want.subarray(r * stride, r * stride + bpp)));
        }
      }
    }
  });

  it('unfilters the first row alone (no row above) as the whole image does', () => {
    const s = scanlines(768, 4, [4, 1, 2, 3]);
    expect(Array.from(unfilterScanlines(kernels, s, 768, 1, 3))).toEqual(Array.from(unfilterReference(s, 768, 4, 3).subarray(0, 768)));
  });

  it('rejects an unknown filter type and bad geometry', () => {
    const s = scanlines(12, 3, [0, 5, 0]);
    expect(() => unfilterScanlines(kernels, s, 12, 3, 3)).toThrow(/filter type/);
    expect(() => unfilterScanlines(kernels, s, 12, 3, 3, 'first-pixels')).toThrow(/filter type/);
    expect(() => unfilterScanlines(kernels, s, 12, 4, 3)).toThrow(RangeError);
    expect(() => unfilterScanlines(kernels, s, 12, 3, 0)).toThrow(RangeError);
    expect(() => unfilterScanlines(kernels, s, 2, 3, 3, 'first-pixels')).toThrow(RangeError);
    expect(unfilterScanlines(kernels, s, 12, 0, 3).length).toBe(0);
  });
});

describe('decodeElevationScanlines', () => {
  for (const [file, encoding] of [['pymartini_terrarium_11_385_803.png', 'terrarium'], ['loadersgl_mapbox.png', 'mapbox'], ['martini_fuji.png', 'mapbox']] as const) {
    it(`decodes ${file} as fast-png + decodeElevation do: all rows, the first row, the first column`, async () => {
      const { data, width, height, channels } = await idat(file);
      const img = decodePng(await readFile(join(PACKAGE_ROOT, 'test/fixtures/terrain', file)));
      expect(img.channels).toBe(channels);
      const want = decodeElevation(kernels, img.data as Uint8Array, width, height, channels, encoding);
      expect(firstByteDifference(decodeElevationScanlines(kernels, data, width, height, channels, encoding), want)).toBe(-1);
      expect(Array.from(decodeElevationScanlines(kernels, data, width, 1, channels, encoding))).toEqual(Array.from(want.subarray(0, width)));
      const column = decodeElevationScanlines(kernels, data, width, height, channels, encoding, 'first-pixels');
      expect(Array.from(column)).toEqual(Array.from({ length: height }, (_, r) => want[r * width]));
    });
  }
});
