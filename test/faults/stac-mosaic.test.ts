import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StacItem } from '../../src/stac/types.js';
import { tileForLonLat } from '../../src/tiling/web-mercator.js';
import { expectJsonError, fixture, parseNpy, q, scratchDir, testApp } from '../helpers/app.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../helpers/fault-proxy.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';

/**
 * /stac/mosaic with a faulty STAC API and a faulty asset: the real STAC API and range server,
 * each behind a fault proxy. Each fault is a clean JSON error with the right status; nothing is
 * remembered (once the fault is gone the same request gives the tile of a healthy setup: the same
 * item with its asset read directly), and the server keeps serving.
 */
const dir = scratchDir();
const COG = 'riotiler-cog_uint16_utm_ovr.tif';
const TIMEOUT_MS = 1000; // generous: a busy 2-core machine must not time out a healthy read
const TILE = tileForLonLat(-58.2, 73.4, 7); // inside the COG (UTM 21N, Greenland)
copyFileSync(fixture(COG), join(dir, COG));

let http: RangeServer;
let assetProxy: FaultProxy;
let api: StacApi;
let healthyApi: StacApi;
let stacProxy: FaultProxy;
let app: FastifyInstance;

/** The real Earth Search item, over the COG's area, its `red` asset at href. */
function item(href: string): StacItem {
  const copy = cloneItem(fixtureItems().v1S2, { id: 'greenland', datetime: '2023-10-09T00:00:00Z' });
  const [w, s, e, n] = [-60, 72, -54, 75];
  copy.geometry = { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
  copy.bbox = [w, s, e, n];
  copy.assets = { red: { ...copy.assets.red, href } };
  return copy;
}

beforeAll(async () => {
  http = await startRangeServer(dir);
  assetProxy = await startFaultProxy(http.url);
  [api, healthyApi] = await Promise.all([startStacApi([item(`${assetProxy.url}/${COG}`)]), startStacApi([item(`${http.url}/${COG}`)])]);
  stacProxy = await startFaultProxy(new URL(api.url).origin);
  app = await testApp({ upstreamTimeoutMs: TIMEOUT_MS }, [http.url + '/', assetProxy.url + '/', stacProxy.url + '/', healthyApi.root]);
});
afterAll(async () => {
  await app?.close();
  await Promise.all([stacProxy?.close(), api?.close(), healthyApi?.close(), assetProxy?.close(), http?.close()]);
});
beforeEach(async () => {
  await stacProxy.clear();
  await assetProxy.clear();
});

const QUERY = JSON.stringify({ collections: ['sentinel-2-l2a'], datetime: '2023-10-01T00:00:00Z/2023-10-31T23:59:59Z' });
const mosaicPath = (searchUrl: string) =>
  `/stac/mosaic/tiles/WebMercatorQuad/${TILE.z}/${TILE.x}/${TILE.y}.npy?${q({ url: searchUrl, assets: 'red', query: QUERY })}`;
/** A search url of its own per case (the API ignores the query string), so no search is cached across cases. */
let cases = 0;
const searchUrl = () => `${stacProxy.url}/v1/search?case=${++cases}`;

async function expectHealthy(url: string) {
  const res = await app.inject(mosaicPath(url));
  expect(res.statusCode, res.body).toBe(200);
  const healthy = await app.inject(mosaicPath(healthyApi.url));
  expect(healthy.statusCode).toBe(200);
  expect(Buffer.compare(res.rawPayload, healthy.rawPayload)).toBe(0);
  const { data } = await parseNpy(res.rawPayload);
  expect(Array.from(data).some((v) => v !== 0)).toBe(true); // real pixels, not an empty tile
}

const searches = () => api.requests.filter((r) => r.path === '/v1/search').length;

describe('/stac/mosaic with a faulty STAC API', () => {
  it.each<[string, Fault, number, RegExp]>([
    ['500', { kind: 'status', status: 500, body: '{"code":"InternalError","description":"search index unavailable"}', contentType: 'application/json' }, 502, /STAC API answered HTTP 500: search index unavailable/],
    ['invalid JSON', { kind: 'invalidJson' }, 502, /malformed STAC response \(invalid JSON\)/],
    ['slow', { kind: 'delay', ms: 3 * TIMEOUT_MS }, 504, new RegExp(`timed out after ${TIMEOUT_MS} ms`)],
    ['connection reset mid-body', { kind: 'reset', afterBytes: 200 }, 502, /STAC API response could not be read|upstream request failed/],
    ['truncated body, Content-Length kept', { kind: 'truncate', bytes: 200 }, 502, /STAC API response could not be read|malformed STAC response/],
  ])('%s: a clean error, no search cached, the tile once the API recovers', async (_name, fault, status, detail) => {
    const url = searchUrl();
    stacProxy.inject({ fault });
    await expectJsonError(app, mosaicPath(url), status, detail);
    await stacProxy.clear();
    const before = searches();
    await expectHealthy(url);
    expect(searches()).toBeGreaterThan(before); // the failed search was not remembered
  });

  it('a STAC API failing on the second page: the partial search is not cached either', async () => {
    const url = searchUrl();
    api.options.maxLimit = 1; // one item a page
    api.items.push(cloneItem(api.items[0]!, { id: 'greenland-older', datetime: '2023-10-08T00:00:00Z' }));
    // once the first page is made, the next request (the second page, through the proxy too) fails, once
    let failNextPage = true;
    api.options.nextLink = (link) => {
      if (failNextPage) stacProxy.inject({ fault: { kind: 'status', status: 503, body: 'Service Unavailable' }, times: 1 });
      failNextPage = false;
      return link && { ...link, href: link.href.replace(new URL(api.url).origin, stacProxy.url) };
    };
    try {
      await expectJsonError(app, mosaicPath(url), 502, /STAC API answered HTTP 503: Service Unavailable/);
      await stacProxy.clear();
      const before = searches();
      const res = await app.inject(mosaicPath(url));
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['x-assets']).toBe('greenland/red,greenland-older/red');
      expect(searches() - before).toBe(2); // both pages asked again
    } finally {
      api.options.maxLimit = undefined;
      api.options.nextLink = undefined;
      api.items.pop();
    }
  });
});

describe('/stac/mosaic with a faulty asset', () => {
  it.each<[string, Fault, number, RegExp]>([
    ['500', { kind: 'status', status: 500, body: 'boom' }, 502, /upstream answered HTTP 500/],
    ['slow', { kind: 'delay', ms: 3 * TIMEOUT_MS }, 504, new RegExp(`timed out after ${TIMEOUT_MS} ms`)],
    ['connection reset', { kind: 'reset', afterBytes: 100 }, 502, /truncated upstream response|upstream request failed/],
    ['truncated body, Content-Length kept', { kind: 'truncate', bytes: 100 }, 502, /truncated upstream response/],
  ])('%s: a clean error, then the healthy tile', async (_name, fault, status, detail) => {
    const url = searchUrl();
    // a fresh asset url per case too, so no COG header or block is cached across cases
    api.items[0]!.assets.red!.href = `${assetProxy.url}/${COG}?case=${cases}`;
    assetProxy.inject({ fault });
    await expectJsonError(app, mosaicPath(url), status, detail);
    await assetProxy.clear();
    await expectHealthy(url);
  });
});
