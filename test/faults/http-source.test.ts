import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectJsonError, fixture, q, scratchDir, testApp } from '../helpers/app.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { FUJI_TILES, writeFujiTiles } from '../helpers/terrain-tiles.js';

/**
 * /cog and /mesh over HTTP with a faulty upstream: the real range server behind a fault proxy.
 * Each fault: a JSON error with the right status and no-store, nothing remembered (once the fault
 * is gone the same request gives the pixels of a healthy source), and the server keeps serving.
 */
const dir = scratchDir();
const COG = 'riotiler-cog_uint16_utm_ovr.tif';
const TILE = '/cog/tiles/WebMercatorQuad/9/171/99.npy';
const TIMEOUT_MS = 1000; // generous: a busy 2-core machine must not time out a healthy read
copyFileSync(fixture(COG), join(dir, COG));
writeFujiTiles(dir);

let http: RangeServer;
let proxy: FaultProxy;
let app: FastifyInstance;

beforeAll(async () => {
  http = await startRangeServer(dir);
  proxy = await startFaultProxy(http.url);
  app = await testApp({ upstreamTimeoutMs: TIMEOUT_MS, terrariumUrlTemplate: `${proxy.url}/{z}/{x}/{y}.png` }, [http.url + '/', proxy.url + '/']);
});
afterAll(async () => {
  await app?.close();
  await Promise.all([proxy?.close(), http?.close()]);
});
beforeEach(() => proxy.clear());

/** Each case reads its own url (the query string is ignored by the file server), so no cache is shared between cases. */
let cases = 0;
const faultyUrl = () => `${proxy.url}/${COG}?case=${++cases}`;

const FAULTS: Array<[string, Fault, number, RegExp]> = [
  ['slow', { kind: 'delay', ms: 3 * TIMEOUT_MS }, 504, new RegExp(`timed out after ${TIMEOUT_MS} ms`)],
  ['connection reset', { kind: 'reset', afterBytes: 100 }, 502, /truncated upstream response|upstream request failed/],
  ['truncated body, Content-Length kept', { kind: 'truncate', bytes: 100 }, 502, /truncated upstream response/],
  ['500', { kind: 'status', status: 500, body: 'internal error' }, 502, /upstream answered HTTP 500/],
];

/** The tile of the same COG read from disk: the pixels a healthy source gives. */
async function healthyTile() {
  const res = await app.inject(`${TILE}?${q({ url: fixture(COG) })}`);
  expect(res.statusCode).toBe(200);
  return res.rawPayload;
}

async function expectHealthy(url: string) {
  const res = await app.inject(`${TILE}?${q({ url })}`);
  expect(res.statusCode, res.body).toBe(200);
  expect(Buffer.compare(res.rawPayload, await healthyTile())).toBe(0);
}

describe('/cog over a faulty HTTP source', () => {
  it.each(FAULTS)('%s on every read: /cog/info and the tile fail cleanly, then work once the fault is gone', async (_name, fault, status, detail) => {
    const url = faultyUrl();
    proxy.inject({ fault });
    await expectJsonError(app, `/cog/info?${q({ url })}`, status, detail);
    await expectJsonError(app, `${TILE}?${q({ url })}`, status, detail);
    await proxy.clear();
    const info = await app.inject(`/cog/info?${q({ url })}`);
    expect(info.statusCode).toBe(200);
    expect(info.json()).toEqual((await app.inject(`/cog/info?${q({ url: fixture(COG) })}`)).json());
    await expectHealthy(url);
  });

  it.each(FAULTS)('%s on the block reads of a COG whose header is cached: 5xx, then the right pixels', async (_name, fault, status, detail) => {
    const url = faultyUrl();
    expect((await app.inject(`/cog/info?${q({ url })}`)).statusCode).toBe(200);
    proxy.inject({ fault, method: 'GET' });
    await expectJsonError(app, `${TILE}?${q({ url })}`, status, detail);
    expect(proxy.faulted()).toBeGreaterThan(0); // the blocks were read upstream, through the fault
    await proxy.clear();
    await expectHealthy(url);
  });

  it('a fault on the first read only: the next request reads again and succeeds', async () => {
    const url = faultyUrl();
    proxy.inject({ fault: { kind: 'reset', afterBytes: 10 }, times: 1 });
    await expectJsonError(app, `${TILE}?${q({ url })}`, 502, /truncated|failed/);
    await expectHealthy(url);
  });

  it('an upstream that ignores Range (200 with the whole file) gives the same tile', async () => {
    const url = faultyUrl();
    proxy.inject({ fault: { kind: 'ignoreRange' } });
    await expectHealthy(url);
    expect(proxy.requests.filter((r) => r.url.endsWith(`case=${cases}`) && r.fault === 'ignoreRange').length).toBeGreaterThan(0);
  });

  it('an upstream that answers 200 with less than asked (its file looks cut): 422, not remembered once it answers in full', async () => {
    const url = faultyUrl();
    proxy.inject({ fault: { kind: 'short', bytes: 2000 } });
    await expectJsonError(app, `${TILE}?${q({ url })}`, 422, /cannot read GeoTIFF/);
    await proxy.clear();
    await expectHealthy(url); // the short header chunk and size were dropped with the source

    // the same on the block reads, the header being cached: the blocks are not there
    const warm = faultyUrl();
    expect((await app.inject(`/cog/info?${q({ url: warm })}`)).statusCode).toBe(200);
    proxy.inject({ fault: { kind: 'short', bytes: 2000 } });
    await expectJsonError(app, `${TILE}?${q({ url: warm })}`, 422, /corrupt or unsupported block .*: unexpected end of file/);
    await proxy.clear();
    await expectHealthy(warm);
  });

  it('concurrent requests sharing one failing read all get the error; the next ones all get the tile', async () => {
    const url = faultyUrl();
    expect((await app.inject(`/cog/info?${q({ url })}`)).statusCode).toBe(200);
    proxy.inject({ fault: { kind: 'reset', afterBytes: 10 } });
    const failed = await Promise.all(Array.from({ length: 8 }, () => app.inject(`${TILE}?${q({ url })}`)));
    for (const res of failed) {
      expect(res.statusCode).toBe(502);
      expect(res.json().detail).toMatch(/truncated|failed/);
    }
    await proxy.clear();
    const healthy = await healthyTile();
    const served = await Promise.all(Array.from({ length: 8 }, () => app.inject(`${TILE}?${q({ url })}`)));
    for (const res of served) {
      expect(res.statusCode).toBe(200);
      expect(Buffer.compare(res.rawPayload, healthy)).toBe(0);
    }
  });
});

describe('/mesh over a faulty Terrarium source', () => {
  const { z, x0, y0 } = FUJI_TILES;
  const meshPath = (template: string) => `/mesh/tiles/${z}/${x0}/${y0}.terrain?${q({ url: template, mesh_max_error: 15 })}`;
  let cases = 0;
  // a template of its own per case (an ignored query string), so no cache is shared between cases
  const faultyTemplate = () => `${proxy.url}/{z}/{x}/{y}.png?case=${++cases}`;

  async function expectHealthyMesh(template: string) {
    const res = await app.inject(meshPath(template));
    expect(res.statusCode, res.body).toBe(200);
    const healthy = await app.inject(meshPath(`${http.url}/{z}/{x}/{y}.png`));
    expect(healthy.statusCode).toBe(200);
    expect(Buffer.compare(res.rawPayload, healthy.rawPayload)).toBe(0);
  }

  it.each(FAULTS)('%s: a clean error, then the same mesh as from a healthy source', async (_name, fault, status, detail) => {
    const template = faultyTemplate();
    proxy.inject({ fault });
    await expectJsonError(app, meshPath(template), status, detail);
    await proxy.clear();
    await expectHealthyMesh(template);
  });

  it('url=terrarium through the configured template: a 500 on one neighbour tile fails the mesh, which works once it answers', async () => {
    proxy.inject({ fault: { kind: 'status', status: 500 }, path: new RegExp(`/${z}/${x0 + 1}/${y0}\\.png$`) });
    await expectJsonError(app, `/mesh/tiles/${z}/${x0}/${y0}.terrain?url=terrarium`, 502, /HTTP 500/);
    await proxy.clear();
    const res = await app.inject(`/mesh/tiles/${z}/${x0}/${y0}.terrain?url=terrarium`);
    expect(res.statusCode).toBe(200);
    const healthy = await app.inject(`/mesh/tiles/${z}/${x0}/${y0}.terrain?${q({ url: `${http.url}/{z}/{x}/{y}.png` })}`);
    expect(Buffer.compare(res.rawPayload, healthy.rawPayload)).toBe(0);
  });

  it('an elevation PNG shorter than it should be (200, consistent length): 502 corrupt PNG, then the right mesh', async () => {
    const template = faultyTemplate();
    proxy.inject({ fault: { kind: 'short', bytes: 500 } });
    await expectJsonError(app, meshPath(template), 502, /corrupt PNG elevation tile/);
    await proxy.clear();
    await expectHealthyMesh(template);
  });
});
