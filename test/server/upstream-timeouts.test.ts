import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { S3Store } from '../../src/cache/s3-store.js';
import { S3RVER_CREDENTIALS } from '../helpers/s3rver.js';

/**
 * The tile bucket's reads and writes under the upstream timeout (the COG, STAC and terrain reads
 * have theirs in test/sources and test/stac): an S3 endpoint that accepts connections and never
 * answers must not hold a request or the drain.
 */
let hung: Server;
let endpoint: string;
beforeAll(async () => {
  hung = createServer(() => {}); // reads the request, never answers
  await new Promise<void>((done) => hung.listen(0, '127.0.0.1', done));
  endpoint = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
});
afterAll(() => {
  vi.unstubAllEnvs();
  hung.closeAllConnections();
  hung.close();
});

describe('tile bucket timeouts', () => {
  it('fails a read and gives up a write of a hung S3 after s3TimeoutMs per attempt', async () => {
    const lines: string[] = [];
    const log = { warn: (_o: object, m: string) => lines.push(m), error: (_o: object, m: string) => lines.push(m) };
    const config = buildTileCacheConfig({ s3: { endpoint, region: 'us-east-1', forcePathStyle: true }, s3TimeoutMs: 100, putAttempts: 2, putBackoffMs: 1 });
    const store = new S3Store(config, log);
    try {
      await expect(store.get('tiles', 'a/0/0/0.png')).rejects.toThrow();
      expect(await store.put('tiles', 'a/0/0/0.png', new Uint8Array([1]), 'image/png', 'no-cache')).toBe(false);
      expect(lines).toEqual(['tile cache: S3 write failed, retrying', 'tile cache: S3 write failed, giving up']);
    } finally {
      store.close();
    }
  });
});
