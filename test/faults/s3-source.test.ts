import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import { expectJsonError, fixture, q, testApp } from '../helpers/app.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';

/**
 * /cog reading an s3:// COG from a faulty S3: s3rver behind a fault proxy. Each fault is a clean
 * JSON 502/504 (after the SDK's own retries), nothing is remembered, and once S3 recovers the tile
 * is the one read from the file on disk.
 */
const COG = 'riotiler-cog_uint16_utm_ovr.tif';
const TILE = '/cog/tiles/WebMercatorQuad/9/171/99.npy';
const TIMEOUT_MS = 3000; // more than the SDK's own retries of a 500 take (three attempts, backoff up to 600 ms)
const S3_ERROR = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>';
let s3: S3Fixture;
let proxy: FaultProxy;
let app: FastifyInstance;
let keys = 0;

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  s3 = await startS3({ buckets: ['cogs'] });
  proxy = await startFaultProxy(s3.endpoint);
  app = await testApp({ upstreamTimeoutMs: TIMEOUT_MS, s3: { endpoint: proxy.url, region: 'us-east-1', forcePathStyle: true } }, ['s3://cogs/']);
});
afterAll(async () => {
  await app?.close();
  await Promise.all([proxy?.close(), s3?.close()]);
  vi.unstubAllEnvs();
});
beforeEach(() => proxy.clear());

/** A key of its own per case (the same COG), so no source, header or block is cached across cases. */
async function freshCog() {
  const key = `case${++keys}/${COG}`;
  await s3.client.send(new PutObjectCommand({ Bucket: 'cogs', Key: key, Body: readFileSync(fixture(COG)) }));
  return `s3://cogs/${key}`;
}

it.each<[string, Fault, number, RegExp]>([
  ['S3 500', { kind: 'status', status: 500, body: S3_ERROR, contentType: 'application/xml' }, 502, /S3 request failed \(InternalError, HTTP 500\)/],
  ['slow S3', { kind: 'delay', ms: 3 * TIMEOUT_MS }, 504, new RegExp(`timed out after ${TIMEOUT_MS} ms`)],
  ['connection reset', { kind: 'reset', afterBytes: 100 }, 502, /S3 request failed \(ECONNRESET\)/],
  ['body cut short, Content-Length kept', { kind: 'truncate', bytes: 100 }, 502, /S3 request failed \(ECONNRESET\)|truncated S3 response/],
])('%s: a clean JSON error, then the tile of the file on disk once S3 recovers', async (_name, fault, status, detail) => {
  const url = await freshCog();
  proxy.inject({ fault, method: 'GET' });
  await expectJsonError(app, `${TILE}?${q({ url })}`, status, detail);
  await proxy.clear();
  const good = await app.inject(`${TILE}?${q({ url })}`);
  expect(good.statusCode, good.body).toBe(200);
  const healthy = await app.inject(`${TILE}?${q({ url: fixture(COG) })}`);
  expect(Buffer.compare(good.rawPayload, healthy.rawPayload)).toBe(0);
});
