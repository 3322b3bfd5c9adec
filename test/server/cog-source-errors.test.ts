import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { fixture, q, scratchDir, testApp } from '../helpers/app.js';
import { startRangeServer } from '../helpers/http-range-server.js';

/** Unreadable, corrupt and failing sources: a JSON error that says what is wrong, and the server keeps serving. */
const dir = scratchDir();
const RGB = 'riotiler-cog_uint8_rgb_mask_4326.tif';
let app: FastifyInstance;
let upstream: Awaited<ReturnType<typeof startRangeServer>>;

beforeAll(async () => {
  const bytes = readFileSync(fixture(RGB));
  writeFileSync(join(dir, 'truncated.tif'), bytes.subarray(0, 200));
  writeFileSync(join(dir, 'garbage.tif'), Buffer.from('this is not a tiff at all, just text'));
  // a valid header over a damaged block: the deflate stream of every block is overwritten
  const damaged = Buffer.from(readFileSync(fixture('riotiler-cog_uint16_utm_ovr.tif')));
  const tiff = await fromArrayBuffer(damaged.buffer.slice(damaged.byteOffset, damaged.byteOffset + damaged.byteLength));
  for (let i = 0; i < (await tiff.getImageCount()); i++) {
    const offsets = (await (await tiff.getImage(i)).fileDirectory.loadValue('TileOffsets')) as ArrayLike<number>;
    for (const o of Array.from(offsets)) damaged.fill(0xa5, Number(o), Number(o) + 64);
  }
  writeFileSync(join(dir, 'damaged.tif'), damaged);
  writeFileSync(join(dir, RGB), bytes);
  upstream = await startRangeServer(dir, {
    onRequest: (req, res) => {
      if (req.url?.includes('fail500')) { res.statusCode = 500; res.end('boom'); return true; }
      return false;
    },
  });
  app = await testApp({}, [dir + '/', upstream.url + '/']);
});
afterAll(async () => { await app.close(); await upstream.close(); });

describe('/cog with broken sources', () => {
  it.each([
    ['truncated TIFF', () => join(dir, 'truncated.tif'), 422, '7/64/64'],
    ['not a TIFF', () => join(dir, 'garbage.tif'), 422, '7/64/64'],
    ['damaged block', () => join(dir, 'damaged.tif'), 422, '7/42/24'],
    ['upstream 500', () => `${upstream.url}/fail500.tif`, 502, '7/64/64'],
    ['upstream 404', () => `${upstream.url}/missing.tif`, 404, '7/64/64'],
  ])('%s', async (_name, url, status, tile) => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/${tile}.png?${q({ url: url() })}`);
    expect(res.statusCode).toBe(status);
    expect(res.json().detail).toEqual(expect.any(String));
    expect(res.headers['cache-control']).toBe('no-store');
    // and the server still serves
    const ok = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64.png?${q({ url: fixture(RGB) })}`);
    expect(ok.statusCode).toBe(200);
  });

  it('reads the same tile over http with Range as from the file', async () => {
    const viaHttp = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64.npy?${q({ url: `${upstream.url}/${RGB}` })}`);
    const viaFile = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64.npy?${q({ url: fixture(RGB) })}`);
    expect(viaHttp.statusCode).toBe(200);
    expect(Buffer.compare(viaHttp.rawPayload, viaFile.rawPayload)).toBe(0);
    expect(upstream.requests.some((r) => r.range !== undefined)).toBe(true);
  });
});
