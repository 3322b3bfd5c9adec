import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BANDS, MAX_OUTPUT_SAMPLES, MAX_URL_LENGTH } from '../../src/server/request-limits.js';
import type { StacItem } from '../../src/stac/types.js';
import { MAX_BLOCK_BYTES } from '../../src/cog/cog-header.js';
import { fixture, parseNpy, q, scratchDir, testApp } from '../helpers/app.js';
import { describeWithGdal } from '../helpers/gdal.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';

/**
 * Limits on what one request may ask for, each a JSON 4xx before the work: url and parameter
 * length, header size, body size, tile scale, bbox size, bands, samples per image and per mosaic
 * tile, STAC items per tile (MOSAIC_MAX_ITEMS).
 */
const RGB = fixture('riotiler-cog_uint8_rgb_mask_4326.tif'); // 3 bands + mask; tile 7/64/64 is inside it
const WORLD = { type: 'Polygon', coordinates: [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]] } as StacItem['geometry'];
const MAX_ITEMS = 3;

let app: FastifyInstance;
let api: StacApi;

beforeAll(async () => {
  const items = Array.from({ length: 8 }, (_, i) => {
    const copy = cloneItem(fixtureItems().v1S2, { id: `item-${i}`, datetime: `2023-10-0${i + 1}T00:00:00Z` });
    copy.geometry = WORLD;
    copy.bbox = [-180, -85, 180, 85];
    copy.assets = { visual: { ...copy.assets.visual, href: `file://${RGB}` } };
    return copy;
  });
  api = await startStacApi(items);
  app = await testApp({ mosaicMaxItems: MAX_ITEMS, stacParentZoomDelta: 0 }, [api.root]);
});
afterAll(async () => {
  await app?.close();
  await api?.close();
});

async function expectJsonError(path: string, status: number, detail: RegExp) {
  const res = await app.inject(path);
  expect(res.statusCode, `${path.slice(0, 200)}: ${res.body}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json().detail).toMatch(detail);
}

describe('request size', () => {
  it(`a url longer than ${MAX_URL_LENGTH} characters is 414`, async () => {
    const base = `/cog/info?${q({ url: RGB })}&pad=`;
    await expectJsonError(base + 'a'.repeat(MAX_URL_LENGTH - base.length + 1), 414, /url longer than 8192/);
    const fits = await app.inject(base + 'a'.repeat(MAX_URL_LENGTH - base.length));
    expect(fits.statusCode).toBe(200);
  });

  it('a path parameter longer than 500 characters is 414; a malformed percent-encoding 400', async () => {
    await expectJsonError(`/cog/point/${'1'.repeat(501)},1?${q({ url: RGB })}`, 414, /longer than 500/);
    await expectJsonError('/cog/tiles/1/1/%E0%A4%A.png', 400, /malformed url/);
  });

  it('a body over 1 MiB is 413 (no route takes one)', async () => {
    const res = await app.inject({ method: 'POST', url: '/cog/info', payload: 'x'.repeat(1024 * 1024 + 1), headers: { 'content-type': 'text/plain' } });
    expect(res.statusCode).toBe(413);
    expect(res.json().detail).toMatch(/too large/);
  });

  it('headers over 16 KiB are 431 in JSON, on a real socket', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as AddressInfo;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`));
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer).toMatch(/content-type: application\/json/i);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).detail).toMatch(/16 KiB/);
  });
});

describe('output size', () => {
  it('tile scale is 1 to 4 and bbox sizes at most 4096 a side', async () => {
    await expectJsonError(`/cog/tiles/7/64/64@5x.png?${q({ url: RGB })}`, 400, /scale/);
    await expectJsonError(`/cog/bbox/-1,-1,1,1/4097x10.png?${q({ url: RGB })}`, 400, /size/);
  });

  it(`at most ${MAX_BANDS} bands: bidx entries, repeated or comma-separated`, async () => {
    const ok = await app.inject(`/cog/tiles/7/64/64.npy?${q({ url: RGB, bidx: Array(MAX_BANDS).fill(1).join(',') })}`);
    expect(ok.statusCode).toBe(200);
    expect((await parseNpy(ok.rawPayload)).shape).toEqual([MAX_BANDS + 1, 256, 256]);
    await expectJsonError(`/cog/tiles/7/64/64.npy?${q({ url: RGB, bidx: Array(MAX_BANDS + 1).fill(1).join(',') })}`, 400, /bidx: 65 bands asked, at most 64/);
    await expectJsonError(`/cog/tiles/7/64/64.npy?${q({ url: RGB, bidx: Array(MAX_BANDS + 1).fill(1) })}`, 400, /at most 64/);
  });

  it(`at most ${MAX_OUTPUT_SAMPLES} samples in one image (width x height x bands)`, async () => {
    // 4096 x 4096 x 4 bands is the largest; one band more is refused before any pixel is read
    await expectJsonError(`/cog/bbox/0.1,-2.7,2.7,-0.1/4096x4096.npy?${q({ url: RGB, bidx: '1,2,3,1,2' })}`, 400, /output too large: 4096x4096 pixels x 5 bands/);
  });
});

describe('STAC mosaics', () => {
  const mosaic = (params: Record<string, string | number | string[]>, tail = '64.npy') =>
    `/stac/mosaic/tiles/7/64/${tail}?${q({ url: api.url, assets: 'visual', pixel_selection: 'mean', ...params })}`;

  it(`MOSAIC_MAX_ITEMS caps max_items: the search asks for at most ${MAX_ITEMS} and at most ${MAX_ITEMS} are read`, async () => {
    const before = api.requests.length;
    const res = await app.inject(mosaic({ max_items: 100 }));
    expect(res.statusCode, res.body).toBe(200);
    expect(String(res.headers['x-assets']).split(',')).toEqual(['item-7/visual', 'item-6/visual', 'item-5/visual']);
    const searches = api.requests.slice(before);
    expect(searches.length).toBe(1);
    expect((searches[0]!.body as { limit: number }).limit).toBe(MAX_ITEMS);
  });

  it(`at most ${MAX_BANDS} asset names`, async () => {
    const assets = Array.from({ length: MAX_BANDS + 1 }, (_, i) => `a${i}`).join(',');
    await expectJsonError(mosaic({ assets }), 400, /assets: 65 asked, at most 64/);
  });

  it('the item tiles a mosaic holds are capped too', async () => {
    // 1024 px tiles of 33 bands: 2 items hold over 64 Mi samples
    await expectJsonError(mosaic({ bidx: Array(33).fill(1).join(',') }, '64@4x.npy'), 400, /mosaic too large/);
  });
});

describeWithGdal('GeoTIFF limits', () => {
  it(`a block (tile or strip) decoding to over ${MAX_BLOCK_BYTES >> 20} MiB is 422 before any block is read`, async () => {
    // one DEFLATE strip of 4200 x 4200 float32: 67 MiB decoded, a few KB on disk
    const file = join(scratchDir(), 'one-strip.tif');
    await promisify(execFile)('gdal_create', ['-outsize', '4200', '4200', '-ot', 'Float32', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKYSIZE=4200', '-a_srs', 'EPSG:4326', '-a_ullr', '0', '1', '1', '0', file]);
    const local = await testApp({}, [file]);
    try {
      const res = await local.inject(`/cog/info?${q({ url: file })}`);
      expect(res.statusCode, res.body).toBe(422);
      expect(res.json().detail).toMatch(/blocks of 4200x4200 x 1 samples decode to over 64 MiB/);
    } finally {
      await local.close();
    }
  });
});
