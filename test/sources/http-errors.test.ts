import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { HttpError } from '../../src/server/errors.js';
import { HttpSource } from '../../src/sources/http-source.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';

const NAME = 'riotiler-rgb_uint16_utm.tif';

/** Upstream misbehaviour, chosen by path. */
const faults: Record<string, (res: ServerResponse) => void> = {
  '/status/500': (res) => res.writeHead(500).end('boom'),
  '/status/401': (res) => res.writeHead(401).end(),
  '/status/403': (res) => res.writeHead(403).end(),
  '/status/410': (res) => res.writeHead(410).end(),
  '/stall': () => {}, // never answers
  '/stall-body': (res) => {
    res.writeHead(206, { 'content-range': 'bytes 0-999/5000', 'content-length': 1000 });
    res.write(Buffer.alloc(10)); // then nothing
  },
  '/cut-off': (res) => {
    res.writeHead(206, { 'content-range': 'bytes 0-999/5000', 'content-length': 1000 });
    res.write(Buffer.alloc(500), () => res.destroy());
  },
  '/short-range': (res) => {
    res.writeHead(206, { 'content-range': 'bytes 0-499/5000', 'content-length': 500 });
    res.end(Buffer.alloc(500));
  },
  '/wrong-start': (res) => {
    res.writeHead(206, { 'content-range': 'bytes 7-1006/5000', 'content-length': 1000 });
    res.end(Buffer.alloc(1000));
  },
  '/cut-off-whole': (res) => {
    res.writeHead(200, { 'content-length': 5000 });
    res.write(Buffer.alloc(100), () => res.destroy());
  },
};

describe('http source upstream failures', () => {
  let server: RangeServer;
  let config: ServerConfig;
  const source = (path: string) => new HttpSource(new URL(server.url + path), config, { headerBytes: 0 });
  const failure = (path: string, length = 1000) =>
    source(path)
      .read({ offset: 0, length })
      .then(
        () => undefined,
        (e: unknown) => e,
      );

  beforeAll(async () => {
    server = await startRangeServer(DEMO_DATA_DIR, {
      onRequest: (req: IncomingMessage, res: ServerResponse) => {
        const fault = faults[new URL(req.url!, 'http://x').pathname];
        fault?.(res);
        return fault !== undefined;
      },
    });
    config = loadConfig({ sourceAllowlist: [server.url + '/'], allowPrivateAddresses: true, upstreamTimeoutMs: 300 }, {});
  });
  afterAll(() => server.close());

  it('maps upstream statuses: 404/410 -> 404, 401/403 -> 403, 5xx -> 502', async () => {
    expect(await failure('/missing.tif')).toMatchObject({ status: 404, detail: `not found: ${server.url}/missing.tif` });
    expect(await failure('/status/410')).toMatchObject({ status: 404 });
    expect(await failure('/status/401')).toMatchObject({ status: 403, detail: expect.stringContaining('HTTP 401') });
    expect(await failure('/status/403')).toMatchObject({ status: 403, detail: expect.stringContaining('HTTP 403') });
    expect(await failure('/status/500')).toMatchObject({ status: 502, detail: expect.stringContaining('HTTP 500') });
    await expect(source('/missing.tif').size()).rejects.toMatchObject({ status: 404 });
  });

  it('times out with 504 when upstream does not answer or stalls mid-body', async () => {
    for (const path of ['/stall', '/stall-body']) {
      const error = await failure(path);
      expect(error).toBeInstanceOf(HttpError);
      expect(error).toMatchObject({ status: 504, detail: expect.stringContaining('timed out') });
    }
  });

  it('answers 502 for truncated bodies and short ranges not at end of file', async () => {
    for (const path of ['/cut-off', '/short-range', '/cut-off-whole']) {
      expect(await failure(path)).toMatchObject({ status: 502, detail: expect.stringContaining('truncated') });
    }
    expect(await failure('/wrong-start')).toMatchObject({ status: 502, detail: expect.stringContaining('Content-Range') });
  });

  it('answers 502 when the upstream cannot be reached', async () => {
    const closed = await startRangeServer(DEMO_DATA_DIR);
    await closed.close();
    const error = await new HttpSource(new URL(`${closed.url}/${NAME}`), config).read({ offset: 0, length: 10 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 502, detail: expect.stringContaining('ECONNREFUSED') });
  });

  it("rejects with the caller's abort reason, not an HttpError", async () => {
    const controller = new AbortController();
    const pending = source('/stall').read({ offset: 0, length: 10 }, controller.signal);
    controller.abort(new Error('client went away'));
    await expect(pending).rejects.toThrow('client went away');
  });

  it('never puts credentials or query strings in messages', async () => {
    const url = new URL(`${server.url}/status/500?X-Amz-Signature=SECRET`);
    url.username = 'user';
    url.password = 'hunter2';
    const error = (await new HttpSource(url, config).read({ offset: 0, length: 10 }).catch((e: unknown) => e)) as HttpError;
    expect(error.status).toBe(502);
    expect(error.detail).not.toMatch(/SECRET|hunter2|user@/);
    expect(error.message).not.toMatch(/SECRET|hunter2|user@/);
  });
});
