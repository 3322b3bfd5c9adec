// decodeElevationPng: the fast path (zlib + WASM unfilter and decode) and the sharp fallback give the
// heights fast-png + decodeElevation give, for the whole tile and a neighbour's first column and row;
// corrupt PNGs are 502s.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import sharp from '../../src/encoders/sharp.js';
import { decodeElevation, type ElevationEncoding } from '../../src/kernels/elevation.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { decodeElevationPng } from '../../src/mesh/decode-png.js';
import { tileEdge } from '../../src/mesh/elevation-grid.js';
import { HttpError } from '../../src/server/errors.js';
import { firstByteDifference } from '../kernels/fixtures.js';
import { TERRAIN_DIR } from './martini-util.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

const fixture = (file: string) => new Uint8Array(readFileSync(join(TERRAIN_DIR, file)));

/** The heights fast-png and the elevation kernel give (the reference for every path). */
function expected(png: Uint8Array, encoding: ElevationEncoding): Float32Array {
  const img = decode(png);
  return decodeElevation(kernels, img.data as Uint8Array, img.width, img.height, img.channels as 3 | 4, encoding);
}

async function expectAllParts(png: Uint8Array, encoding: ElevationEncoding, size: number) {
  const want = expected(png, encoding);
  // byte comparisons: toEqual on 2^18 floats is slow
  for (const part of ['full', 'column', 'row'] as const) {
    const got = await decodeElevationPng(kernels, png, 't', part, encoding, size);
    expect(got.length, part).toBe(part === 'full' ? size * size : size);
    expect(firstByteDifference(got, tileEdge(want, size, part)), part).toBe(-1);
  }
}

async function expect502(promise: Promise<unknown>, detail: RegExp) {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).status).toBe(502);
  expect((err as HttpError).detail).toMatch(detail);
}

describe('decodeElevationPng', () => {
  it('decodes an AWS Terrarium tile (RGB, Paeth rows, 3 IDAT chunks): all of it, its first column, its first row', async () => {
    await expectAllParts(fixture('pymartini_terrarium_11_385_803.png'), 'terrarium', 256);
  });

  it('decodes Terrain-RGB tiles, RGB and RGBA', async () => {
    await expectAllParts(fixture('martini_fuji.png'), 'mapbox', 512);
    const rgb = decode(fixture('pymartini_mapbox_st_helens_14_2630_5812.png'));
    const rgba = await sharp(rgb.data as Uint8Array, { raw: { width: 256, height: 256, channels: rgb.channels as 3 } }).ensureAlpha().png().toBuffer();
    expect(decode(rgba).channels).toBe(4);
    await expectAllParts(new Uint8Array(rgba), 'mapbox', 256);
  });

  it('decodes PNGs outside the fast path (interlaced) through sharp', async () => {
    const img = decode(fixture('pymartini_terrarium_11_385_803.png'));
    const raw = { raw: { width: 256, height: 256, channels: 3 as const } };
    const interlaced = new Uint8Array(await sharp(img.data as Uint8Array, raw).png({ progressive: true }).toBuffer());
    expect(interlaced[8 + 8 + 12]).toBe(1); // IHDR interlace method: Adam7
    await expectAllParts(interlaced, 'terrarium', 256);
  });

  it('takes a first row from the start of the image data alone', async () => {
    const png = fixture('pymartini_terrarium_11_385_803.png');
    const want = tileEdge(expected(png, 'terrarium'), 256, 'row');
    // the last IDAT chunk zeroed: the whole tile no longer inflates, its first row still does
    const damaged = png.slice();
    const view = new DataView(damaged.buffer);
    let last = 0;
    for (let p = 8; p < damaged.length; p += 12 + view.getUint32(p)) if (String.fromCharCode(...damaged.subarray(p + 4, p + 8)) === 'IDAT') last = p;
    damaged.fill(0, last + 8, last + 8 + view.getUint32(last));
    expect(await decodeElevationPng(kernels, damaged, 't', 'row', 'terrarium', 256)).toEqual(want);
    await expect502(decodeElevationPng(kernels, damaged, 't', 'full', 'terrarium', 256), /corrupt PNG elevation tile t/);
  });

  it('answers 502 for bytes that are not a PNG, truncated PNGs, bad image data and the wrong size', async () => {
    const png = fixture('pymartini_terrarium_11_385_803.png');
    await expect502(decodeElevationPng(kernels, new TextEncoder().encode('<html>not found</html>'), 't', 'full', 'terrarium', 256), /not a PNG/);
    await expect502(decodeElevationPng(kernels, png.subarray(0, 5000), 't', 'row', 'terrarium', 256), /truncated/);
    await expect502(decodeElevationPng(kernels, png.subarray(0, png.length - 12), 't', 'full', 'terrarium', 256), /IEND/);
    await expect502(decodeElevationPng(kernels, png, 't', 'full', 'terrarium', 512), /256x256, expected 512x512/);
    // a filter type byte of 7: zlib is fine, the scanline is not
    const img = decode(png);
    const unfiltered = await sharp(img.data as Uint8Array, { raw: { width: 256, height: 256, channels: 3 } }).png({ adaptiveFiltering: false, compressionLevel: 0 }).toBuffer();
    const bad = new Uint8Array(unfiltered);
    const at = bad.indexOf(0x78, 8 + 25 + 8) + 2 + 5; // zlib header, then a stored block's 5-byte header: the first filter byte
    expect(bad[at]).toBe(0);
    bad[at] = 7;
    await expect502(decodeElevationPng(kernels, bad, 't', 'row', 'terrarium', 256), /filter type/);
  });
});
