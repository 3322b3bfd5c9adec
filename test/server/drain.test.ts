import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { COMPILED_JS } from '../../src/paths.js';
import { FIXTURES, q, testApp } from '../helpers/app.js';
import { S3RVER_CREDENTIALS, startS3 } from '../helpers/s3rver.js';
import { startHoldingRangeServer, type HoldingRangeServer } from '../helpers/held-reads.js';
import { until } from '../helpers/until.js';

/**
 * SIGTERM drain of the real server process (`node build/js/src/main.js`): tile requests wait in
 * their upstream reads on a range server that holds them until the test lets them go.
 */
let upstream: HoldingRangeServer;
let child: ChildProcess | undefined;
beforeAll(async () => {
  upstream = await startHoldingRangeServer(FIXTURES);
});
afterAll(() => upstream.close());
afterEach(async () => {
  await upstream.release();
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
});

interface Server {
  base: string;
  port: number;
  /** Log messages so far. */
  logs: string[];
  exited: Promise<number | null>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  child = spawn(process.execPath, [join(COMPILED_JS, 'src', 'main.js')], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', WORKERS: '1', SOURCE_ALLOWLIST: `${upstream.url}/`, ALLOW_PRIVATE_ADDRESSES: '1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const logs: string[] = [];
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) logs.push((JSON.parse(line) as { msg: string }).msg);
  });
  const exited = new Promise<number | null>((done) => child!.once('exit', (code) => done(code)));
  await until(() => logs.some((m) => m.startsWith('Server listening at')) || child?.exitCode !== null, 'the server to listen');
  if (child.exitCode !== null) throw new Error(`the server exited ${child.exitCode}: ${stderr}`);
  const base = logs.find((m) => m.startsWith('Server listening at'))!.replace('Server listening at ', '');
  return { base, port: Number(new URL(base).port), logs, exited };
}

const tile = (s: Server) => fetch(`${s.base}/cog/tiles/WebMercatorQuad/7/64/64.npy?${q({ url: `${upstream.url}/riotiler-cog_uint8_rgb_mask_4326.tif` })}`);

/** A connection that has sent part of a request: busy, so the drain does not close it. */
async function halfSentRequest(port: number, path: string): Promise<{ socket: Socket; finish(): Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((done) => socket.once('connect', done));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
  let answer = '';
  socket.on('data', (d: Buffer) => (answer += d.toString()));
  const ended = new Promise<void>((done) => socket.once('close', () => done()));
  return {
    socket,
    async finish() {
      socket.write('\r\n');
      await ended;
      return answer;
    },
  };
}

// a process start and a drain take seconds on a busy 2-core machine
describe('SIGTERM drain (a real server process)', { timeout: 30_000 }, () => {
  it('finishes the requests in progress, refuses new work, fails /readyz and exits 0', async () => {
    const s = await startServer({ DRAIN_TIMEOUT_MS: '20000' });
    expect((await fetch(`${s.base}/readyz`)).status).toBe(200);
    upstream.hold();
    const slow = [tile(s), tile(s)];
    await until(() => upstream.held.length >= 1, 'the tiles to read upstream');
    const probe = await halfSentRequest(s.port, '/readyz');

    child!.kill('SIGTERM');
    await until(() => s.logs.includes('draining: finishing the requests in progress'), 'the drain to start');
    // new connections: refused once the server has stopped listening
    await until(() => fetch(`${s.base}/healthz`).then(() => false, () => true), 'new connections to be refused');
    // a request on a connection that was already open: 503, and the connection is closed
    const answer = await probe.finish();
    expect(answer).toMatch(/^HTTP\/1\.1 503/);
    expect(answer).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('{"detail":"draining: the server is shutting down"}');

    await upstream.release();
    const done = await Promise.all(slow);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    expect(await s.exited).toBe(0);
    expect(s.logs).toContain('drained: exiting');
  });

  it('exits 1 when the requests in progress outlast DRAIN_TIMEOUT_MS', async () => {
    const s = await startServer({ DRAIN_TIMEOUT_MS: '300' });
    upstream.hold();
    const stuck = tile(s).catch((e: unknown) => e);
    await until(() => upstream.held.length === 1, 'the tile to read upstream');
    child!.kill('SIGTERM');
    expect(await s.exited).toBe(1);
    expect(s.logs).toContain('drain timed out: exiting with requests or writes unfinished');
    expect(await stuck).toBeInstanceOf(Error); // its connection died with the process
  });
});

describe('app.close (what the SIGTERM drain runs)', { timeout: 30_000 }, () => {
  it('writes every tile of a meta-tile rendered just before the close to S3', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    const s3 = await startS3({ buckets: ['tiles'] });
    // a WMS answering every GetMap with an opaque PNG of the size asked
    const wms = createServer((req, res) => {
      const params = new URL(req.url ?? '/', 'http://x').searchParams;
      const [width, height] = [Number(params.get('WIDTH')), Number(params.get('HEIGHT'))];
      void sharp({ create: { width, height, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 1 } } }).png().toBuffer()
        .then((png) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
    });
    await new Promise<void>((done) => wms.listen(0, '127.0.0.1', done));
    try {
      const tileCache = buildTileCacheConfig({
        bucket: 'tiles',
        s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
        layers: [{ name: 'l', wmsServer: `http://127.0.0.1:${(wms.address() as AddressInfo).port}/`, wmsLayers: 'x', prefix: 'l/' }],
      });
      const app = await testApp({ tileCache });
      const res = await app.inject('/tms/1.0.0/l/3/1/1.png');
      expect([res.statusCode, res.headers['x-tile-cache']]).toEqual([200, 'render']);
      await app.close();
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: 'tiles', Prefix: 'l/3/' }));
      expect(listed.Contents?.length).toBe(16); // the whole 4x4 meta-tile
    } finally {
      wms.close();
      await s3.close();
      vi.unstubAllEnvs();
    }
  });
});
