import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCogHeader } from '../../src/cog/cog-header.js';
import { MAX_TAG_VALUE_BYTES } from '../../src/cog/tiff-structure.js';
import { HttpError } from '../../src/server/errors.js';
import { FileSource } from '../../src/sources/file-source.js';
import { fixture, q, scratchDir, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { TAG, TiffBytes } from '../helpers/tiff-bytes.js';

/**
 * Corrupt GeoTIFFs, made here from real fixtures by cutting and patching bytes: every one is a 422
 * (or another clean JSON error) that names what is wrong, read from a file and over HTTP, quickly,
 * without allocating what the file claims, and the server keeps serving. Then random mutations of a
 * real COG through the header parser and the whole tile pipeline.
 */
const RGB = 'riotiler-cog_uint8_rgb_mask_4326.tif'; // deflate, 64x64 tiles, 6 IFDs (3 overviews, masks)
const ZSTD = 'cogeotiff-rgba8_cog.tiff'; // zstd, 16x16 tiles
const LZW = 'titiler-dem_float32_epsg2056.tif'; // LZW float32 with a predictor, one 512x512 block
const TILE = '7/64/64'; // over the RGB fixture
const dir = scratchDir();
let http: RangeServer;
let app: FastifyInstance;

const rgb = () => new TiffBytes(Buffer.from(readFileSync(fixture(RGB))));

/** The name of each corrupt file, how it is made, and what the answer's detail says. */
const CASES: Array<[string, () => Uint8Array, RegExp]> = [
  ['empty file', () => new Uint8Array(0), /not a TIFF/],
  ['header only', () => rgb().bytes.subarray(0, 8), /IFD 0 at offset \d+ is past the end of the file/],
  ['cut inside the first IFD', () => rgb().bytes.subarray(0, 300), /past the end of the file/],
  ['first IFD offset past the end', () => { const t = rgb(); t.setU32(4, 0x7ffffff0); return t.bytes; }, /past the end of the file/],
  ['next IFD offset past the end', () => { const t = rgb(); t.setU32(t.ifds()[2]!.nextAt, 0x7ffffff0); return t.bytes; }, /past the end of the file/],
  ['IFD pointing to itself', () => { const t = rgb(); const first = t.ifds()[0]!; t.setU32(first.nextAt, first.at); return t.bytes; }, /IFD loop/],
  ['last IFD pointing back to the first', () => { const t = rgb(); const ifds = t.ifds(); t.setU32(ifds.at(-1)!.nextAt, ifds[0]!.at); return t.bytes; }, /IFD loop/],
  ['width 2^31', () => rgb().patch(rgb().entry(TAG.ImageWidth), { type: 4, value: 2 ** 31 }).bytes, /absurd dimensions 2147483648x256/],
  ['height 2^32-1', () => { const t = rgb(); return t.patch(t.entry(TAG.ImageLength), { type: 4, value: 2 ** 32 - 1 }).bytes; }, /absurd dimensions/],
  ['tile width 2^31', () => { const t = rgb(); return t.patch(t.entry(TAG.TileWidth), { type: 4, value: 2 ** 31 }).bytes; }, /absurd block size/],
  ['tile width 0', () => { const t = rgb(); return t.patch(t.entry(TAG.TileWidth), { short: 0 }).bytes; }, /absurd block size/],
  ['millions of 16 px tiles over 2^20 x 2^20', () => {
    const t = rgb();
    t.patch(t.entry(TAG.ImageWidth), { type: 4, value: 2 ** 20 }).patch(t.entry(TAG.ImageLength), { type: 4, value: 2 ** 20 });
    return t.patch(t.entry(TAG.TileWidth), { short: 16 }).patch(t.entry(TAG.TileLength), { short: 16 }).bytes;
  }, /lists 16 blocks, expected 4294967296/],
  ['offset table claiming 2^29 entries', () => { const t = rgb(); return t.patch(t.entry(TAG.TileOffsets), { count: 2 ** 29 }).bytes; }, new RegExp(`past ${MAX_TAG_VALUE_BYTES} bytes`)],
  ['pixel scale claiming 2^32-1 doubles', () => { const t = rgb(); return t.patch(t.entry(TAG.ModelPixelScale), { count: 2 ** 32 - 1 }).bytes; }, new RegExp(`past ${MAX_TAG_VALUE_BYTES} bytes`)],
  ['an IFD of 65535 entries', () => { const t = rgb(); t.setU16(t.firstIfdAt, 65535); return t.bytes; }, /declares 65535 entries/],
  ['unknown compression code', () => { const t = rgb(); return t.patch(t.entry(TAG.Compression), { short: 9999 }).bytes; }, /unsupported compression 9999/],
  ['12-bit samples', () => { const t = rgb(); t.setU16(t.entry(TAG.BitsPerSample).value, 12); return t.bytes; }, /unsupported sample format\/bits 1:12/],
  ['complex sample format', () => { const t = rgb(); t.setU16(t.entry(TAG.SampleFormat).value, 6); return t.bytes; }, /unsupported sample format\/bits 6:8/],
];

/** Damage the full-resolution blocks only: the header reads (/cog/info is 200), a tile there does not. */
const FULL_RES_TILE = '8/128/128';
const fullResBlocks = (change: (t: TiffBytes, offsetsAt: number, countsAt: number, n: number) => Uint8Array) => () => {
  const t = rgb();
  const offsets = t.entry(TAG.TileOffsets);
  return change(t, offsets.value, t.entry(TAG.TileByteCounts).value, offsets.count);
};
const BLOCK_CASES: Array<[string, () => Uint8Array, RegExp]> = [
  ['cut inside the tile data', fullResBlocks((t, at) => t.bytes.subarray(0, t.u32(at) + 100)), /cannot decode|unexpected end|block/i],
  ['tile offsets past the end', fullResBlocks((t, at, _c, n) => { for (let i = 0; i < n; i++) t.setU32(at + 4 * i, 0x7ffffff0); return t.bytes; }), /./],
  ['tile byte counts of 2^31', fullResBlocks((t, _o, at, n) => { for (let i = 0; i < n; i++) t.setU32(at + 4 * i, 2 ** 31); return t.bytes; }), /exceeds the limit/],
];

/** A real file with bytes `from` to 256 of every block overwritten (its stream no longer decodes). */
function damagedBlocks(name: string, from = 0): Uint8Array {
  const t = new TiffBytes(Buffer.from(readFileSync(fixture(name))));
  for (const ifd of t.ifds()) {
    const offsets = ifd.entries.find((e) => e.tag === TAG.TileOffsets || e.tag === 273 /* StripOffsets */);
    const counts = ifd.entries.find((e) => e.tag === TAG.TileByteCounts || e.tag === 279 /* StripByteCounts */);
    if (!offsets || !counts) continue;
    const sizes = t.values(counts);
    t.values(offsets).forEach((o, i) => t.bytes.fill(0xa5, o + from, o + Math.min(256, sizes[i]!)));
  }
  return t.bytes;
}

beforeAll(async () => {
  for (const [name, make] of [...CASES, ...BLOCK_CASES]) writeFileSync(join(dir, `${slug(name)}.tif`), make());
  writeFileSync(join(dir, 'zstd-damaged.tif'), damagedBlocks(ZSTD));
  writeFileSync(join(dir, 'zstd-damaged-frame.tif'), damagedBlocks(ZSTD, 4)); // the magic number kept
  writeFileSync(join(dir, 'zstd-damaged-data.tif'), damagedBlocks(ZSTD, 6)); // the frame header kept: zstddec looped forever
  writeFileSync(join(dir, 'lzw-damaged.tif'), damagedBlocks(LZW));
  http = await startRangeServer(dir);
  app = await testApp({}, [dir + '/', http.url + '/']);
});
afterAll(async () => { await app?.close(); await http?.close(); });

function slug(name: string) {
  return name.replace(/[^a-z0-9]+/gi, '-');
}

async function expectJsonError(url: string, path: string, detail: RegExp) {
  const res = await app.inject(`${path}?${q({ url })}`);
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).not.toBe(500);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.json().detail).toMatch(detail);
  return res;
}

describe.each([
  ['file', () => dir],
  ['http', () => http.url],
])('corrupt GeoTIFFs read from a %s', (_kind, base) => {
  it.each(CASES)('%s: 422 naming the fault, for a tile and /cog/info', async (name, _make, detail) => {
    const url = `${base()}/${slug(name)}.tif`;
    expect((await expectJsonError(url, `/cog/tiles/WebMercatorQuad/${TILE}.png`, detail)).statusCode).toBe(422);
    expect((await expectJsonError(url, '/cog/info', detail)).statusCode).toBe(422);
  });

  it.each(BLOCK_CASES)('%s: a clean error for a tile there', async (name, _make, detail) => {
    const url = `${base()}/${slug(name)}.tif`;
    const tile = await expectJsonError(url, `/cog/tiles/WebMercatorQuad/${FULL_RES_TILE}.png`, detail);
    expect([422, 502], tile.body).toContain(tile.statusCode);
    expect((await app.inject(`/cog/info?${q({ url })}`)).statusCode).toBe(200);
  });

  it.each([
    ['zstd', 'zstd-damaged.tif', '18/131072/131072'],
    ['zstd (frame magic intact)', 'zstd-damaged-frame.tif', '18/131072/131072'],
    ['zstd (frame header intact)', 'zstd-damaged-data.tif', '18/131072/131072'],
    ['LZW with a predictor', 'lzw-damaged.tif', '15/17030/11667'],
  ])('%s blocks that do not decode: 422', async (_codec, file, tile) => {
    const res = await expectJsonError(`${base()}/${file}`, `/cog/tiles/WebMercatorQuad/${tile}.npy`, /./);
    expect(res.statusCode).toBe(422);
  });

  it('still serves a good tile afterwards', async () => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/${TILE}.png?${q({ url: fixture(RGB) })}`);
    expect(res.statusCode).toBe(200);
  });
});

describe('random byte mutations of real COGs', () => {
  /** Two small COGs (deflate with masks; zstd RGBA), with tiles and a point over their data. */
  const SOURCES = [
    { bytes: readFileSync(fixture(RGB)), paths: [`/cog/tiles/WebMercatorQuad/${TILE}.npy`, '/cog/tiles/8/128/128.png', '/cog/point/1.2,-1.2'] },
    { bytes: readFileSync(fixture(ZSTD)), paths: ['/cog/tiles/18/131072/131072.npy', '/cog/tiles/16/32768/32768.webp', '/cog/point/0.0002,-0.0002'] },
  ];
  /** Up to 8 bytes changed anywhere (header, IFDs, offset tables, blocks), optionally cut short. */
  const mutated = fc.record({
    source: fc.nat({ max: SOURCES.length - 1 }),
    changes: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
    headerBias: fc.boolean(),
    cut: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: undefined }),
  }).map(({ source, changes, headerBias, cut }) => {
    const bytes = Buffer.from(SOURCES[source]!.bytes);
    // half the runs hit the first 1 KB: the header and IFDs, where a wrong byte changes the most
    for (const [at, value] of changes) bytes[at % (headerBias ? 1024 : bytes.length)] = value;
    return { bytes: cut === undefined ? bytes : bytes.subarray(0, Math.floor(cut * bytes.length)), paths: SOURCES[source]!.paths };
  });
  let n = 0;

  it('the header parser answers or throws an HttpError, nothing else', async () => {
    await fc.assert(fc.asyncProperty(mutated, async ({ bytes }) => {
      const path = join(dir, `mutated-${n++}.tif`);
      writeFileSync(path, bytes);
      try {
        await readCogHeader(new FileSource(path));
      } catch (err) {
        expect(err, String(err)).toBeInstanceOf(HttpError);
        expect((err as HttpError).status).toBeGreaterThanOrEqual(400);
      } finally {
        rmSync(path);
      }
    }), { numRuns: 300, timeout: 5000 });
  }, 120_000);

  it('the tile, info and point routes answer 200 or a clean JSON error', async () => {
    await fc.assert(fc.asyncProperty(mutated, fc.constantFrom('file', 'http'), async ({ bytes, paths }, via) => {
      const name = `mutated-${n++}.tif`;
      writeFileSync(join(dir, name), bytes);
      const url = via === 'http' ? `${http.url}/${name}` : join(dir, name);
      try {
        for (const path of [...paths, '/cog/info']) {
          const res = await app.inject(`${path}?${q({ url })}`);
          if (res.statusCode === 200) continue;
          expect(res.statusCode, `${path}: ${res.body}`).toBeGreaterThanOrEqual(400);
          expect(res.statusCode, `${path}: ${res.body}`).not.toBe(500);
          expect(typeof res.json().detail).toBe('string');
        }
      } finally {
        rmSync(join(dir, name));
      }
    }), { numRuns: 150, timeout: 15_000 });
    const ok = await app.inject(`/cog/tiles/WebMercatorQuad/${TILE}.png?${q({ url: fixture(RGB) })}`);
    expect(ok.statusCode).toBe(200);
  }, 180_000);
});
