/**
 * Seeding: renders every meta-tile over a region and zoom range ahead of time, a bounded number at once. Resumable:
 * a meta-tile whose tiles (those inside the region and the layer) are all in S3 is skipped.
 */
import type { CacheLayer, TileExt } from './config.js';
import type { TileCache } from './tile-cache.js';
import { metaTileOf, tileInLayer, tileKey, tileRange, type MetaTile } from './tms.js';

export interface SeedOptions {
  layer: CacheLayer;
  /** [minLon, minLat, maxLon, maxLat] */
  bbox: [number, number, number, number];
  zooms: number[];
  ext: TileExt;
  concurrency: number;
  /** Render even when the tiles are in S3. */
  force?: boolean;
  onProgress?: (p: SeedProgress) => void;
}

export interface SeedProgress {
  total: number;
  done: number;
  rendered: number;
  skipped: number;
  failed: number;
  tilesWritten: number;
  elapsedMs: number;
}

export interface SeedSummary extends SeedProgress {
  errors: Array<{ meta: MetaTile; error: string }>;
}

/** The meta-tiles covering the region at each zoom, with the tiles of each inside the region and the layer. */
export function seedPlan(layer: CacheLayer, bbox: [number, number, number, number], zooms: number[]) {
  const plan: Array<{ meta: MetaTile; tiles: Array<{ z: number; x: number; y: number }> }> = [];
  for (const z of zooms) {
    if (z < layer.minZoom || z > layer.maxZoom) continue;
    const [x0, y0, x1, y1] = tileRange(bbox, z);
    const m = layer.metaSize;
    for (let my = Math.floor(y0 / m) * m; my <= y1; my += m) {
      for (let mx = Math.floor(x0 / m) * m; mx <= x1; mx += m) {
        const meta = metaTileOf(z, mx, my, m);
        const tiles = [];
        for (let y = Math.max(y0, meta.y0); y <= Math.min(y1, meta.y0 + meta.h - 1); y++) {
          for (let x = Math.max(x0, meta.x0); x <= Math.min(x1, meta.x0 + meta.w - 1); x++) {
            if (tileInLayer(layer, { z, x, y })) tiles.push({ z, x, y });
          }
        }
        if (tiles.length > 0) plan.push({ meta, tiles });
      }
    }
  }
  return plan;
}

export async function seed(cache: TileCache, opts: SeedOptions): Promise<SeedSummary> {
  const { layer, ext } = opts;
  const plan = seedPlan(layer, opts.bbox, opts.zooms);
  const start = Date.now();
  const s: SeedSummary = { total: plan.length, done: 0, rendered: 0, skipped: 0, failed: 0, tilesWritten: 0, elapsedMs: 0, errors: [] };
  const report = () => opts.onProgress?.({ ...s, elapsedMs: Date.now() - start });
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const { meta, tiles } = plan[next++];
      try {
        const present = opts.force
          ? false
          : (await Promise.all(tiles.map((t) => cache.store.exists(layer.bucket, tileKey(layer, { ...t, ext }))))).every(Boolean);
        if (present) s.skipped++;
        else {
          const before = cache.stats.puts;
          await cache.renderMeta(layer, meta, ext);
          s.rendered++;
          s.tilesWritten += cache.stats.puts - before;
        }
      } catch (e) {
        s.failed++;
        s.errors.push({ meta, error: (e as Error).message });
      }
      s.done++;
      report();
    }
  };
  report();
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, plan.length)) }, worker));
  s.elapsedMs = Date.now() - start;
  return s;
}

/** `10-14`, `3,5,7` or `12` -> zoom list. */
export function parseZooms(s: string): number[] {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new Error(`bad --zooms: ${s}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b > 30) throw new Error(`bad --zooms: ${s}`);
    for (let z = a; z <= b; z++) out.add(z);
  }
  return [...out].sort((x, y) => x - y);
}

export function parseBbox(s: string): [number, number, number, number] {
  const v = s.split(',').map(Number);
  if (v.length !== 4 || v.some((n) => !Number.isFinite(n)) || v[0] >= v[2] || v[1] >= v[3]) throw new Error(`bad --bbox: ${s}`);
  return v as [number, number, number, number];
}
