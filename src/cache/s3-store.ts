/**
 * The tile bucket: plain GETs (a miss is NoSuchKey, no HEAD first) and writes retried with exponential backoff.
 * Objects are written private (no ACL): the bucket policy decides who reads them.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { TileCacheConfig } from './config.js';

export interface StoredTile {
  body: Uint8Array;
  etag?: string;
  contentType?: string;
}

export interface Logger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export class S3Store {
  readonly client: S3Client;

  constructor(private readonly config: TileCacheConfig, private readonly log: Logger, client?: S3Client) {
    this.client = client ?? new S3Client({
      region: config.s3.region,
      endpoint: config.s3.endpoint,
      forcePathStyle: config.s3.forcePathStyle,
      // plain PUTs of Buffers; S3-compatible stores (s3rver, older MinIO) do not all understand aws-chunked trailers
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  /** The object, or undefined when the key does not exist. */
  async get(bucket: string, key: string): Promise<StoredTile | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), this.timeout());
      const body = await res.Body!.transformToByteArray();
      return { body, etag: res.ETag, contentType: res.ContentType };
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404) return undefined;
      throw e;
    }
  }

  /** Whether the key exists (seeding checks many tiles; HEAD is enough there). */
  async exists(bucket: string, key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), this.timeout());
      return true;
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404) return false;
      throw e;
    }
  }

  /**
   * Writes an object unless the key exists, retrying with exponential backoff; resolves false (logged) when every
   * attempt failed. Several instances may render the same tile at once: the write is conditional (`If-None-Match: *`,
   * S3's conditional write), so the first object stored stays and a tile never changes under its ETag, even if the
   * instances encode it differently (another version of libvips during a rolling deploy, the WMS data changed). A
   * lost race is 412 (the key holds a complete tile: done) or 409 ConditionalRequestConflict while the other write
   * is under way (retried, then 412). Stores without conditional writes (s3rver, older S3-compatible servers) ignore
   * the header: there the last writer wins.
   */
  async put(bucket: string, key: string, body: Uint8Array, contentType: string, cacheControl: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(new PutObjectCommand({
          Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength, ContentType: contentType, CacheControl: cacheControl,
          IfNoneMatch: '*',
        }), this.timeout());
        return true;
      } catch (e) {
        if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 412) return true;
        if (attempt >= this.config.putAttempts) {
          this.log.error({ bucket, key, attempt, err: (e as Error).message }, 'tile cache: S3 write failed, giving up');
          return false;
        }
        const delay = this.config.putBackoffMs * 2 ** (attempt - 1);
        this.log.warn({ bucket, key, attempt, delay, err: (e as Error).message }, 'tile cache: S3 write failed, retrying');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** One attempt's time limit: a hung S3 connection must not hold a request (a read) or the drain (a write). */
  private timeout() {
    return this.config.s3TimeoutMs > 0 ? { abortSignal: AbortSignal.timeout(this.config.s3TimeoutMs) } : {};
  }

  close() {
    this.client.destroy();
  }
}
