import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { ServerConfig } from '../config.js';
import { HttpError, badGateway } from '../server/errors.js';
import { requestFollowingRedirects } from '../sources/http-request.js';
import { assertPublicHost } from '../sources/private-address.js';
import { redactText, redactUrl } from '../sources/redact.js';
import { countUpstreamError } from '../sources/upstream-errors.js';
import { withUpstreamTimeout } from '../sources/upstream-timeout.js';

/** A STAC search page of 100 Sentinel-2 items is ~3 MB of JSON; anything past this is refused. */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** How much of an upstream error message is passed on. */
const MAX_MESSAGE_CHARS = 300;

export type JsonRequestConfig = Pick<ServerConfig, 'allowPrivateAddresses' | 'upstreamTimeoutMs'> & { allowedPrivateNetworks?: string[] };

export interface JsonRequest {
  method: 'GET' | 'POST';
  /** Sent as JSON (POST). */
  body?: unknown;
  headers?: Record<string, string>;
  /** Prefixes redirect targets must match (SOURCE_ALLOWLIST for user-named APIs). */
  allowlist: string[];
  signal?: AbortSignal;
  /** Names the upstream in error messages: 'STAC API', 'SAS token API'. */
  what: string;
  /** What an unparseable body is called: 'malformed <this> response' ('STAC', 'SAS token API'). */
  malformed: string;
}

export interface JsonResponse {
  json: unknown;
  /** Size of the (decoded) body. */
  bytes: number;
}

/**
 * One JSON request through the server's upstream HTTP client (allowlisted redirects, the
 * private-address rule before connecting, for IP literals, and at connect time, keep-alive), under UPSTREAM_TIMEOUT_MS for the request and
 * its body. A non-2xx answer is a 502 carrying the upstream's own message (cut, no credentials); a
 * body that is not JSON is a 502 "malformed <malformed> response".
 */
export function requestJson(url: URL, request: JsonRequest, config: JsonRequestConfig): Promise<JsonResponse> {
  const where = redactUrl(url.href);
  return withUpstreamTimeout(config.upstreamTimeoutMs, where, request.signal, async (signal) => {
    // The connect-time lookup never sees IP literals: check them (and names, early) here.
    await assertPublicHost(url.hostname, where, config);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers: Record<string, string> = {
      accept: 'application/geo+json, application/json;q=0.9, */*;q=0.1',
      'accept-encoding': 'gzip, deflate, br',
      ...request.headers,
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const response = await requestFollowingRedirects(url, {
      method: request.method,
      headers,
      body,
      signal,
      allowlist: request.allowlist,
      allowPrivateAddresses: config.allowPrivateAddresses,
      allowedPrivateNetworks: config.allowedPrivateNetworks,
    });
    let text: string;
    try {
      text = await readText(response);
    } catch (error) {
      response.destroy();
      if (error instanceof HttpError || signal.aborted) throw error;
      throw badGateway(`${request.what} response could not be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): ${where}`);
    }
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) {
      throw badGateway(`${request.what} answered HTTP ${status}: ${upstreamMessage(text) || '(no message)'} [${where}]`);
    }
    try {
      return { json: JSON.parse(text) as unknown, bytes: text.length };
    } catch {
      throw badGateway(`malformed ${request.malformed} response (invalid JSON): ${where}`);
    }
  }).catch((error: unknown) => {
    throw countUpstreamError('stac', error, request.signal);
  });
}

/** The body as text, decompressed per Content-Encoding, at most MAX_JSON_BYTES. */
async function readText(response: IncomingMessage): Promise<string> {
  const encoding = String(response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let stream: Readable = response;
  if (encoding === 'gzip' || encoding === 'x-gzip') stream = response.pipe(createGunzip());
  else if (encoding === 'deflate') stream = response.pipe(createInflate());
  else if (encoding === 'br') stream = response.pipe(createBrotliDecompress());
  if (stream !== response) response.once('error', (error) => stream.destroy(error));
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) throw badGateway(`upstream JSON response larger than ${MAX_JSON_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The message of an error body: `detail` (FastAPI, TiTiler), `description` (stac-server,
 * stac-fastapi), `message`, `error`, `title`, else the text itself; one line, cut, redacted.
 */
export function upstreamMessage(text: string): string {
  let message = text;
  try {
    const json = JSON.parse(text) as unknown;
    if (typeof json === 'object' && json !== null) {
      const o = json as Record<string, unknown>;
      const field = [o.detail, o.description, o.message, o.error, o.title].find((v) => v !== undefined && v !== null && v !== '');
      const inner = typeof field === 'object' && field !== null ? (field as Record<string, unknown>).message : undefined;
      if (typeof inner === 'string') message = inner;
      else if (typeof field === 'string') message = field;
      else if (field !== undefined) message = JSON.stringify(field);
    } else if (typeof json === 'string') {
      message = json;
    }
  } catch {
    // not JSON: the text as it is (an HTML error page, a proxy's message)
  }
  if (message === text && /<(!doctype|html|body|title|h1)\b/i.test(text)) message = text.replace(/<[^>]*>/g, ' ');
  message = redactText(message.replace(/\s+/g, ' ').trim());
  return message.length > MAX_MESSAGE_CHARS ? message.slice(0, MAX_MESSAGE_CHARS - 1) + '…' : message;
}
