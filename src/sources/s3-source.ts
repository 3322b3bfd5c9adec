import { GetObjectCommand, HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { ServerConfig } from '../config.js';
import { HttpError, badGateway, forbidden, notFound } from '../server/errors.js';
import type { RangeReaderOptions } from './range-reader.js';
import { RangedSource } from './ranged-source.js';
import { countUpstreamError } from './upstream-errors.js';
import { withUpstreamTimeout } from './upstream-timeout.js';

export type S3SourceConfig = Pick<ServerConfig, 's3' | 'upstreamTimeoutMs'>;

const clients = new Map<string, S3Client>();

/**
 * One S3Client per (region, endpoint, path style): clients hold connection pools and cached
 * credentials, so sources share them. Credentials come from the default AWS provider chain.
 */
export function s3ClientFor({ region, endpoint, forcePathStyle }: ServerConfig['s3']): S3Client {
  const resolvedRegion = region ?? process.env.AWS_REGION ?? 'us-east-1';
  const key = JSON.stringify([resolvedRegion, endpoint ?? null, forcePathStyle]);
  let client = clients.get(key);
  if (!client) {
    client = new S3Client({
      region: resolvedRegion,
      endpoint,
      forcePathStyle,
      // On AWS a bucket in another region answers 301; follow it rather than fail.
      followRegionRedirects: endpoint === undefined,
    });
    clients.set(key, client);
  }
  return client;
}

/** An S3 object (or one in an S3-compatible store) read with ranged GetObject calls. */
export class S3Source extends RangedSource {
  readonly url: string;
  private readonly client: S3Client;
  private knownSize: number | undefined;

  private readonly payer: { RequestPayer?: 'requester' };

  constructor(
    private readonly bucket: string,
    private readonly key: string,
    private readonly config: S3SourceConfig,
    options?: RangeReaderOptions,
  ) {
    super(options);
    this.url = `s3://${bucket}/${key}`;
    this.client = s3ClientFor(config.s3);
    // requester-pays buckets (e.g. usgs-landsat) answer 403 unless the request says who pays
    this.payer = config.s3.requesterPays ? { RequestPayer: 'requester' as const } : {};
  }

  async size(signal?: AbortSignal): Promise<number> {
    if (this.knownSize !== undefined) return this.knownSize;
    const head = await this.call(signal, (abortSignal) =>
      this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key, ...this.payer }), { abortSignal }),
    );
    if (head.ContentLength === undefined) throw badGateway(`S3 did not report a size: ${this.url}`);
    return (this.knownSize = head.ContentLength);
  }

  protected async readUpstream(offset: number, length: number, signal: AbortSignal): Promise<Uint8Array> {
    return this.call(signal, async (abortSignal) => {
      const range = `bytes=${offset}-${offset + length - 1}`;
      let object;
      try {
        object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: range, ...this.payer }), { abortSignal });
      } catch (error) {
        if (isInvalidRange(error)) return new Uint8Array(0); // starts at or past the end
        throw error;
      }
      const total = /\/(\d+)$/.exec(object.ContentRange ?? '');
      if (total) this.knownSize = Number(total[1]);
      const onAbort = () => (object.Body as { destroy?: () => void } | undefined)?.destroy?.();
      abortSignal.addEventListener('abort', onAbort, { once: true });
      try {
        const bytes = (await object.Body?.transformToByteArray()) ?? new Uint8Array(0);
        const expected = Math.min(length, Math.max(0, (this.knownSize ?? offset + length) - offset));
        if (bytes.length < expected) throw badGateway(`truncated S3 response: ${this.url}`);
        return bytes.length > length ? bytes.slice(0, length) : bytes;
      } finally {
        abortSignal.removeEventListener('abort', onAbort);
      }
    });
  }

  private call<T>(signal: AbortSignal | undefined, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withUpstreamTimeout(this.config.upstreamTimeoutMs, this.url, signal, async (timedSignal) => {
      try {
        return await operation(timedSignal);
      } catch (error) {
        throw timedSignal.aborted ? error : this.toHttpError(error);
      }
    }).catch((error: unknown) => {
      throw countUpstreamError('s3', error, signal);
    });
  }

  /** S3 error codes to statuses; the messages name the object, never credentials. */
  private toHttpError(error: unknown): unknown {
    if (error instanceof HttpError) return error;
    const name = error instanceof Error ? error.name : 'Error';
    const status = error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;
    if (['NoSuchKey', 'NoSuchBucket', 'NotFound'].includes(name) || status === 404) return notFound(`not found: ${this.url}`);
    // Only a refusal of this object is the client's 403; a bad key or signature of our own
    // credentials (also HTTP 403) is a server fault and falls through to 502.
    if (name === 'AccessDenied' || name === 'Forbidden') return forbidden(`access denied by S3: ${this.url}`);
    // a network failure is a plain Error: its code (ECONNRESET) says what happened
    const what = (error as NodeJS.ErrnoException | undefined)?.code ?? name;
    return badGateway(`S3 request failed (${what}${status ? `, HTTP ${status}` : ''}): ${this.url}`);
  }
}

function isInvalidRange(error: unknown): boolean {
  return error instanceof S3ServiceException && (error.name === 'InvalidRange' || error.$metadata.httpStatusCode === 416);
}
