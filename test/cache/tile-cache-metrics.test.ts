import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { buildApp } from '../../src/index.js';
import { describeWithMapServer, startMapServer, type WmsFixture } from '../helpers/mapserver.js';
import { parsePrometheus, sampleValue } from '../helpers/prometheus.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';

/** The tile cache's counters in /metrics: S3 hits and misses, WMS failures, failed S3 writes (MapServer, s3rver). */
let wms: WmsFixture;
let s3: S3Fixture;
let app: FastifyInstance;

const metric = async (name: string, labels: Record<string, string>) => sampleValue(parsePrometheus((await app.inject('/metrics')).body), name, labels);

/** Polls `read` until `done` holds of its value (S3 writes finish after the answer). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (done(value) || i === 200) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithMapServer('tile cache metrics', () => {
  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    [wms, s3] = await Promise.all([startMapServer(), startS3({ buckets: ['tiles'] })]);
    const layer = { wmsServer: wms.url, wmsLayers: 'rgb' };
    app = buildApp({
      config: {
        workers: 1,
        tileCache: buildTileCacheConfig({
          bucket: 'tiles',
          s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
          putBackoffMs: 10,
          putAttempts: 2,
          layers: [
            { ...layer, name: 'naip', prefix: 'naip/' },
            { ...layer, name: 'broken', wmsLayers: 'no_such_layer', prefix: 'broken/' },
            { ...layer, name: 'nobucket', prefix: 'nb/', bucket: 'no-such-bucket', metaSize: 1 },
          ],
        }),
      },
    });
    await app.ready();
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([wms?.close(), s3?.close()]);
    vi.unstubAllEnvs();
  });

  it('counts a miss, then a hit once the tile is in S3', async () => {
    const tile = '/tms/1.0.0/naip/8/128/127.png';
    expect((await app.inject(tile)).headers['x-tile-cache']).toBe('render');
    expect(await metric('cache_misses_total', { cache: 'tile_cache_s3' })).toBe(1);
    const hit = await eventually(() => app.inject(tile), (res) => res.headers['x-tile-cache'] === 'hit');
    expect(hit.headers['x-tile-cache']).toBe('hit');
    expect(await metric('cache_hits_total', { cache: 'tile_cache_s3' })).toBe(1);
  });

  it('counts a WMS failure and failed S3 writes as upstream errors', async () => {
    expect((await app.inject('/tms/1.0.0/broken/8/128/127.png')).statusCode).toBe(502);
    expect(await metric('upstream_errors_total', { source: 'wms' })).toBe(1);
    // the answer survives the missing bucket (read as a miss, S3 answers 404); its one write fails
    expect((await app.inject('/tms/1.0.0/nobucket/8/128/127.png')).statusCode).toBe(200);
    expect(await eventually(() => metric('upstream_errors_total', { source: 's3' }), (n) => n >= 1)).toBe(1);
    expect(await metric('cache_misses_total', { cache: 'tile_cache_s3' })).toBe(3);
  });
});
