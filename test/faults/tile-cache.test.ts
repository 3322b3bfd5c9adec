import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { buildApp } from '../../src/index.js';
import { expectJsonError } from '../helpers/app.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { describeWithMapServer, startMapServer, type WmsFixture } from '../helpers/mapserver.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';

/**
 * The S3 tile cache with a faulty WMS and a faulty S3: MapServer and s3rver, each behind a fault
 * proxy. A WMS fault is a clean JSON 502/504 and stores nothing; S3 write failures never fail the
 * tile (writes are retried, or given up and logged), and nothing broken is ever stored: every
 * object in the bucket is the tile the app served. Once a fault is gone tiles render and store
 * again, with the pixels of a healthy layer (the same WMS layer, no proxy).
 */
const BUCKET = 'tiles';
const WMS_TIMEOUT_MS = 3000; // generous: MapServer on a busy 2-core machine must not time out a healthy GetMap
const S3_TIMEOUT_MS = 1500;
const S3_ERROR = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>';
let wms: WmsFixture;
let s3: S3Fixture;
let wmsProxy: FaultProxy;
let s3Proxy: FaultProxy;
let app: FastifyInstance;
const logs: Array<{ msg: string; key?: string }> = [];

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  [wms, s3] = await Promise.all([startMapServer(), startS3({ buckets: [BUCKET] })]);
  [wmsProxy, s3Proxy] = await Promise.all([startFaultProxy(new URL(wms.url).origin), startFaultProxy(s3.endpoint)]);
  const wmsUrl = new URL(wms.url);
  // 2x2 meta-tiles without buffer: small GetMaps (512 px), four S3 writes a render
  const layer = { wmsLayers: 'rgb', maxZoom: 18, bounds: [0, -2.56, 2.56, 0], metaSize: 2, metaBuffer: 0 };
  app = buildApp({
    logger: { level: 'warn', stream: { write: (line: string) => logs.push(JSON.parse(line)) } },
    config: {
      workers: 2,
      tileCache: buildTileCacheConfig({
        bucket: BUCKET,
        s3: { endpoint: s3Proxy.url, region: 'us-east-1', forcePathStyle: true },
        wmsTimeoutMs: WMS_TIMEOUT_MS,
        s3TimeoutMs: S3_TIMEOUT_MS,
        putAttempts: 3,
        putBackoffMs: 10,
        layers: [
          { ...layer, name: 'faulty', prefix: 'faulty/', wmsServer: `${wmsProxy.url}${wmsUrl.pathname}${wmsUrl.search}` },
          { ...layer, name: 'healthy', prefix: 'healthy/', wmsServer: wms.url },
        ],
      }),
    },
  });
  await app.ready();
}, 120_000);
afterAll(async () => {
  await app?.close();
  await Promise.all([wmsProxy?.close(), s3Proxy?.close(), wms?.close(), s3?.close()]);
  vi.unstubAllEnvs();
});
beforeEach(async () => {
  await wmsProxy.clear();
  await s3Proxy.clear();
});

/** A tile inside the layer at zoom z (TMS rows: just south of the equator, east of 0), one zoom per case. */
let zoom = 7;
const nextTile = () => {
  const z = ++zoom;
  return { z, x: 2 ** (z - 1), y: 2 ** (z - 1) - 1 };
};
const tilePath = (layer: string, t: { z: number; x: number; y: number }) => `/tms/1.0.0/${layer}/${t.z}/${t.x}/${t.y}.png`;

const listKeys = async (prefix: string) => {
  const res = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
};
const stored = async (key: string) =>
  Buffer.from(await (await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray());
const pixels = (png: Uint8Array) => sharp(png).ensureAlpha().raw().toBuffer();

/** The tile from the healthy layer: the pixels a render should give. */
async function healthyPixels(t: { z: number; x: number; y: number }) {
  const res = await app.inject(tilePath('healthy', t));
  expect(res.statusCode).toBe(200);
  return pixels(res.rawPayload);
}

/**
 * Every tile of the meta-tile of t (z, 2x2 from even x/y) is stored, and each object is the tile
 * the app answers now (from S3: a hit), a 256 px PNG with the healthy layer's pixels.
 */
async function expectStoredIntact(t: { z: number; x: number; y: number }) {
  const prefix = `faulty/${t.z}/`;
  await vi.waitFor(async () => expect(await listKeys(prefix)).toHaveLength(4), { timeout: 10_000, interval: 50 });
  for (const key of await listKeys(prefix)) {
    const [x, y] = key.slice(prefix.length, -'.png'.length).split('/').map(Number);
    const body = await stored(key);
    // a hit once the render's writes are all done (until then its requests share the render)
    const served = await vi.waitFor(async () => {
      const res = await app.inject(tilePath('faulty', { z: t.z, x: x!, y: y! }));
      expect(res.headers['x-tile-cache']).toBe('hit');
      return res;
    }, { timeout: 10_000, interval: 50 });
    expect(Buffer.compare(served.rawPayload, body)).toBe(0);
    expect((await sharp(body).metadata()).width).toBe(256);
    expect(Buffer.compare(await pixels(body), await healthyPixels({ z: t.z, x: x!, y: y! }))).toBe(0);
  }
}

describeWithMapServer('tile cache with a faulty WMS and S3', () => {
  it.each<[string, Fault, number, RegExp]>([
    ['slow WMS', { kind: 'delay', ms: 4 * WMS_TIMEOUT_MS }, 504, new RegExp(`timed out after ${WMS_TIMEOUT_MS} ms: WMS GetMap`)],
    ['WMS 500', { kind: 'status', status: 500, body: 'mapserv crashed' }, 502, /WMS answered 500: mapserv crashed/],
    ['WMS connection reset mid-image', { kind: 'reset', afterBytes: 1000 }, 502, /WMS answer could not be read/],
    ['WMS image truncated, Content-Length kept', { kind: 'truncate', bytes: 1000 }, 502, /WMS answer could not be read/],
  ])('%s: a clean JSON error, nothing stored; once the WMS recovers the tile renders and is stored', async (_name, fault, status, detail) => {
    const t = nextTile();
    wmsProxy.inject({ fault });
    await expectJsonError(app, tilePath('faulty', t), status, detail);
    expect(await listKeys(`faulty/${t.z}/`)).toEqual([]);

    await wmsProxy.clear();
    const good = await app.inject(tilePath('faulty', t));
    expect(good.statusCode).toBe(200);
    expect(good.headers['x-tile-cache']).toBe('render'); // the failure was not remembered
    expect(Buffer.compare(await pixels(good.rawPayload), await healthyPixels(t))).toBe(0);
    await expectStoredIntact(t);
  });

  it('S3 PutObject failing, then recovering: the tile is served at once, the writes are retried and stored intact', async () => {
    const t = nextTile();
    s3Proxy.inject({ fault: { kind: 'status', status: 500, body: S3_ERROR, contentType: 'application/xml' }, method: 'PUT', times: 4 });
    const res = await app.inject(tilePath('faulty', t));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-tile-cache']).toBe('render');
    await expectStoredIntact(t);
    expect(s3Proxy.faulted()).toBe(4);
  });

  it('S3 PutObject failing for good: tiles still served, writes given up and logged, nothing stored; stored again once S3 recovers', async () => {
    const t = nextTile();
    const prefix = `faulty/${t.z}/`;
    s3Proxy.inject({ fault: { kind: 'status', status: 503, body: S3_ERROR, contentType: 'application/xml' }, method: 'PUT' });
    const res = await app.inject(tilePath('faulty', t));
    expect(res.statusCode).toBe(200);
    expect(Buffer.compare(await pixels(res.rawPayload), await healthyPixels(t))).toBe(0);
    // every write of the meta-tile is given up, and said so
    const givenUp = () => logs.filter((l) => l.msg === 'tile cache: S3 write failed, giving up' && l.key?.startsWith(prefix)).length;
    await vi.waitFor(() => expect(givenUp()).toBe(4), { timeout: 20_000, interval: 50 });
    expect(await listKeys(prefix)).toEqual([]);
    // the process is fine: another tile while S3 is still down is served too
    expect((await app.inject(tilePath('faulty', { ...t, x: t.x + 2 }))).statusCode).toBe(200);
    await vi.waitFor(() => expect(givenUp()).toBe(8), { timeout: 20_000, interval: 50 });
    expect(await listKeys(prefix)).toEqual([]);

    await s3Proxy.clear();
    const again = await app.inject(tilePath('faulty', t));
    expect(again.headers['x-tile-cache']).toBe('render'); // a miss: rendered and stored now
    await vi.waitFor(async () => expect(await listKeys(prefix)).toHaveLength(4), { timeout: 10_000, interval: 50 });
    const later = nextTile();
    expect((await app.inject(tilePath('faulty', later))).statusCode).toBe(200);
    await expectStoredIntact(later);
  });

  it('S3 reads failing (500, reset, cut short): the tile is rendered and served instead, and what is stored is intact', async () => {
    const t = nextTile();
    expect((await app.inject(tilePath('faulty', t))).statusCode).toBe(200);
    await expectStoredIntact(t);
    const faults: Fault[] = [
      { kind: 'status', status: 500, body: S3_ERROR, contentType: 'application/xml' },
      { kind: 'reset', afterBytes: 100 },
      { kind: 'truncate', bytes: 100 },
    ];
    for (const fault of faults) {
      s3Proxy.inject({ fault, method: 'GET', path: new RegExp(`/${BUCKET}/faulty/${t.z}/`) });
      const res = await app.inject(tilePath('faulty', t));
      expect(res.statusCode, fault.kind).toBe(200);
      expect(res.headers['x-tile-cache'], fault.kind).toBe('render');
      expect(Buffer.compare(await pixels(res.rawPayload), await healthyPixels(t)), fault.kind).toBe(0);
      await s3Proxy.clear();
      await expectStoredIntact(t); // and the render's writes are done before the next fault
    }
  });

  it('S3 stalling: a read that times out is a miss (the tile is rendered and served), a write that times out is retried', async () => {
    const t = nextTile();
    s3Proxy.inject({ fault: { kind: 'delay', ms: 20 * S3_TIMEOUT_MS }, method: 'GET', path: new RegExp(`/${BUCKET}/faulty/${t.z}/`) });
    const res = await app.inject(tilePath('faulty', t));
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-tile-cache']).toBe('render');
    expect(logs.some((l) => l.msg === 'tile cache: S3 read failed' && l.key?.startsWith(`faulty/${t.z}/`))).toBe(true);
    await s3Proxy.clear();
    await expectStoredIntact(t);

    const stalledWrite = nextTile();
    s3Proxy.inject({ fault: { kind: 'delay', ms: 20 * S3_TIMEOUT_MS }, method: 'PUT', times: 2 });
    expect((await app.inject(tilePath('faulty', stalledWrite))).statusCode).toBe(200);
    await expectStoredIntact(stalledWrite);
    expect(s3Proxy.faulted()).toBe(2);
  });
});
