import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp, loadConfig } from '../../src/index.js';
import { FIXTURES, fixture, q, scratchDir, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { parsePrometheus, sampleValue, type Sample } from '../helpers/prometheus.js';
import { startStacApi, type StacApi } from '../helpers/stac-api.js';
import { FUJI_TILES, writeFujiTiles } from '../helpers/terrain-tiles.js';

/** /metrics (counted requests, histograms, pool, caches, upstream errors), request ids and the request log. */
const RGB = 'riotiler-cog_uint8_rgb_mask_4326.tif';
const TILE_ROUTE = '/cog/tiles/:tms/:z/:x/:tail';
const tile = (path: string, url = fixture(RGB)) => `/cog/tiles/WebMercatorQuad/${path}?${q({ url })}`;

const dir = scratchDir();
copyFileSync(fixture(RGB), join(dir, RGB));
writeFujiTiles(dir);
let upstream: RangeServer;
let stac: StacApi;
let app: FastifyInstance;

beforeAll(async () => {
  upstream = await startRangeServer(dir, {
    onRequest: (req, res) => {
      if (!req.url?.includes('fail500')) return false;
      res.writeHead(500).end('boom');
      return true;
    },
  });
  stac = await startStacApi([]); // no item anywhere: every mosaic tile is a search and a 204
  app = await testApp({ terrariumUrlTemplate: `${upstream.url}/{z}/{x}/{y}.png` }, [dir + '/', upstream.url + '/', stac.root]);
});
afterAll(async () => { await app?.close(); await upstream?.close(); await stac?.close(); });

const delta = (a: Sample[], b: Sample[], name: string, labels: Record<string, string>) => sampleValue(b, name, labels) - sampleValue(a, name, labels);

async function scrape(on = app): Promise<Sample[]> {
  const res = await on.inject('/metrics');
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(res.body);
}

describe('/metrics', () => {
  it('counts requests by route pattern and status, with a latency histogram', async () => {
    expect((await app.inject(tile('7/64/64.png'))).statusCode).toBe(200);
    expect((await app.inject(tile('7/0/0.png'))).statusCode).toBe(404); // outside the dataset
    expect((await app.inject('/no/such/route')).statusCode).toBe(404);
    const m = await scrape();
    expect(sampleValue(m, 'http_requests_total', { method: 'GET', route: TILE_ROUTE, status: '200' })).toBe(1);
    expect(sampleValue(m, 'http_requests_total', { method: 'GET', route: TILE_ROUTE, status: '404' })).toBe(1);
    expect(sampleValue(m, 'http_requests_total', { route: 'unmatched', status: '404' })).toBe(1);
    expect(m.some((s) => s.labels.route?.includes('64'))).toBe(false); // patterns, never raw urls
    expect(sampleValue(m, 'http_request_duration_seconds_count', { method: 'GET', route: TILE_ROUTE })).toBe(2);
    expect(sampleValue(m, 'http_request_duration_seconds_bucket', { route: TILE_ROUTE, le: '+Inf' })).toBe(2);
    expect(sampleValue(m, 'http_request_duration_seconds_sum', { route: TILE_ROUTE })).toBeGreaterThan(0);
  });

  it('reports the worker pool and the default process metrics', async () => {
    const m = await scrape();
    expect(sampleValue(m, 'worker_pool_threads')).toBe(2);
    expect(sampleValue(m, 'worker_pool_queue_depth')).toBe(0);
    expect(sampleValue(m, 'worker_pool_running_tasks')).toBe(0);
    const utilization = sampleValue(m, 'worker_pool_utilization');
    expect(utilization).toBeGreaterThanOrEqual(0);
    expect(utilization).toBeLessThanOrEqual(1);
    expect(sampleValue(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(m.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);
  });

  it('counts cache hits once a request is repeated', async () => {
    const path = tile('7/64/64.npy', join(dir, RGB)); // a url of its own: nothing of it is cached yet
    const before = await scrape();
    expect((await app.inject(path)).statusCode).toBe(200);
    const cold = await scrape();
    expect((await app.inject(path)).statusCode).toBe(200);
    const warm = await scrape();
    const blocks = delta(before, cold, 'cache_misses_total', { cache: 'cog_block' });
    expect(blocks).toBeGreaterThan(0);
    expect(delta(before, cold, 'cache_hits_total', { cache: 'cog_block' })).toBe(0);
    expect(delta(cold, warm, 'cache_hits_total', { cache: 'cog_block' })).toBe(blocks); // every block of the tile again
    expect(delta(cold, warm, 'cache_misses_total', { cache: 'cog_block' })).toBe(0);
    expect(delta(cold, warm, 'cache_hits_total', { cache: 'cog_header' })).toBe(1);
    expect(sampleValue(warm, 'cache_size_bytes', { cache: 'cog_block' })).toBeGreaterThan(0);
    for (const cache of ['cog_header', 'cog_block', 'elevation', 'mesh', 'stac_search', 'tile_cache_s3']) {
      expect(warm.some((s) => s.name === 'cache_hits_total' && s.labels.cache === cache)).toBe(true);
    }
  });

  it('counts mesh, elevation and STAC search cache hits', async () => {
    const { z, x0, y0 } = FUJI_TILES;
    const mesh = `/mesh/tiles/${z}/${x0}/${y0}.terrain?${q({ url: 'terrarium' })}`;
    const mosaic = `/stac/mosaic/tiles/WebMercatorQuad/7/64/64.npy?${q({ url: stac.url, assets: 'visual' })}`;
    const before = await scrape();
    expect((await app.inject(mesh)).statusCode).toBe(200);
    expect((await app.inject(mosaic)).statusCode).toBe(204);
    const cold = await scrape();
    expect((await app.inject(mesh)).statusCode).toBe(200);
    expect((await app.inject(mosaic)).statusCode).toBe(204);
    const warm = await scrape();
    // the tile and its east, south and south-east neighbours: four elevation tiles
    expect(delta(before, cold, 'cache_misses_total', { cache: 'elevation' })).toBe(4);
    expect(delta(before, cold, 'cache_misses_total', { cache: 'mesh' })).toBe(1);
    expect(delta(cold, warm, 'cache_hits_total', { cache: 'mesh' })).toBe(1);
    expect(delta(cold, warm, 'cache_misses_total', { cache: 'mesh' })).toBe(0);
    expect(delta(before, cold, 'cache_misses_total', { cache: 'stac_search' })).toBe(1);
    expect(delta(cold, warm, 'cache_hits_total', { cache: 'stac_search' })).toBe(1);
    expect(stac.requests).toHaveLength(1);
  });

  it('counts an upstream error by source kind after a failing source, not a missing one', async () => {
    const before = await scrape();
    expect((await app.inject(tile('7/64/64.png', `${upstream.url}/fail500.tif`))).statusCode).toBe(502);
    const failed = await scrape();
    expect(sampleValue(failed, 'upstream_errors_total', { source: 'http' }) - sampleValue(before, 'upstream_errors_total', { source: 'http' })).toBe(1);
    expect((await app.inject(tile('7/64/64.png', `${upstream.url}/missing.tif`))).statusCode).toBe(404);
    expect((await app.inject(tile('7/64/64.png', `${upstream.url}/${RGB}`))).statusCode).toBe(200);
    const after = await scrape();
    expect(sampleValue(after, 'upstream_errors_total', { source: 'http' })).toBe(sampleValue(failed, 'upstream_errors_total', { source: 'http' }));
    stac.options.fail = { status: 500, body: { description: 'boom' }, times: 1 };
    const mosaic = `/stac/mosaic/tiles/WebMercatorQuad/9/256/256.npy?${q({ url: stac.url, assets: 'visual' })}`;
    expect((await app.inject(mosaic)).statusCode).toBe(502);
    expect(delta(after, await scrape(), 'upstream_errors_total', { source: 'stac' })).toBe(1);
    expect(after.filter((s) => s.name === 'upstream_errors_total').map((s) => s.labels.source).sort()).toEqual(['file', 'http', 's3', 'stac', 'wms']);
  });

  it('is hidden from the OpenAPI description', async () => {
    const spec = (await app.inject('/openapi.json')).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).not.toContain('/metrics');
  });

  it('can require a bearer token, or be turned off', async () => {
    const guarded = await testApp({ metricsToken: 's3cret' });
    try {
      expect((await guarded.inject('/metrics')).statusCode).toBe(401);
      expect((await guarded.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong!' } })).statusCode).toBe(401);
      const ok = await guarded.inject({ url: '/metrics', headers: { authorization: 'Bearer s3cret' } });
      expect(ok.statusCode).toBe(200);
      expect(ok.body).toContain('http_requests_total');
    } finally {
      await guarded.close();
    }
    expect(['', 'on', '1', 'true'].map((v) => loadConfig({}, { METRICS: v }).metricsEnabled)).toEqual([true, true, true, true]);
    expect(['off', '0', 'false', 'no'].map((v) => loadConfig({}, { METRICS: v }).metricsEnabled)).toEqual([false, false, false, false]);
    expect(loadConfig({}, { METRICS_TOKEN: 't' }).metricsToken).toBe('t');
    const off = await testApp({ metricsEnabled: false });
    try {
      expect((await off.inject('/metrics')).statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe('request ids and the request log', () => {
  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const given = await app.inject({ url: '/heartbeat', headers: { 'x-request-id': 'lb-1234.abc' } });
    expect(given.headers['x-request-id']).toBe('lb-1234.abc');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const headers of [{}, { 'x-request-id': 'has spaces and "quotes"' }, { 'x-request-id': 'x'.repeat(300) }]) {
      expect((await app.inject({ url: '/heartbeat', headers })).headers['x-request-id']).toMatch(uuid);
    }
    const a = (await app.inject('/no/such/route')).headers['x-request-id'];
    const b = (await app.inject('/no/such/route')).headers['x-request-id'];
    expect(a).toMatch(uuid);
    expect(a).not.toBe(b);
  });

  it('logs one JSON line per request with its id, route, status and duration, and no secret from a url', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const logged = buildApp({
      config: { sourceAllowlist: [FIXTURES + '/', upstream.url + '/'], workers: 1, allowPrivateAddresses: true },
      logger: { level: 'info', stream },
    });
    await logged.ready();
    try {
      const signed = `${upstream.url}/fail500.tif?sv=2021-06-08&se=2030-01-01&sig=SECRETSIG%2Fabc&X-Amz-Signature=SECRETAMZ`;
      const failing = await logged.inject({ url: tile('7/64/64.png', signed), headers: { 'x-request-id': 'req-failing' } });
      expect(failing.statusCode).toBe(502);
      const withPassword = 'https://user:SECRETPASSWORD@example.com/a.tif';
      const refused = await logged.inject(tile('7/64/64.png', withPassword)); // not allowed: 403 before any I/O
      expect(refused.statusCode).toBe(403);
      expect((await logged.inject(tile('7/64/64.png'))).statusCode).toBe(200);
      const completed = lines.filter((l) => l.msg === 'request completed');
      expect(completed).toHaveLength(3);
      expect(completed[0]).toMatchObject({ reqId: 'req-failing', route: TILE_ROUTE, status: 502, method: 'GET', level: 40 });
      expect(completed[1]).toMatchObject({ reqId: refused.headers['x-request-id'], route: TILE_ROUTE, status: 403, level: 30 });
      expect(completed[2]).toMatchObject({ route: TILE_ROUTE, status: 200 });
      for (const line of completed) {
        expect(line.durationMs).toEqual(expect.any(Number));
        expect(line.url).toMatch(/^\/cog\/tiles\/WebMercatorQuad\/7\/64\/64\.png\?<redacted>$/);
      }
      // every line of the failing request carries its id (the error handler's warning too)
      expect(lines.filter((l) => l.reqId === 'req-failing').length).toBeGreaterThanOrEqual(2);
      const all = JSON.stringify(lines);
      for (const secret of ['SECRETSIG', 'SECRETAMZ', 'SECRETPASSWORD']) expect(all).not.toContain(secret);
      expect(lines.some((l) => l.msg === 'incoming request')).toBe(false);
    } finally {
      await logged.close();
    }
  });
});
