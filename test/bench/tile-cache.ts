// Part 'cache': the S3 tile cache (/tms) against MapServer (mapserv CGI per request, as the tests run it) and
// s3rver, all on loopback. Cold: a block of missing tiles asked at concurrency 8 (render, cut, answer, store), with
// meta-tiling on (4x4) and off; warm: the same tiles served from S3 through the app (GET hit) and by s3rver itself
// (the website path a client takes once a tile is stored). Counts GetMap requests per tile.
import type { AddressInfo } from 'node:net';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { buildApp } from '../../src/server/app.js';
import { startMapServer } from '../helpers/mapserver.js';
import { S3RVER_CREDENTIALS, startS3 } from '../helpers/s3rver.js';

export interface CacheBenchRow {
  mode: string;
  tiles: number;
  seconds: number;
  tilesPerSec: number;
  /** WMS GetMap requests per tile (cold rows). */
  getMapsPerTile: number;
  /** Mean body size in bytes. */
  meanBytes: number;
}

async function drive(urls: string[], concurrency: number): Promise<{ seconds: number; bytes: number }> {
  let next = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      const res = await fetch(url);
      const body = await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${Buffer.from(body).toString().slice(0, 200)}`);
      bytes += body.byteLength;
    }
  }));
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

/** `side` x `side` tiles at z12 over the RGB fixture (a multiple of 4 keeps whole meta-tiles). */
export async function benchTileCache(side: number, log: (s: string) => void): Promise<CacheBenchRow[]> {
  process.env.AWS_ACCESS_KEY_ID ??= S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY ??= S3RVER_CREDENTIALS.secretAccessKey;
  const [wms, s3] = await Promise.all([startMapServer(), startS3({ buckets: ['bench'] })]);
  const app = buildApp({
    config: {
      workers: 2,
      tileCache: buildTileCacheConfig({
        bucket: 'bench',
        s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
        layers: [
          { name: 'meta', wmsServer: wms.url, wmsLayers: 'rgb', prefix: 'meta/', metaSize: 4 },
          { name: 'single', wmsServer: wms.url, wmsLayers: 'rgb', prefix: 'single/', metaSize: 1, metaBuffer: 0 },
        ],
      }),
    },
  });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // z12 over lon 0..2.56, lat -2.56..0: TMS x from 2048, y below 2047
    const tiles: Array<[number, number]> = [];
    for (let j = 0; j < side; j++) for (let i = 0; i < side; i++) tiles.push([2048 + i, 2043 - j]);
    const rows: CacheBenchRow[] = [];
    const row = (mode: string, r: { seconds: number; bytes: number }, getMaps: number, n = tiles.length) => {
      const out = { mode, tiles: n, seconds: r.seconds, tilesPerSec: n / r.seconds, getMapsPerTile: getMaps / n, meanBytes: r.bytes / n };
      log(`  ${mode}: ${out.tilesPerSec.toFixed(1)} tiles/s, ${out.getMapsPerTile.toFixed(3)} GetMap/tile`);
      rows.push(out);
    };
    for (const layer of ['meta', 'single']) {
      const before = wms.getMaps();
      const r = await drive(tiles.map(([x, y]) => `${base}/tms/1.0.0/${layer}/12/${x}/${y}.png`), 8);
      row(`cold, meta-tiles ${layer === 'meta' ? '4x4' : 'off'} (render + store)`, r, wms.getMaps() - before);
    }
    // let the writes land before the warm runs
    await app.close().catch(() => undefined);
    const app2 = buildApp({ config: { workers: 2, tileCache: buildTileCacheConfig({ bucket: 'bench', s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true }, layers: [{ name: 'meta', wmsServer: wms.url, wmsLayers: 'rgb', prefix: 'meta/' }] }) } });
    await app2.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base2 = `http://127.0.0.1:${(app2.server.address() as AddressInfo).port}`;
      // each tile 4 times, after a warm-up pass (connections, credentials)
      const viaApp = tiles.map(([x, y]) => `${base2}/tms/1.0.0/meta/12/${x}/${y}.png`);
      const viaS3 = tiles.map(([x, y]) => `${s3.endpoint}/bench/meta/12/${x}/${y}.png`);
      await drive(viaApp, 8);
      await drive(viaS3, 8);
      const before = wms.getMaps();
      const rep = (u: string[]) => [...u, ...u, ...u, ...u];
      row('warm, through the app (S3 GET hit)', await drive(rep(viaApp), 8), wms.getMaps() - before, 4 * tiles.length);
      row('warm, S3 itself (s3rver website GET)', await drive(rep(viaS3), 8), 0, 4 * tiles.length);
    } finally {
      await app2.close();
    }
    return rows;
  } finally {
    await app.close().catch(() => undefined);
    await Promise.all([wms.close(), s3.close()]);
  }
}

export function cacheTable(rows: CacheBenchRow[]): string {
  const lines = ['| tile cache (MapServer CGI + s3rver, concurrency 8) | tiles | tiles/s | GetMap/tile | mean bytes |', '|---|---|---|---|---|'];
  for (const r of rows) lines.push(`| ${r.mode} | ${r.tiles} | ${r.tilesPerSec.toFixed(1)} | ${r.getMapsPerTile.toFixed(3)} | ${r.meanBytes.toFixed(0)} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(cacheTable(await benchTileCache(Number(process.argv[2] ?? 8), (s) => process.stderr.write(s + '\n'))));
}
