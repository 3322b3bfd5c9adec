import { S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of s3rver (untyped CommonJS) used here. */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
  /** Koa's middleware list (s3rver is a Koa app), composed when run() starts listening. */
  middleware: KoaMiddleware[];
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverClass;
type S3ErrorClass = new (code: string, message: string, detail?: Record<string, string>) => Error;
const S3Error = require('s3rver/lib/models/error') as S3ErrorClass;

/** The part of a Koa context used here. */
interface KoaContext {
  method: string;
  path: string;
  status: number;
  headers: Record<string, string | undefined>;
  response: { get(name: string): string };
  store: { existsObject(bucket: string, key: string): Promise<boolean> };
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

/** One PutObject s3rver answered: its status, and the ETag of what it stored (200 only). */
export interface PutRecord {
  bucket: string;
  key: string;
  status: number;
  etag?: string;
}

/** s3rver accepts only these credentials; the default AWS chain can be pointed at them via env. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Fixture {
  /** e.g. http://127.0.0.1:41234 — pass as config.s3.endpoint with forcePathStyle. */
  endpoint: string;
  /** A client for the server (path style, dummy credentials, us-east-1) to upload fixtures. */
  client: S3Client;
  /** Every PutObject, in the order they were answered. */
  puts: PutRecord[];
  close(): Promise<void>;
}

/**
 * Records every PutObject and runs the PUTs of one key one at a time, as S3 does. With `conditionalWrites`, adds
 * what s3rver 3 lacks (it ignores `If-None-Match` on PUT, so the last writer wins): AWS S3's conditional write
 * (2024), where `If-None-Match: *` on an existing key is 412 PreconditionFailed and stores nothing.
 */
function putMiddleware(puts: PutRecord[], conditionalWrites: boolean): KoaMiddleware {
  const queues = new Map<string, Promise<unknown>>();
  return async (ctx, next) => {
    const m = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (ctx.method !== 'PUT' || !m || ctx.headers['x-amz-copy-source']) return next();
    const [bucket, key] = [decodeURIComponent(m[1]!), decodeURIComponent(m[2]!)];
    const put = async () => {
      if (conditionalWrites && ctx.headers['if-none-match'] === '*' && await ctx.store.existsObject(bucket, key)) {
        throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-None-Match' });
      }
      await next();
    };
    const id = `${bucket}/${key}`;
    const turn = (queues.get(id) ?? Promise.resolve()).then(put, put);
    queues.set(id, turn);
    try {
      await turn;
      puts.push({ bucket, key, status: ctx.status, etag: ctx.response.get('etag') || undefined });
    } catch (e) {
      puts.push({ bucket, key, status: (e as { status?: number }).status ?? 500 });
      throw e;
    } finally {
      if (queues.get(id) === turn) queues.delete(id);
    }
  };
}

/** A real S3-compatible server on 127.0.0.1 with a temporary store and the given buckets. */
export async function startS3(opts: { buckets?: string[]; conditionalWrites?: boolean } = {}): Promise<S3Fixture> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: (opts.buckets ?? []).map((name) => ({ name })),
  });
  const puts: PutRecord[] = [];
  server.middleware.unshift(putMiddleware(puts, opts.conditionalWrites ?? false));
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: S3RVER_CREDENTIALS,
    // s3rver predates the SDK's default checksums (aws-chunked uploads with trailers).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    client,
    puts,
    async close() {
      client.destroy();
      server.httpServer?.closeAllConnections();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
