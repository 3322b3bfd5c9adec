/**
 * `npm run seed -- --layer L --bbox minLon,minLat,maxLon,maxLat --zooms 10-14 [--format png|jpg] [--concurrency 4] [--force]`
 * Renders a region of a tile-cache layer into S3 ahead of time (configuration from the same environment as the
 * server). Progress (meta-tiles, rate, ETA) goes to stderr; the summary to stdout. Exit code 1 when a meta-tile failed.
 */
import { parseArgs } from 'node:util';
import { loadTileCacheConfig, type TileExt } from './config.js';
import { runCutTask } from './cut-task.js';
import { S3Store } from './s3-store.js';
import { parseBbox, parseZooms, seed, type SeedProgress } from './seed.js';
import { TileCache } from './tile-cache.js';

const USAGE = 'usage: npm run seed -- --layer NAME --bbox minLon,minLat,maxLon,maxLat --zooms 10-14 [--format png|jpg] [--concurrency 4] [--force]';

const fmtTime = (s: number) => (!Number.isFinite(s) ? '?' : s >= 3600 ? `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m` : s >= 60 ? `${Math.floor(s / 60)}m${Math.round(s % 60)}s` : `${Math.round(s)}s`);

function progressLine(p: SeedProgress): string {
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const eta = rate > 0 ? (p.total - p.done) / rate : Infinity;
  const width = 30;
  const filled = p.total ? Math.round((p.done / p.total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.done}/${p.total} meta-tiles ` +
    `(${p.rendered} rendered, ${p.skipped} skipped, ${p.failed} failed) ${rate.toFixed(1)}/s ETA ${p.done === p.total ? '0s' : fmtTime(eta)}`;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      layer: { type: 'string' }, bbox: { type: 'string' }, zooms: { type: 'string' }, format: { type: 'string' },
      concurrency: { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help) { console.log(USAGE); return 0; }
  const config = loadTileCacheConfig();
  const layer = values.layer ? config.layers.find((l) => l.name === values.layer) : config.layers.length === 1 ? config.layers[0] : undefined;
  if (!layer) throw new Error(`unknown layer ${values.layer ?? '(none given)'}; configured: ${config.layers.map((l) => l.name).join(', ') || 'none'}\n${USAGE}`);
  if (!values.bbox || !values.zooms) throw new Error(USAGE);
  const ext = (values.format === 'jpeg' ? 'jpg' : values.format ?? layer.formats[0]) as TileExt;
  if (!layer.formats.includes(ext)) throw new Error(`layer ${layer.name} has no ${ext} tiles`);
  const concurrency = Math.max(1, Number(values.concurrency ?? 4) | 0);
  const log = {
    warn: (o: object, m: string) => process.stderr.write(`\nwarn: ${m} ${JSON.stringify(o)}\n`),
    error: (o: object, m: string) => process.stderr.write(`\nerror: ${m} ${JSON.stringify(o)}\n`),
  };
  const store = new S3Store(config, log);
  const cache = new TileCache(config, store, runCutTask, log);
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  const summary = await seed(cache, {
    layer, ext, concurrency, force: values.force, bbox: parseBbox(values.bbox), zooms: parseZooms(values.zooms),
    onProgress: (p) => {
      const now = Date.now();
      if (p.done !== p.total && now - lastPrint < (tty ? 100 : 2000)) return;
      lastPrint = now;
      process.stderr.write(tty ? `\r${progressLine(p)}` : `${progressLine(p)}\n`);
    },
  });
  await cache.flush();
  store.close();
  if (tty) process.stderr.write('\n');
  const secs = summary.elapsedMs / 1000;
  console.log(`seeded ${layer.name} (${ext}) zooms ${values.zooms} bbox ${values.bbox}: ${summary.total} meta-tiles, ` +
    `${summary.rendered} rendered, ${summary.skipped} skipped (already in S3), ${summary.failed} failed; ` +
    `${summary.tilesWritten} tiles written, ${cache.stats.getMaps} GetMap requests, ${fmtTime(secs)} (${(summary.done / Math.max(secs, 1e-3)).toFixed(1)} meta-tiles/s)`);
  for (const e of summary.errors.slice(0, 20)) console.log(`failed: z${e.meta.z} meta ${e.meta.x0},${e.meta.y0}: ${e.error}`);
  return summary.failed > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => {
  console.error(e.message);
  process.exitCode = 2;
});
