import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTileCacheConfig } from '../../src/cache/config.js';
import { buildApp } from '../../src/index.js';
import { redactText } from '../../src/sources/redact.js';
import { FIXTURES, q, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { startStacApi, type StacApi } from '../helpers/stac-api.js';

/**
 * No credential leaves in an error detail or a warning/error log line: URL userinfo, signed-URL
 * query strings (S3 presigned X-Amz-*, Azure SAS `sig=`), tokens and Authorization values an
 * upstream echoes. Every secret here is the word SECRET, so one search finds any leak.
 */
const SECRET = 'SECRET';
const signedQuery = `sig=${SECRET}&X-Amz-Credential=AKIA${SECRET}&X-Amz-Signature=${SECRET}&X-Amz-Security-Token=${SECRET}`;

let upstream: RangeServer;
let api: StacApi;
let app: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  upstream = await startRangeServer(FIXTURES, {
    onRequest: (req, res) => {
      // an upstream that echoes the request, credentials and all, in its error text
      if (req.url!.startsWith('/fail')) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`failed ${req.url} auth=${req.headers.authorization}`);
      } else if (req.url!.startsWith('/to-outside')) {
        res.writeHead(302, { location: `https://user:${SECRET}@elsewhere.example/a.tif?${signedQuery}` }).end();
      } else return false;
      return true;
    },
  });
  api = await startStacApi([], { fail: { status: 500, body: { detail: `token expired for ${upstream.url}/x?${signedQuery}; Authorization: Bearer ${SECRET}${SECRET}; password=${SECRET}` } } });
  const stream = new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) });
  app = buildApp({
    config: { sourceAllowlist: [FIXTURES + '/', 'http://'], workers: 1, allowPrivateAddresses: true },
    logger: { level: 'info', stream },
  });
  // an unexpected error whose message carries a signed url (say, from a library): 500, logged redacted
  app.get('/test-only/unhandled', async () => {
    throw new TypeError(`cannot fetch https://user:${SECRET}@h.example/a.tif?${signedQuery}`);
  });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await Promise.all([upstream?.close(), api?.close()]);
});

/** Asks, and checks the answer is a JSON error with this status and no secret in it. */
async function errorDetail(path: string, status: number): Promise<string> {
  const res = await app.inject(path);
  expect(res.statusCode, res.body).toBe(status);
  const detail = res.json().detail as string;
  expect(detail).not.toContain(SECRET);
  expect(detail).not.toMatch(/user:|AKIA/);
  return detail;
}

describe('credentials never appear in error details', () => {
  const withUser = (path: string) => upstream.url.replace('http://', `http://user:${SECRET}@`) + path;

  it('an upstream 500 on a url with userinfo and a signed query', async () => {
    const detail = await errorDetail(`/cog/info?${q({ url: withUser(`/fail/a.tif?${signedQuery}`) })}`, 502);
    expect(detail).toBe(`upstream answered HTTP 500: ${upstream.url}/fail/a.tif?<redacted>`);
  });

  it('a missing object, a refused source and a refused redirect', async () => {
    expect(await errorDetail(`/cog/info?${q({ url: withUser(`/missing.tif?${signedQuery}`) })}`, 404)).toMatch(/^not found: /);
    expect(await errorDetail(`/cog/info?${q({ url: `https://user:${SECRET}@other.example/a.tif?${signedQuery}` })}`, 403)).toMatch(/not in SOURCE_ALLOWLIST/);
    expect(await errorDetail(`/cog/info?${q({ url: `${upstream.url}/to-outside.tif?${signedQuery}` })}`, 403)).toMatch(/redirect from .* to https:\/\/elsewhere\.example\/a\.tif\?<redacted>/);
    expect(await errorDetail(`/cog/info?${q({ url: `s3://bucket/a.tif?${signedQuery}` })}`, 400)).toMatch(/unsupported source url/);
  });

  it('a terrain template that fails', async () => {
    await errorDetail(`/mesh/tiles/1/0/0.terrain?${q({ url: withUser(`/fail/{z}/{x}/{y}.png?${signedQuery}`) })}`, 502);
  });

  it('a STAC API error message that echoes urls, tokens and Authorization values', async () => {
    const detail = await errorDetail(`/stac/mosaic/tiles/1/0/0.npy?${q({ url: `${api.url}?${signedQuery}`, assets: 'visual' })}`, 502);
    expect(detail).toMatch(/^STAC API answered HTTP 500: token expired for http:\/\/127\.0\.0\.1:\d+\/x\?<redacted> Authorization: Bearer <redacted>; password=<redacted> \[.*\/v1\/search\?<redacted>\]$/);
  });

  it('an unexpected error is a bare 500', async () => {
    const res = await app.inject('/test-only/unhandled');
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ detail: 'internal server error' });
  });

  it('and not in the log lines, the unexpected error and its stack included', () => {
    const lines = logLines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { message: string; stack: string } });
    const failures = lines.filter((line) => line.level >= 40);
    expect(failures.length).toBeGreaterThanOrEqual(4);
    const unhandled = lines.filter((line) => line.err?.message?.startsWith('cannot fetch'));
    expect(unhandled.length).toBeGreaterThanOrEqual(1);
    for (const line of unhandled) expect(line.err!.message).toBe('cannot fetch https://h.example/a.tif?<redacted>');
    for (const line of lines) expect(JSON.stringify(line)).not.toContain(SECRET);
    for (const line of failures) expect(JSON.stringify(line)).not.toContain(SECRET);
  });
});

describe("the tile cache's debug page", () => {
  it('shows the WMS and GetMap urls without the credentials the operator put in WMS_SERVER', async () => {
    const tileCache = loadTileCacheConfig({ WMS_SERVER: `http://wms:${SECRET}@wms.example/?map=/m.map&apikey=${SECRET}`, BUCKET_NAME: 'b', MAP_LAYERS: 'naip' });
    const cacheApp = await testApp({ tileCache, workers: 1 });
    try {
      const res = await cacheApp.inject('/?tile=1.0.0/tms-mercator/1/0/0.png&test');
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(SECRET);
      expect(res.body).toContain('http://wms.example/?map=/m.map&#38;apikey=&#60;redacted&#62;');
      expect(res.body).toMatch(/LAYERS=naip/);
    } finally {
      await cacheApp.close();
    }
  });
});

describe('redaction helpers', () => {
  it('redactText is idempotent and leaves ordinary text alone', () => {
    const once = redactText(`see https://h/a.tif?sig=${SECRET} and sig=${SECRET}, key=${SECRET}`);
    expect(once).toBe('see https://h/a.tif?<redacted> and sig=<redacted>, key=<redacted>');
    expect(redactText(once)).toBe(once);
    expect(redactText('invalid bidx "7": this dataset has 3 band(s)')).toBe('invalid bidx "7": this dataset has 3 band(s)');
  });
});
