import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { HttpError } from '../../src/server/errors.js';
import { openSource } from '../../src/sources/open-source.js';
import { S3Source, s3ClientFor } from '../../src/sources/s3-source.js';
import { startRangeServer } from '../helpers/http-range-server.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';

const NAME = 'titiler-cog_with_nan_float32_4326.tif';
const bytes = readFileSync(join(DEMO_DATA_DIR, NAME));

describe('s3 source (s3rver)', () => {
  let s3: S3Fixture;
  let config: ServerConfig;
  beforeAll(async () => {
    // The source takes credentials from the default AWS chain, which reads these first.
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    s3 = await startS3({ buckets: ['cogs', 'private'] });
    await s3.client.send(new PutObjectCommand({ Bucket: 'cogs', Key: `nested/dir/${NAME}`, Body: bytes }));
    config = loadConfig(
      { sourceAllowlist: ['s3://cogs/'], s3: { region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true } },
      {},
    );
  });
  afterAll(async () => {
    await s3?.close();
    vi.unstubAllEnvs();
  });

  it('reads ranges equal to the object bytes', async () => {
    const source = await openSource(`s3://cogs/nested/dir/${NAME}`, config);
    expect(source.url).toBe(`s3://cogs/nested/dir/${NAME}`);
    const ranges = [
      { offset: 0, length: 16 },
      { offset: 250_000, length: 100_000 },
      { offset: 70_000, length: 123 },
      { offset: bytes.length - 7, length: 100 },
    ];
    const got = await source.readRanges(ranges);
    got.forEach((chunk, i) => {
      const { offset, length } = ranges[i]!;
      expect(chunk).toEqual(new Uint8Array(bytes.subarray(offset, offset + length)));
    });
    expect(got[3]!.length).toBe(7);
    expect(await source.size()).toBe(bytes.length);
    // header chunk, 70_000.., and 250_000.. merged with the tail (gap < 64 KiB)
    expect(source.stats).toEqual({ requests: 3, bytes: 64 * 1024 + 123 + (bytes.length - 250_000) });
  });

  it('learns the size with HeadObject, and returns empty reads past the end', async () => {
    const source = new S3Source('cogs', `nested/dir/${NAME}`, config);
    expect(await source.size()).toBe(bytes.length);
    expect((await source.read({ offset: bytes.length + 5, length: 10 })).length).toBe(0);
  });

  it('answers 404 for a missing key or bucket', async () => {
    for (const source of [new S3Source('cogs', 'missing.tif', config), new S3Source('no-such-bucket', 'a.tif', config)]) {
      const error = await source.read({ offset: 100_000, length: 10 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 404, detail: `not found: ${source.url}` });
      await expect(source.size()).rejects.toMatchObject({ status: 404 });
    }
  });

  it('answers 502 without leaking credentials when our own credentials are rejected', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAUNKNOWNKEY');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'wrong-secret');
    const other = { ...config, s3: { ...config.s3, region: 'eu-west-1' } }; // a fresh client, so fresh credentials
    const error = (await new S3Source('cogs', `nested/dir/${NAME}`, other).read({ offset: 100_000, length: 10 }).catch((e: unknown) => e)) as HttpError;
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 502, detail: expect.stringContaining('InvalidAccessKeyId') });
    expect(error.detail).not.toMatch(/AKIAUNKNOWNKEY|wrong-secret/);
  });

  it('times out with 504 and maps server errors to 502', async () => {
    const faulty = await startRangeServer(DEMO_DATA_DIR, {
      onRequest: (req, res) => {
        if (req.url!.includes('broken')) res.writeHead(500).end();
        return true; // anything else is never answered
      },
    });
    try {
      const faultyConfig = { upstreamTimeoutMs: 300, s3: { region: 'us-east-1', endpoint: faulty.url, forcePathStyle: true } };
      const stalled = await new S3Source('cogs', 'stalled.tif', faultyConfig).read({ offset: 0, length: 10 }).catch((e: unknown) => e);
      expect(stalled).toMatchObject({ status: 504, detail: expect.stringContaining('timed out') });
      const broken = await new S3Source('cogs', 'broken.tif', { ...faultyConfig, upstreamTimeoutMs: 10_000 })
        .read({ offset: 0, length: 10 })
        .catch((e: unknown) => e);
      expect(broken).toMatchObject({ status: 502, detail: expect.stringContaining('HTTP 500') });
    } finally {
      await faulty.close();
    }
  });

  it('shares one client per region and endpoint', () => {
    expect(s3ClientFor(config.s3)).toBe(s3ClientFor({ ...config.s3 }));
    expect(s3ClientFor(config.s3)).not.toBe(s3ClientFor({ ...config.s3, endpoint: 'http://127.0.0.1:1' }));
  });

  it('checks the allowlist before touching S3', async () => {
    await expect(openSource('s3://private/a.tif', config)).rejects.toMatchObject({ status: 403 });
  });
});
