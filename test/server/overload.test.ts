import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { S3Store } from '../../src/cache/s3-store.js';
import { TileCache } from '../../src/cache/tile-cache.js';
import { Admission } from '../../src/server/overload.js';
import { FIXTURES, q, testApp } from '../helpers/app.js';
import { until } from '../helpers/until.js';
import { startHoldingRangeServer, type HoldingRangeServer } from '../helpers/held-reads.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { startS3 } from '../helpers/s3rver.js';

/**
 * Overload through the app: a COG served over HTTP by a range server that can hold its answers, so
 * a request sits in its upstream read (admitted, holding its place) for as long as the test wants.
 */
let server: HoldingRangeServer;
let app: FastifyInstance | undefined;

beforeAll(async () => {
  server = await startHoldingRangeServer(FIXTURES);
});
afterAll(() => server.close());
afterEach(async () => {
  await server.release();
  await app?.close();
  app = undefined;
});

const tile = () => `/cog/tiles/WebMercatorQuad/7/64/64.npy?${q({ url: `${server.url}/riotiler-cog_uint8_rgb_mask_4326.tif` })}`;
const overloadApp = async (config: Parameters<typeof testApp>[0]) => (app = await testApp(config, [`${server.url}/`]));

// each test starts an app (a worker pool): seconds on a busy 2-core machine
describe('admission: a bounded number of requests use the worker pool', { timeout: 20_000 }, () => {
  it('answers 503 with Retry-After at once beyond MAX_WORKER_REQUESTS, before any upstream read', async () => {
    const a = await overloadApp({ maxWorkerRequests: 1 });
    server.hold();
    const first = a.inject(tile());
    await until(() => server.held.length === 1, 'the first request to read upstream');
    const reads = server.requests.length;

    const refused = await a.inject(tile());
    expect(refused.statusCode).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.headers['cache-control']).toBe('no-store');
    expect(refused.json()).toEqual({ detail: 'server busy: 1 requests in progress, retry later' });
    expect(server.requests.length).toBe(reads); // it read nothing
    // routes without worker work still answer
    expect((await a.inject('/healthz')).statusCode).toBe(200);
    const metrics = parsePrometheus((await a.inject('/metrics')).body);
    expect(sampleValue(metrics, 'worker_pool_admitted_requests')).toBe(1);
    expect(sampleValue(metrics, 'worker_pool_rejected_requests_total')).toBe(1);

    await server.release();
    expect((await first).statusCode).toBe(200);
    expect((await a.inject(tile())).statusCode).toBe(200); // its place is free again
  });

  it('drops the upstream read of a client that went away and frees its place', async () => {
    const a = await overloadApp({ maxWorkerRequests: 1 });
    await a.listen({ port: 0, host: '127.0.0.1' });
    const { port } = a.server.address() as AddressInfo;
    server.hold();
    const client = httpRequest({ host: '127.0.0.1', port, path: tile() });
    client.on('error', () => {}); // we hang up ourselves
    client.end();
    await until(() => server.held.length === 1, 'the request to read upstream');

    client.destroy();
    await until(() => server.held[0]!.closed, 'the upstream read to be aborted');
    await server.release();
    expect((await a.inject(tile())).statusCode).toBe(200);
  });

  it('answers 503 at the request deadline and stops its upstream read', async () => {
    const a = await overloadApp({ requestTimeoutMs: 300 });
    server.hold();
    const res = await a.inject(tile());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.json().detail).toMatch(/^Request timed out after 300 ms/);
    await until(() => server.held.length === 1 && server.held[0]!.closed, 'the upstream read to be aborted');
  });
});

describe('health', { timeout: 20_000 }, () => {
  it('answers /healthz (alive) and /readyz (ready: pool up, not draining)', async () => {
    const a = await overloadApp({});
    const health = await a.inject('/healthz');
    expect([health.statusCode, health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await a.inject('/readyz');
    expect([ready.statusCode, ready.json()]).toEqual([200, { status: 'ready' }]);
    expect(ready.headers['cache-control']).toBe('no-store');
  });
});

describe('admission of tile-cache renders', { timeout: 20_000 }, () => {
  it('refuses a render with 503 before its GetMap when the pool is full; a hit needs no place', async () => {
    const s3 = await startS3({ buckets: ['tiles'] });
    const getMaps: string[] = [];
    const wms = createServer((req, res) => {
      getMaps.push(req.url ?? '');
      res.writeHead(500, { 'content-type': 'text/plain' }).end('WMS down');
    });
    await new Promise<void>((done) => wms.listen(0, '127.0.0.1', done));
    try {
      const config = buildTileCacheConfig({
        bucket: 'tiles',
        s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
        layers: [{ name: 'l', wmsServer: `http://127.0.0.1:${(wms.address() as AddressInfo).port}/`, wmsLayers: 'x', prefix: 'l/' }],
      });
      const silent = { warn() {}, error() {} };
      const admission = new Admission(1);
      const cache = new TileCache(config, new S3Store(config, silent, s3.client), () => Promise.reject(new Error('no cut')), silent, () => admission.enter());
      const layer = cache.layer('l')!;
      const busy = admission.enter(); // another request holds the only place

      const refused = await cache.getTile(layer, { z: 3, x: 1, y: 1, ext: 'png' }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ status: 503, headers: { 'retry-after': '1' } });
      expect(getMaps).toEqual([]);
      await s3.client.send(new PutObjectCommand({ Bucket: 'tiles', Key: 'l/3/2/2.png', Body: 'stored', ContentType: 'image/png' }));
      const hit = await cache.getTile(layer, { z: 3, x: 2, y: 2, ext: 'png' });
      expect([hit.source, Buffer.from(hit.body).toString()]).toEqual(['hit', 'stored']);

      busy();
      const failed = await cache.getTile(layer, { z: 3, x: 1, y: 1, ext: 'png' }).catch((e: unknown) => e);
      expect(failed).toMatchObject({ status: 502 }); // rendered this time (the WMS is down)
      expect(getMaps.length).toBe(1);
      await cache.flush();
      expect(admission.stats).toEqual({ active: 0, limit: 1, rejected: 1 }); // the failed render left
    } finally {
      wms.close();
      await s3.close();
    }
  });
});
