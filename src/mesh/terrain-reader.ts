import { LRUCache } from 'lru-cache';
import { countLookup, newCacheStats } from '../cache-stats.js';
import type { CogReader } from '../cog/cog-reader.js';
import type { ServerConfig } from '../config.js';
import { HttpError, notFound } from '../server/errors.js';
import type { WorkerPool } from '../server/worker-pool.js';
import { openSource } from '../sources/open-source.js';
import { redactUrl } from '../sources/redact.js';
import { intersectsDataset, planRaster } from '../tiling/tile-plan.js';
import { tileBoundsMercator, type TileIndex } from '../tiling/web-mercator.js';
import type { ElevationInput, MeshOrientation, MeshQuantizer, MeshTask } from './mesh-task.js';
import { tileUrl, type TerrainSource } from './terrain-source.js';

/**
 * The front of /mesh: fetches the elevation a tile needs (its PNG and the east, south and
 * south-east neighbours', or a grid read from a DEM COG), keeps decoded elevation tiles and finished
 * meshes in byte-bounded LRU caches, and runs the CPU work in the pool. Identical requests in
 * flight share one computation; failures are never cached.
 */
export interface MeshRequest {
  source: TerrainSource;
  tile: TileIndex;
  /** 1, 2 or 4: a grid of 256 x scale (+1) points. */
  scale: number;
  maxError: number;
  quantizer: MeshQuantizer;
  orientation: MeshOrientation;
  extensions: { octNormals: boolean; metadata: boolean };
  signal?: AbortSignal;
}

/** An elevation PNG is small; anything larger than this is not one. */
const MAX_PNG_BYTES = 8 * 1024 * 1024;
const TILE_SIZE = 256;

export class TerrainReader {
  private readonly elevation: LRUCache<string, SharedArrayBuffer>;
  private readonly meshes: LRUCache<string, Uint8Array>;
  private readonly inflight = new Map<string, Promise<Uint8Array>>();
  /** Lookups of the two caches (a mesh taken from an identical request in flight is a miss). */
  readonly cacheCounts = { elevation: newCacheStats(), mesh: newCacheStats() };

  constructor(private readonly config: ServerConfig, private readonly pool: WorkerPool, private readonly cogs: CogReader) {
    this.elevation = new LRUCache({ maxSize: Math.max(1, config.elevationCacheBytes), sizeCalculation: (b) => Math.max(1, b.byteLength) });
    this.meshes = new LRUCache({ maxSize: Math.max(1, config.meshCacheBytes), sizeCalculation: (b) => Math.max(1, b.byteLength) });
  }

  async mesh(req: MeshRequest): Promise<Uint8Array> {
    const key = meshKey(req);
    const cached = this.meshes.get(key);
    countLookup(this.cacheCounts.mesh, cached !== undefined);
    if (cached) return cached;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.build(req).then((body) => {
        if (this.config.meshCacheBytes > 0) this.meshes.set(key, body);
        return body;
      });
      pending.finally(() => this.inflight.delete(key)).catch(() => {});
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async build(req: MeshRequest): Promise<Uint8Array> {
    const task: MeshTask = {
      kind: 'mesh', tile: req.tile, size: TILE_SIZE * req.scale, maxError: req.maxError, quantizer: req.quantizer,
      orientation: req.orientation, extensions: req.extensions,
    };
    if (req.source.kind === 'png') {
      task.encoding = req.source.encoding;
      task.tiles = await this.pngTiles(req.source.template, req.source.encoding, req.tile, req.scale, req.signal);
    } else {
      task.grid = await this.cogGrid(req.source.url, req.tile, TILE_SIZE * req.scale, req.signal);
    }
    const result = await this.pool.mesh(task, req.signal);
    for (const d of result.decoded) this.elevation.set(d.key, d.data);
    return result.body;
  }

  /**
   * The PNG tiles of tile t at `scale` (its scale x scale children one or two zooms down) and of the
   * east column, south row and south-east corner next to them (missing ones are undefined).
   */
  private async pngTiles(template: string, encoding: string, t: TileIndex, scale: number, signal?: AbortSignal): Promise<NonNullable<MeshTask['tiles']>> {
    const z = t.z + Math.log2(scale);
    const n = 2 ** z;
    const x0 = t.x * scale, y0 = t.y * scale;
    const east = (x0 + scale) % n; // the world wraps at the antimeridian
    const south = y0 + scale < n ? y0 + scale : undefined;
    const get = (x: number, y: number | undefined) => (y === undefined ? Promise.resolve(undefined) : this.elevationInput(template, encoding, z, x, y, signal));
    const range = Array.from({ length: scale }, (_, i) => i);
    const [center, eastTiles, southTiles, southEast] = await Promise.all([
      Promise.all(range.flatMap((j) => range.map((i) => get(x0 + i, y0 + j)))),
      Promise.all(range.map((j) => get(east, y0 + j))),
      Promise.all(range.map((i) => get(x0 + i, south))),
      get(east, south),
    ]);
    if (center.every((c) => !c)) throw notFound(`no elevation tile ${t.z}/${t.x}/${t.y} at ${redactUrl(template)}`);
    return { scale, childSize: TILE_SIZE, center, east: eastTiles, south: southTiles, southEast };
  }

  private async elevationInput(template: string, encoding: string, z: number, x: number, y: number, signal?: AbortSignal): Promise<ElevationInput | undefined> {
    const url = tileUrl(template, z, x, y);
    const key = `${encoding}:${url}`;
    const decoded = this.elevation.get(key);
    countLookup(this.cacheCounts.elevation, decoded !== undefined);
    if (decoded) return { key, decoded };
    try {
      const source = await openSource(url, this.config);
      const png = await source.read({ offset: 0, length: MAX_PNG_BYTES }, signal);
      return { key, png };
    } catch (err) {
      if (err instanceof HttpError && err.status === 404) return undefined;
      throw err;
    }
  }

  /**
   * The (n+1)^2 grid of a DEM COG for tile t: samples at the pixel corners of the n x n tile, so that
   * neighbours share their edge samples (bilinear, nodata as NaN).
   */
  private async cogGrid(url: string, t: TileIndex, size: number, signal?: AbortSignal): Promise<Float32Array> {
    const header = await this.cogs.header(url, signal);
    const [minx, miny, maxx, maxy] = tileBoundsMercator(t);
    if (!intersectsDataset(header, [minx, miny, maxx, maxy])) throw notFound(`tile ${t.z}/${t.x}/${t.y} is outside the bounds of the DEM`);
    const half = (maxx - minx) / size / 2;
    const g = size + 1;
    const plan = planRaster(header, [minx - half, miny - half, maxx + half, maxy + half], g, g, 'bilinear');
    const grid = new Float32Array(g * g).fill(NaN);
    if (!plan) return grid;
    const result = await this.cogs.render(header, plan, { bands: [0], resampling: 'bilinear', output: 'values', signal });
    const { data, mask } = result.values!;
    for (let i = 0; i < grid.length; i++) if (mask[i] !== 0) grid[i] = Number(data[i]);
    return grid;
  }

  get cacheStats() {
    return { elevationTiles: this.elevation.size, elevationBytes: this.elevation.calculatedSize, meshes: this.meshes.size, meshBytes: this.meshes.calculatedSize };
  }
}

function meshKey(r: MeshRequest): string {
  const src = r.source.kind === 'png' ? `${r.source.encoding}:${r.source.template}` : `cog:${r.source.url}`;
  const ext = `${r.extensions.octNormals ? 'n' : ''}${r.extensions.metadata ? 'm' : ''}`;
  return `${src}|${r.tile.z}/${r.tile.x}/${r.tile.y}@${r.scale}|${r.maxError}|${r.quantizer}|${r.orientation}|${ext}`;
}
