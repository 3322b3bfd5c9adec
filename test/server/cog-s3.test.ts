import { readFileSync } from 'node:fs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';
import { fixture, q, testApp } from '../helpers/app.js';

/** /cog reading an s3:// COG from s3rver on loopback gives the same tile as the local file. */
const NAME = 'riotiler-cog_uint16_utm_ovr.tif';
let s3: S3Fixture;
let app: FastifyInstance;

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  s3 = await startS3({ buckets: ['cogs'] });
  await s3.client.send(new PutObjectCommand({ Bucket: 'cogs', Key: `data/${NAME}`, Body: readFileSync(fixture(NAME)) }));
  app = await testApp({ s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true } }, ['s3://cogs/']);
});
afterAll(async () => {
  await app?.close();
  await s3?.close();
  vi.unstubAllEnvs();
});

it('serves an s3:// COG like the same file on disk', async () => {
  const path = `/cog/tiles/WebMercatorQuad/7/42/24.npy`;
  const viaS3 = await app.inject(`${path}?${q({ url: `s3://cogs/data/${NAME}` })}`);
  const viaFile = await app.inject(`${path}?${q({ url: fixture(NAME) })}`);
  expect(viaS3.statusCode).toBe(200);
  expect(Buffer.compare(viaS3.rawPayload, viaFile.rawPayload)).toBe(0);
});

it('answers 404 for a missing key and 403 for a bucket not in the allowlist', async () => {
  expect((await app.inject(`/cog/info?${q({ url: 's3://cogs/data/missing.tif' })}`)).statusCode).toBe(404);
  expect((await app.inject(`/cog/info?${q({ url: 's3://other/x.tif' })}`)).statusCode).toBe(403);
});
