import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { StacItem } from '../../src/stac/types.js';
import { tileForLonLat } from '../../src/tiling/web-mercator.js';
import { FIXTURES, parseNpy, q, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';

/**
 * A mosaic tile reads an item's assets together: under load every read and render waits in the
 * worker pool's queue, so reading them one after the other made a 3-asset tile wait three times
 * (found by `npm run loadtest`). Checked without timing: the HTTP source holds every block read
 * until reads of both assets are waiting (they only can be when the assets are read at once).
 */
const FILE = 'riotiler-cog_uint16_utm_ovr.tif'; // UTM 21N, 800 KB: its blocks are not in the header bytes
const [W, S, E, N] = [-61.29, 72.22, -52.3, 74.67]; // its footprint's bounding box
const TILE = tileForLonLat(-58.2, 73.4, 7);

let http: RangeServer;
let api: StacApi;
let app: FastifyInstance;
let holding = false;
const waiting = new Map<string, () => void>(); // asset -> release
let releasedBy: 'both assets waiting' | 'timeout' | undefined;

/** While holding: keeps each block read waiting until reads of both assets wait (or 3 s pass: the old, one-by-one order). */
function hold(req: IncomingMessage): Promise<void> | undefined {
  if (!holding) return undefined;
  const asset = new URL(req.url ?? '/', 'http://x').searchParams.get('asset') ?? '';
  return new Promise((resolve) => {
    const previous = waiting.get(asset);
    waiting.set(asset, () => (previous?.(), resolve()));
    const releaseAll = (why: typeof releasedBy) => {
      if (!holding) return;
      holding = false;
      releasedBy = why;
      for (const release of waiting.values()) release();
    };
    if (waiting.size >= 2) releaseAll('both assets waiting');
    else setTimeout(() => releaseAll('timeout'), 3000).unref();
  });
}

describe('/stac/mosaic reads the assets of an item together', () => {
  beforeAll(async () => {
    http = await startRangeServer(FIXTURES, { hold });
    const item = cloneItem(fixtureItems().v1S2, { id: 'RGB', datetime: '2023-10-09T00:00:00Z' });
    item.geometry = { type: 'Polygon', coordinates: [[[W, S], [E, S], [E, N], [W, N], [W, S]]] } as StacItem['geometry'];
    item.bbox = [W, S, E, N];
    item.assets = { red: { ...item.assets.red!, href: `${http.url}/${FILE}?asset=red` }, green: { ...item.assets.green!, href: `${http.url}/${FILE}?asset=green` } };
    api = await startStacApi([item]);
    // no block cache: the second request of the tile reads its blocks again (its headers are cached)
    app = await testApp({ blockCacheBytes: 0 }, [http.url + '/', api.root]);
  });
  afterAll(async () => {
    await app?.close();
    await Promise.all([http?.close(), api?.close()]);
  });

  it('both assets wait for their blocks at the same time, and the tile is the same', async () => {
    const path = `/stac/mosaic/tiles/WebMercatorQuad/${TILE.z}/${TILE.x}/${TILE.y}.npy?${q({ url: api.url, assets: 'red,green' })}`;
    const first = await app.inject(path);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.headers['x-assets']).toBe('RGB/red,RGB/green');
    holding = true;
    const second = await app.inject(path);
    expect(releasedBy).toBe('both assets waiting');
    expect(second.statusCode).toBe(200);
    const [a, b] = [await parseNpy(first.rawPayload), await parseNpy(second.rawPayload)];
    expect(b.shape).toEqual([3, 256, 256]);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});
