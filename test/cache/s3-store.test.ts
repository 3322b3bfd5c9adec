import type { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { S3Store } from '../../src/cache/s3-store.js';

const logger = () => {
  const lines: Array<[string, object, string]> = [];
  return { lines, warn: (o: object, m: string) => lines.push(['warn', o, m]), error: (o: object, m: string) => lines.push(['error', o, m]) };
};

describe('S3Store', () => {
  it('retries a failed write with exponential backoff and logs each failure', async () => {
    let calls = 0;
    const times: number[] = [];
    const client = { send: async () => { calls++; times.push(Date.now()); if (calls < 3) throw new Error('SlowDown'); return {}; } } as unknown as S3Client;
    const log = logger();
    const store = new S3Store(buildTileCacheConfig({ putAttempts: 4, putBackoffMs: 20 }), log, client);
    expect(await store.put('b', 'k', new Uint8Array([1]), 'image/png', 'max-age=1')).toBe(true);
    expect(calls).toBe(3);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(35); // 20 ms, then 40 ms
    expect(log.lines.map(([level, o]) => [level, (o as { attempt: number }).attempt])).toEqual([['warn', 1], ['warn', 2]]);
  });

  it('gives up after the last attempt, logged as an error, without throwing', async () => {
    const client = { send: async () => { throw new Error('AccessDenied'); } } as unknown as S3Client;
    const log = logger();
    const store = new S3Store(buildTileCacheConfig({ putAttempts: 2, putBackoffMs: 1 }), log, client);
    expect(await store.put('b', 'k', new Uint8Array([1]), 'image/png', 'max-age=1')).toBe(false);
    expect(log.lines.map(([level]) => level)).toEqual(['warn', 'error']);
    expect(log.lines[1]![2]).toMatch(/giving up/);
  });

  it('writes only if the key is new (If-None-Match: *); a lost race (412) is done, not retried nor logged', async () => {
    const inputs: Array<{ IfNoneMatch?: string }> = [];
    const taken = Object.assign(new Error('PreconditionFailed'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    const client = { send: async (c: { input: { IfNoneMatch?: string } }) => { inputs.push(c.input); throw taken; } } as unknown as S3Client;
    const log = logger();
    const store = new S3Store(buildTileCacheConfig({ putAttempts: 4, putBackoffMs: 1 }), log, client);
    expect(await store.put('b', 'k', new Uint8Array([1]), 'image/png', 'max-age=1')).toBe(true);
    expect(inputs.map((i) => i.IfNoneMatch)).toEqual(['*']);
    expect(log.lines).toEqual([]);
  });

  it('a missing key is undefined, other read errors are thrown', async () => {
    const missing = Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
    const store = new S3Store(buildTileCacheConfig({}), logger(), { send: async () => { throw missing; } } as unknown as S3Client);
    expect(await store.get('b', 'k')).toBeUndefined();
    const denied = new S3Store(buildTileCacheConfig({}), logger(), { send: async () => { throw Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }); } } as unknown as S3Client);
    await expect(denied.get('b', 'k')).rejects.toThrow('denied');
  });
});
