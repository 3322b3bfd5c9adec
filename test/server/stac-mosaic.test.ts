import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { StacItem } from '../../src/stac/types.js';
import { tileForLonLat } from '../../src/tiling/web-mercator.js';
import { describeWithGdal } from '../helpers/gdal.js';
import { fixture, parseNpy, q, scratchDir, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';

/**
 * /stac/mosaic as kepler.gl asks for it, end to end: a real STAC API on loopback serving the real
 * Earth Search item JSON, with asset hrefs on a local HTTP server (Range) and s3rver; two
 * overlapping COGs cut from a fixture with GDAL (the second one brighter by 500), blended, and
 * checked against the same COG tiles blended by hand.
 */
const run = promisify(execFile);
const dir = scratchDir();
let http: RangeServer;
let s3: S3Fixture;
let api: StacApi;
let app: FastifyInstance;

const footprint = async (file: string) => {
  const { stdout } = await run('gdalinfo', ['-json', file]);
  return JSON.parse(stdout).wgs84Extent as StacItem['geometry'];
};

function item(id: string, datetime: string, href: string, geometry: StacItem['geometry']): StacItem {
  const copy = cloneItem(fixtureItems().v1S2, { id, datetime });
  copy.geometry = geometry;
  const ring = (geometry as { coordinates: number[][][] }).coordinates[0];
  copy.bbox = [Math.min(...ring.map((p) => p[0])), Math.min(...ring.map((p) => p[1])), Math.max(...ring.map((p) => p[0])), Math.max(...ring.map((p) => p[1]))];
  copy.assets = { red: { ...copy.assets.red, href }, green: { ...copy.assets.green, href } };
  return copy;
}

// a tile over the overlap of the two COGs (columns 1000..1600 of the fixture, ~-57.6 E)
const TILE = tileForLonLat(-58.2, 73.4, 7);

describeWithGdal('/stac/mosaic', () => {
  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    const src = fixture('riotiler-cog_uint16_utm_ovr.tif');
    await run('gdal_translate', ['-q', '-of', 'COG', '-srcwin', '0', '0', '1600', '2667', src, join(dir, 'a.tif')]);
    await run('gdal_translate', ['-q', '-of', 'COG', '-srcwin', '1000', '0', '1658', '2667', '-scale', '0', '10000', '500', '10500', src, join(dir, 'b.tif')]);
    http = await startRangeServer(dir);
    s3 = await startS3({ buckets: ['items'] });
    await s3.client.send(new PutObjectCommand({ Bucket: 'items', Key: 'b.tif', Body: readFileSync(join(dir, 'b.tif')) }));
    // the API sorts newest first: A, then B
    api = await startStacApi([
      item('A', '2023-10-09T00:00:00Z', `${http.url}/a.tif`, await footprint(join(dir, 'a.tif'))),
      item('B', '2023-10-08T00:00:00Z', 's3://items/b.tif', await footprint(join(dir, 'b.tif'))),
    ]);
    app = await testApp({ s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true } }, [http.url + '/', 's3://items/', api.root]);
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([http?.close(), s3?.close(), api?.close()]);
    vi.unstubAllEnvs();
  });

  const mosaicPath = (params: Record<string, string | number | string[]>, tile = TILE) =>
    `/stac/mosaic/tiles/WebMercatorQuad/${tile.z}/${tile.x}/${tile.y}.npy?${q({ url: api.url, assets: 'red', return_mask: 'true', ...params })}`;

  async function cogTile(url: string) {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/${TILE.z}/${TILE.x}/${TILE.y}.npy?${q({ url })}`);
    expect(res.statusCode).toBe(200);
    const d = Array.from((await parseNpy(res.rawPayload)).data);
    return { data: d.slice(0, 65536), mask: d.slice(65536) };
  }

  async function mosaic(params: Record<string, string | number | string[]>) {
    const res = await app.inject(mosaicPath(params));
    expect(res.statusCode, res.body).toBe(200);
    const npy = await parseNpy(res.rawPayload);
    const d = Array.from(npy.data);
    const n = 65536;
    return { res, npy, data: d.slice(0, npy.shape[0] === 1 ? n : (npy.shape[0] - 1) * n), mask: d.slice((npy.shape[0] - 1) * n) };
  }

  it("kepler.gl's request: first valid item wins, pixel for pixel as blending the COG tiles by hand", async () => {
    const query = JSON.stringify({ collections: ['sentinel-2-l2a'], datetime: '2023-10-01T00:00:00Z/2023-10-31T23:59:59Z' });
    const [a, b] = [await cogTile(`${http.url}/a.tif`), await cogTile('s3://items/b.tif')];
    const { res, npy, data, mask } = await mosaic({ query });
    expect(npy.shape).toEqual([2, 256, 256]);
    expect(npy.descr).toBe('<u2');
    for (let i = 0; i < 65536; i++) {
      const want = a.mask[i] ? a.data[i] : b.mask[i] ? b.data[i] : 0;
      if (data[i] !== want) throw new Error(`pixel ${i}: ${data[i]} != ${want}`);
      expect(mask[i]).toBe(a.mask[i] || b.mask[i] ? 255 : 0);
    }
    expect(a.mask.some((v) => v) && b.mask.some((v) => v)).toBe(true);
    expect(res.headers['x-assets']).toBe('A/red,B/red');
    expect(res.headers['server-timing']).toMatch(/search;dur=[\d.]+, read;dur=[\d.]+, blend;dur=[\d.]+, encode;dur=[\d.]+/);
    // kepler's query reached the API with the tile added
    const body = api.requests.at(-1)!.body as Record<string, unknown>;
    expect(body.collections).toEqual(['sentinel-2-l2a']);
    expect((body.intersects as { type: string }).type).toBe('Polygon');
  });

  it.each(['highest', 'lowest', 'mean', 'count'])('pixel_selection=%s', async (method) => {
    const [a, b] = [await cogTile(`${http.url}/a.tif`), await cogTile('s3://items/b.tif')];
    const { data } = await mosaic({ pixel_selection: method });
    for (let i = 0; i < 65536; i += 97) {
      const vals = [a, b].filter((t) => t.mask[i]).map((t) => t.data[i]);
      if (vals.length === 0) continue;
      const want = { highest: Math.max(...vals), lowest: Math.min(...vals), mean: Math.trunc(vals.reduce((s, v) => s + v, 0) / vals.length), count: vals.length }[method]!;
      expect(data[i], `pixel ${i}`).toBe(want);
    }
  });

  it('reports assets an item lacks, reads the others; accepts the repeated form', async () => {
    const { res } = await mosaic({ assets: ['red', 'nir'] });
    expect(res.headers['x-assets']).toContain('A/nir (missing)');
  });

  it('pages through next links (one item a page)', async () => {
    api.options.pageSize = 1;
    api.options.maxLimit = 1;
    try {
      const before = api.requests.length;
      const { res } = await mosaic({ query: JSON.stringify({ collections: ['sentinel-2-l2a'], limit: 1 }), max_items: 5 });
      expect(res.headers['x-assets']).toBe('A/red,B/red');
      expect(api.requests.length - before).toBeGreaterThanOrEqual(2);
    } finally {
      api.options.pageSize = undefined;
      api.options.maxLimit = undefined;
    }
  });

  it('no item under the tile: 204 (TiTiler)', async () => {
    const res = await app.inject(mosaicPath({}, { z: 7, x: 10, y: 10 }));
    expect(res.statusCode).toBe(204);
    expect(res.rawPayload.length).toBe(0);
  });

  it.each([
    ['missing assets', { assets: '' }, 400, /assets/],
    ['bad pixel_selection', { pixel_selection: 'best' }, 400, /pixel_selection/],
    ['malformed query', { query: '{not json' }, 400, /query/],
  ])('%s', async (_n, params, status, detail) => {
    const res = await app.inject(mosaicPath(params as Record<string, string>));
    expect(res.statusCode).toBe(status);
    expect(res.json().detail).toMatch(detail);
  });

  it('a failing STAC API is 502 with its message, and nothing is cached', async () => {
    api.options.fail = { status: 500, body: { code: 'Boom', description: 'search index unavailable' } } as never;
    const bad = await app.inject(mosaicPath({ query: JSON.stringify({ collections: ['x-fail'] }) }));
    expect(bad.statusCode).toBe(502);
    expect(bad.json().detail).toMatch(/search index unavailable/);
    api.options.fail = undefined;
    const good = await app.inject(mosaicPath({ query: JSON.stringify({ collections: ['x-fail'] }) }));
    expect(good.statusCode).toBe(204); // no item in that collection, but the API answered
  });

  it('first stops reading items once every pixel is filled; empty tiles can be 200 with a zero mask', async () => {
    const one = await testApp({ s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true }, mosaicConcurrency: 1, mosaicEmpty: 'empty-tile' },
      [http.url + '/', 's3://items/', api.root]);
    try {
      const inside = tileForLonLat(-56.9, 73.47, 10); // covered by A and by B
      const full = await one.inject(mosaicPath({}, inside));
      expect(full.statusCode).toBe(200);
      expect(full.headers['x-assets']).toBe('A/red');
      const both = await app.inject(mosaicPath({ pixel_selection: 'mean' }, inside));
      expect(both.headers['x-assets']).toBe('A/red,B/red');
      const empty = await one.inject(mosaicPath({}, { z: 7, x: 10, y: 10 }));
      expect(empty.statusCode).toBe(200);
      const npy = await parseNpy(empty.rawPayload);
      expect(npy.shape).toEqual([2, 256, 256]);
      expect(Array.from(npy.data).every((v) => v === 0)).toBe(true);
    } finally {
      await one.close();
    }
  });

  it('point values per item and asset', async () => {
    const res = await app.inject(`/stac/mosaic/point/-56.9,73.47?${q({ url: api.url, assets: 'red' })}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.values.map((v: { item: string }) => v.item)).toEqual(['A', 'B']);
    expect(body.values[1].values[0]).toBeGreaterThan(body.values[0].values[0]); // B is A + 500 there
  });
});
