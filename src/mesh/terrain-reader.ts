import { LRUCache } from 'lru-cache';
import { countLookup, newCacheStats } from '../cache-stats.js';
import type { CogReader } from '../cog/cog-reader.js';
import type { ServerConfig } from '../config.js';
import { HttpError, notFound } from '../server/errors.js';
import { InFlight, raceAbort } from '../server/in-flight.js';
import type { WorkerPool } from '../server/worker-pool.js';
import { openSource } from '../sources/open-source.js';
import { redactUrl } from '../sources/redact.js';
import { intersectsDataset, planRaster } from '../tiling/tile-plan.js';
import { tileBoundsMercator, type TileIndex } from '../tiling/web-mercator.js';
import { joinEdges, tileEdge, type ElevationPart } from './elevation-grid.js';
import type { MeshOrientation, MeshQuantizer, MeshTask } from './mesh-task.js';
import { tileUrl, type ElevationEncoding, type TerrainSource } from './terrain-source.js';

/**
 * The front of /mesh: gathers the elevation a tile needs (its PNG's heights and the east, south and
 * south-east neighbours' edges, or a grid read from a DEM COG), keeps decoded elevation and finished
 * meshes in byte-bounded LRU caches, and runs the CPU work in the pool. Identical meshes in flight
 * are computed once, and so are the decodes of one elevation tile that concurrent requests need (a
 * tile is its own, its west, north and north-west neighbours' neighbour); failures are never cached.
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
  /** Heights by `${encoding}:${url}|${part}`: whole tiles, and neighbours' first columns and rows. */
  private readonly elevation: LRUCache<string, Float32Array>;
  private readonly meshes: LRUCache<string, Uint8Array>;
  private readonly meshesInFlight = new InFlight<Uint8Array>();
  private readonly decodesInFlight = new InFlight<Float32Array | undefined>();
  /** Lookups of the two caches (a mesh or heights taken from a request in flight is a miss). */
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
    return this.meshesInFlight.run(key, async () => {
      const body = await this.build(req);
      if (this.config.meshCacheBytes > 0) this.meshes.set(key, body);
      return body;
    });
  }

  private async build(req: MeshRequest): Promise<Uint8Array> {
    const task: MeshTask = {
      kind: 'mesh', tile: req.tile, size: TILE_SIZE * req.scale, maxError: req.maxError, quantizer: req.quantizer,
      orientation: req.orientation, extensions: req.extensions,
    };
    if (req.source.kind === 'png') {
      task.tiles = await this.pngTiles(req.source.template, req.source.encoding, req.tile, req.scale, req.signal);
    } else {
      task.grid = await this.cogGrid(req.source.url, req.tile, TILE_SIZE * req.scale, req.signal);
    }
    const result = await this.pool.mesh(task, req.signal);
    return result.body;
  }

  /**
   * The heights of tile t at `scale` (its scale x scale children one or two zooms down) and the
   * edges of the tiles next to them: the first column of the tiles to the east, the first row of
   * those to the south and the first height of the south-east one (missing tiles: undefined).
   */
  private async pngTiles(template: string, encoding: ElevationEncoding, t: TileIndex, scale: number, signal?: AbortSignal): Promise<NonNullable<MeshTask['tiles']>> {
    const z = t.z + Math.log2(scale);
    const n = 2 ** z;
    const x0 = t.x * scale, y0 = t.y * scale;
    const east = (x0 + scale) % n; // the world wraps at the antimeridian
    const south = y0 + scale < n ? y0 + scale : undefined;
    const need = (x: number, y: number | undefined, part: ElevationPart): ElevationNeed | undefined =>
      (y === undefined ? undefined : elevationNeed(encoding, tileUrl(template, z, x, y), part));
    const range = Array.from({ length: scale }, (_, i) => i);
    const needs = [
      ...range.flatMap((j) => range.map((i) => need(x0 + i, y0 + j, 'full'))),
      ...range.map((j) => need(east, y0 + j, 'column')),
      ...range.map((i) => need(x0 + i, south, 'row')),
      need(east, south, 'row'),
    ];
    const heights = await raceAbort(this.heights(needs, encoding), signal);
    const center = heights.slice(0, scale * scale);
    if (center.every((c) => !c)) throw notFound(`no elevation tile ${t.z}/${t.x}/${t.y} at ${redactUrl(template)}`);
    const edges = heights.slice(scale * scale);
    return {
      scale, childSize: TILE_SIZE, center,
      edges: { eastColumn: joinEdges(edges.slice(0, scale), TILE_SIZE), southRow: joinEdges(edges.slice(scale, 2 * scale), TILE_SIZE), corner: edges[2 * scale]?.[0] },
    };
  }

  /**
   * The heights each need asks for (undefined: no such tile), taken from the cache (that part or the
   * whole tile), from a decode running for another request, or else decoded now: every PNG this
   * request has to decode itself is fetched and decoded in one worker task, whose parts other
   * requests can join while it runs.
   */
  private heights(needs: Array<ElevationNeed | undefined>, encoding: ElevationEncoding): Promise<Array<Float32Array | undefined>> {
    const mine = new Map<string, ElevationNeed>();
    const found = needs.map((need) => {
      if (!need) return undefined;
      const sources: ElevationPart[] = need.part === 'full' ? ['full'] : [need.part, 'full'];
      const cached = sources.map((from) => ({ from, hit: this.elevation.get(partId(need.key, from)) })).find((c) => c.hit);
      countLookup(this.cacheCounts.elevation, cached !== undefined);
      if (cached) return { heights: partOf(cached.hit, cached.from, need.part) };
      for (const from of sources) {
        const id = partId(need.key, from);
        if (this.decodesInFlight.get(id) || mine.has(id)) return { id, from };
      }
      // With a cache, an east neighbour is decoded whole: kepler asks for every tile of the view, so
      // it is usually wanted next as a tile of its own (0.3 ms more than its first column, 1 ms less
      // than decoding it again).
      const decode: ElevationPart = need.part === 'column' && this.config.elevationCacheBytes > 0 ? 'full' : need.part;
      mine.set(partId(need.key, decode), { ...need, part: decode });
      return { id: partId(need.key, decode), from: decode };
    });
    // registered before any await, so that requests arriving meanwhile join these decodes
    if (mine.size > 0) {
      const decoded = this.decode([...mine.values()], encoding);
      for (const id of mine.keys()) this.decodesInFlight.run(id, () => decoded.then((byId) => byId.get(id)));
    }
    return Promise.all(needs.map(async (need, i) => {
      const f = found[i];
      if (!need || !f) return undefined;
      if (f.heights) return f.heights;
      return partOf(await this.decodesInFlight.get(f.id!)!, f.from!, need.part);
    }));
  }

  /**
   * Fetches the PNGs and decodes the parts in one worker task; caches the heights. Shared by the
   * requests that join it, so it runs under the upstream timeout only, with no caller's signal.
   */
  private async decode(needs: ElevationNeed[], encoding: ElevationEncoding): Promise<Map<string, Float32Array | undefined>> {
    // One failed fetch fails the decode: the others are dropped then, not left running for a request
    // made after the upstream recovered to join and fail with.
    const fetches = new AbortController();
    const pngs = await Promise.all(needs.map((need) => this.fetchPng(need.url, fetches.signal))).catch((error: unknown) => {
      fetches.abort(error);
      throw error;
    });
    const tiles = needs.flatMap((need, i) => (pngs[i] ? [{ key: need.key, part: need.part, png: pngs[i] }] : []));
    const { heights } = tiles.length > 0 ? await this.pool.elevation({ kind: 'elevation', encoding, size: TILE_SIZE, tiles }) : { heights: [] };
    const byId = new Map<string, Float32Array | undefined>(needs.map((need) => [partId(need.key, need.part), undefined]));
    tiles.forEach((tile, i) => {
      const data = new Float32Array(heights[i]!);
      if (this.config.elevationCacheBytes > 0) this.elevation.set(partId(tile.key, tile.part), data);
      byId.set(partId(tile.key, tile.part), data);
    });
    return byId;
  }

  /** An elevation PNG's bytes; undefined when the tile does not exist (404: outside the dataset). */
  private async fetchPng(url: string, signal: AbortSignal): Promise<Uint8Array | undefined> {
    try {
      const source = await openSource(url, this.config);
      return await source.read({ offset: 0, length: MAX_PNG_BYTES }, signal);
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

/** One elevation tile's part a mesh needs. */
interface ElevationNeed {
  url: string;
  /** The tile's cache key. */
  key: string;
  part: ElevationPart;
}

const elevationNeed = (encoding: ElevationEncoding, url: string, part: ElevationPart): ElevationNeed => ({ url, key: `${encoding}:${url}`, part });

const partId = (key: string, part: ElevationPart) => `${key}|${part}`;

/** `part` of heights that are `decoded` (the same part, or the whole tile); undefined: a missing tile. */
function partOf(heights: Float32Array | undefined, decoded: ElevationPart, part: ElevationPart): Float32Array | undefined {
  return heights && (decoded === part ? heights : tileEdge(heights, TILE_SIZE, part));
}

function meshKey(r: MeshRequest): string {
  const src = r.source.kind === 'png' ? `${r.source.encoding}:${r.source.template}` : `cog:${r.source.url}`;
  const ext = `${r.extensions.octNormals ? 'n' : ''}${r.extensions.metadata ? 'm' : ''}`;
  return `${src}|${r.tile.z}/${r.tile.x}/${r.tile.y}@${r.scale}|${r.maxError}|${r.quantizer}|${r.orientation}|${ext}`;
}
