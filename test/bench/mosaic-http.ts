// Part `mosaic`: /stac/mosaic/tiles/WebMercatorQuad/{z}/{x}/{y}.npy?assets=red&url=<STAC /search>
// over real sockets, for 1, 4 and 16 overlapping items, pixel_selection first (default) and mean.
// At the start, 16 COGs are cut with gdal_translate from riotiler-cog_uint16_utm_ovr.tif (1000 x 1000
// pixel windows, each shifted 16 pixels right and down from the one before, so that all 16 cover
// the 2 x 2 block of z9 tiles the benchmark requests), served with Range by tile-server.ts in its own
// process. Their items are clones of the real Earth Search v1 S2 item (test/helpers/stac-api.ts),
// geometry = the COG's footprint (gdalinfo wgs84Extent), asset `red` = the COG, served by the real
// STAC API stand-in on loopback (in this process: with the server's STAC search cache, default
// STAC_CACHE_TTL_SECONDS 300, it is asked once per tile). Each scenario has its own API and a fresh
// app (default caches); the 4 tiles are requested once (checked: 200, npy, the expected items in
// x-assets), 32 warm-up requests follow, and then the load client (http-load.ts, another process, concurrency 8, URLs unique
// through &_=N) runs for the time budget: warm block and search caches, as part (c) `http`.
// With `first` the server stops reading items once every pixel is filled: with fully overlapping
// items that is the first batch of MOSAIC_CONCURRENCY (4) items, whatever N is; `mean` reads all N.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { buildApp } from '../../src/server/app.js';
import type { StacItem } from '../../src/stac/types.js';
import { tileForLonLat } from '../../src/tiling/web-mercator.js';
import { cloneItem, fixtureItems, startStacApi } from '../helpers/stac-api.js';
import { get, type LoadResult } from './http-load.js';
import { ask, forkBenchChild, runBenchChild } from './bench-child.js';
import { table } from './report.js';
import { FIXTURES } from './scenarios.js';

const run = promisify(execFile);

export interface MosaicRow extends LoadResult {
  items: number;
  pixelSelection: 'first' | 'mean';
  concurrency: number;
  /** Items the server read for the checked tile (x-assets of the first request). */
  itemsRead: number;
  /** Event-loop utilization of the server's main thread during the run. */
  serverElu: number;
}

/** TiTiler 0.11, single-item STAC npy tiles on this machine (measured separately); the goal is 3x. */
export const TITILER_STAC_NPY_REQ_PER_SEC = 72;

const ITEM_COUNTS = [1, 4, 16];
const METHODS = ['first', 'mean'] as const;
const WINDOW = 1000, OFFSET = 800, STEP = 16;

type Ring = number[][];

function item(id: string, datetime: string, href: string, geometry: StacItem['geometry']): StacItem {
  const copy = cloneItem(fixtureItems().v1S2, { id, datetime });
  copy.geometry = geometry;
  const ring = (geometry as { coordinates: Ring[] }).coordinates[0]!;
  copy.bbox = [Math.min(...ring.map((p) => p[0]!)), Math.min(...ring.map((p) => p[1]!)), Math.max(...ring.map((p) => p[0]!)), Math.max(...ring.map((p) => p[1]!))];
  copy.assets = { red: { ...copy.assets.red!, href } };
  return copy;
}

export async function benchMosaicHttp(durationMs: number, log: (s: string) => void): Promise<MosaicRow[]> {
  const n = Math.max(...ITEM_COUNTS);
  log(`  cutting ${n} COGs (gdal_translate -of COG -srcwin, ${WINDOW} x ${WINDOW} px, shifted ${STEP} px each)`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-mosaic-'));
  const src = join(FIXTURES, 'riotiler-cog_uint16_utm_ovr.tif');
  const footprints: StacItem['geometry'][] = [];
  for (let k = 0; k < n; k++) {
    const o = String(OFFSET + STEP * k);
    const out = join(dir, `w${k}.tif`);
    await run('gdal_translate', ['-q', '-of', 'COG', '-srcwin', o, o, String(WINDOW), String(WINDOW), src, out]);
    footprints.push(JSON.parse((await run('gdalinfo', ['-json', out])).stdout).wgs84Extent);
  }
  // the tiles: the 2 x 2 z9 block around the centre of the area all windows cover
  const rings = footprints.map((g) => (g as { coordinates: Ring[] }).coordinates[0]!);
  const west = Math.max(...rings.map((r) => Math.min(...r.map((p) => p[0]!)))), east = Math.min(...rings.map((r) => Math.max(...r.map((p) => p[0]!))));
  const south = Math.max(...rings.map((r) => Math.min(...r.map((p) => p[1]!)))), north = Math.min(...rings.map((r) => Math.max(...r.map((p) => p[1]!))));
  const c = tileForLonLat((west + east) / 2, (south + north) / 2, 9);
  const tiles = [[0, 0], [1, 0], [0, 1], [1, 1]].map(([dx, dy]) => ({ z: 9, x: c.x - 1 + dx!, y: c.y - 1 + dy! }));

  const tileServer = forkBenchChild('./tile-server.ts');
  const agent = new Agent({ keepAlive: true });
  const rows: MosaicRow[] = [];
  try {
    const { url: cogUrl } = await ask<{ url: string }>(tileServer, { root: dir });
    for (const count of ITEM_COUNTS) {
      // newest first: w0 is the API's first item
      const items = Array.from({ length: count }, (_, k) =>
        item(`W${k}`, new Date(Date.UTC(2023, 9, 20 - k)).toISOString(), `${cogUrl}/w${k}.tif`, footprints[k]!));
      const api = await startStacApi(items);
      const app = buildApp({ config: { sourceAllowlist: [cogUrl + '/', api.root], allowPrivateAddresses: true } });
      try {
        await app.listen({ host: '127.0.0.1', port: 0 });
        const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
        for (const method of METHODS) {
          const paths = tiles.map((t) =>
            `/stac/mosaic/tiles/WebMercatorQuad/${t.z}/${t.x}/${t.y}.npy?assets=red&url=${encodeURIComponent(api.url)}${method === 'first' ? '' : `&pixel_selection=${method}`}`);
          let itemsRead = 0;
          for (const [i, path] of paths.entries()) {
            const r = await get(`${base}${path}&_=check`, agent);
            if (r.status !== 200 || r.body.subarray(1, 6).toString() !== 'NUMPY') throw new Error(`${path}: HTTP ${r.status} ${r.body.subarray(0, 200).toString()}`);
            if (i === 0) itemsRead = await assetsOf(`${base}${path}&_=assets`, agent);
          }
          if (method === 'mean' && itemsRead !== count) throw new Error(`mean over ${count} items read ${itemsRead}`);
          // warm the JIT and the caches: 32 requests, 8 at a time
          await Promise.all(Array.from({ length: 8 }, async (_, w) => {
            for (let k = 0; k < 4; k++) await get(`${base}${paths[(w + k) % paths.length]}&_=warm${w}-${k}`, agent);
          }));
          log(`  node:http c=8 ${count} item(s), pixel_selection=${method} (${itemsRead} read)`);
          const elu = performance.eventLoopUtilization();
          const r = await runBenchChild<LoadResult>('./http-load.ts', { base, paths, concurrency: 8, durationMs });
          rows.push({ items: count, pixelSelection: method, concurrency: 8, itemsRead, ...r, serverElu: performance.eventLoopUtilization(elu).utilization });
        }
      } finally {
        await app.close();
        await api.close();
      }
    }
  } finally {
    agent.destroy();
    tileServer.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The number of entries of a response's x-assets header. */
async function assetsOf(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(String(res.headers['x-assets'] ?? '').split(',').filter(Boolean).length));
    }).on('error', reject).end();
  });
}

export const mosaicTable = (rows: MosaicRow[]) =>
  table(
    `STAC mosaic npy tiles over HTTP on 127.0.0.1 (4 z9 tiles covered by every item, warm block and search caches, unique URLs;\n` +
      `    TiTiler 0.11 single-item STAC npy: ~${TITILER_STAC_NPY_REQ_PER_SEC} req/s on this machine, goal 3x = ${3 * TITILER_STAC_NPY_REQ_PER_SEC} req/s)`,
    ['items', 'pixel_selection', 'items read', 'conc', 'requests', 'req/s', 'x TiTiler', 'p50 ms', 'p99 ms', 'errors', 'server ELU', 'client CPU'],
    rows.map((r) => [r.items, r.pixelSelection, r.itemsRead, r.concurrency, r.requests, r.reqPerSec, `${(r.reqPerSec / TITILER_STAC_NPY_REQ_PER_SEC).toFixed(2)}x`, r.p50Ms, r.p99Ms, r.errors, r.serverElu, r.clientCpu ?? NaN]),
    [0, 0, 0, 0, 0, 1, 0, 2, 2, 0, 2, 2],
  );
