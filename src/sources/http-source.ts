import type { IncomingMessage } from 'node:http';
import type { ServerConfig } from '../config.js';
import { HttpError, badGateway, forbidden, notFound } from '../server/errors.js';
import { requestFollowingRedirects } from './http-request.js';
import type { RangeReaderOptions } from './range-reader.js';
import { RangedSource } from './ranged-source.js';
import { redactUrl } from './redact.js';
import { countUpstreamError } from './upstream-errors.js';
import { withUpstreamTimeout } from './upstream-timeout.js';

export type HttpSourceConfig = Pick<ServerConfig, 'sourceAllowlist' | 'allowPrivateAddresses' | 'upstreamTimeoutMs'> & { allowedPrivateNetworks?: string[] };

/** An http(s) resource read with Range requests; servers that ignore Range still work. */
export class HttpSource extends RangedSource {
  readonly url: string;
  private knownSize: number | undefined;

  constructor(
    url: URL,
    private readonly config: HttpSourceConfig,
    options?: RangeReaderOptions,
  ) {
    super(options);
    this.url = url.href;
  }

  async size(signal?: AbortSignal): Promise<number> {
    if (this.knownSize !== undefined) return this.knownSize;
    const length = await this.timed(signal, async (timedSignal) => {
      const response = await this.request('HEAD', {}, timedSignal);
      response.resume();
      const contentLength = Number(response.headers['content-length'] ?? NaN);
      if (response.statusCode === 200 && Number.isSafeInteger(contentLength)) return contentLength;
      if (response.statusCode === 404 || response.statusCode === 410) throw this.statusError(response);
      return undefined;
    });
    if (length !== undefined) return (this.knownSize = length);
    // HEAD refused (presigned GET URLs) or without a length: a one-byte read reports the size.
    await this.readUpstream(0, 1, signal);
    if (this.knownSize === undefined) throw badGateway(`upstream did not report a size: ${redactUrl(this.url)}`);
    return this.knownSize;
  }

  protected readUpstream(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    return this.timed(signal, async (timedSignal) => {
      const range = `bytes=${offset}-${offset + length - 1}`;
      const response = await this.request('GET', { range }, timedSignal);
      try {
        if (response.statusCode === 206) return await this.readPartial(response, offset, length);
        if (response.statusCode === 200) return await this.readWhole(response, offset, length);
        if (response.statusCode === 416) return this.readBeyondEnd(response, offset);
        throw this.statusError(response);
      } catch (error) {
        response.destroy();
        throw error instanceof HttpError || timedSignal.aborted ? error : this.truncated(error);
      }
    });
  }

  /** 206: the body is the range named by Content-Range, which must start where we asked. */
  private async readPartial(response: IncomingMessage, offset: number, length: number): Promise<Uint8Array> {
    const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '');
    if (!match || Number(match[1]) !== offset) {
      throw badGateway(`unexpected Content-Range ${response.headers['content-range'] ?? '(none)'}: ${redactUrl(this.url)}`);
    }
    const end = Number(match[2]) + 1;
    const total = match[3] === '*' ? undefined : Number(match[3]);
    if (total !== undefined) this.knownSize = total;
    const expected = Math.min(length, end - offset);
    // Fewer bytes than asked is only fine at end of file.
    if (expected < length && (total === undefined || end < total)) throw this.truncated();
    const bytes = await readSlice(response, 0, length, false);
    if (bytes.length < expected) throw this.truncated();
    return bytes;
  }

  /** 200: the server ignored Range and sends the whole file; keep our slice, stop once we have it. */
  private async readWhole(response: IncomingMessage, offset: number, length: number): Promise<Uint8Array> {
    const contentLength = Number(response.headers['content-length'] ?? NaN);
    if (Number.isSafeInteger(contentLength)) this.knownSize = contentLength;
    const bytes = await readSlice(response, offset, length, true);
    const expected = Number.isSafeInteger(contentLength) ? Math.min(length, Math.max(0, contentLength - offset)) : 0;
    if (bytes.length < expected) throw this.truncated();
    return bytes;
  }

  /** 416: the range starts at or past the end of the file, which is an empty read. */
  private readBeyondEnd(response: IncomingMessage, offset: number): Uint8Array {
    response.resume();
    const total = /^bytes \*\/(\d+)$/.exec(response.headers['content-range'] ?? '');
    if (total) this.knownSize = Number(total[1]);
    if (this.knownSize !== undefined && offset < this.knownSize) throw this.statusError(response);
    return new Uint8Array(0);
  }

  private request(method: 'GET' | 'HEAD', headers: Record<string, string>, signal: AbortSignal) {
    return requestFollowingRedirects(new URL(this.url), {
      method,
      headers,
      signal,
      allowlist: this.config.sourceAllowlist,
      allowPrivateAddresses: this.config.allowPrivateAddresses,
      allowedPrivateNetworks: this.config.allowedPrivateNetworks,
    });
  }

  private timed<T>(signal: AbortSignal | undefined, operation: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return withUpstreamTimeout(this.config.upstreamTimeoutMs, redactUrl(this.url), signal, operation).catch((error: unknown) => {
      throw countUpstreamError('http', error, signal);
    });
  }

  private statusError(response: IncomingMessage): HttpError {
    response.resume();
    const status = response.statusCode ?? 0;
    const url = redactUrl(this.url);
    if (status === 404 || status === 410) return notFound(`not found: ${url}`);
    if (status === 401 || status === 403) return forbidden(`upstream refused access (HTTP ${status}): ${url}`);
    return badGateway(`upstream answered HTTP ${status}: ${url}`);
  }

  private truncated(cause?: unknown): HttpError {
    const why = cause instanceof Error ? ` (${(cause as NodeJS.ErrnoException).code ?? cause.message})` : '';
    return badGateway(`truncated upstream response${why}: ${redactUrl(this.url)}`);
  }
}

/**
 * Copies bytes [skip, skip + length) of the body. With `stopWhenFull` the rest of the body is not
 * read (the connection is dropped instead): a server without Range support must not make us
 * download a whole large file for a small range.
 */
async function readSlice(body: IncomingMessage, skip: number, length: number, stopWhenFull: boolean): Promise<Uint8Array> {
  // chunks are kept and joined at the end: `length` may be far larger than the body (whole small
  // files are read with a generous length), so it must not size an allocation
  const parts: Uint8Array[] = [];
  let position = 0;
  let filled = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const start = Math.max(0, skip - position);
    const end = Math.min(chunk.length, skip + length - position);
    if (end > start) {
      parts.push(chunk.subarray(start, end));
      filled += end - start;
    }
    position += chunk.length;
    if (stopWhenFull && filled === length) break;
  }
  const out = new Uint8Array(filled);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
