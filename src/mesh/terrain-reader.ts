import { LRUCache } from 'lru-cache';
import { countLookup, newCacheStats } from '../cache-stats.js';
import type { CogReader } from '../cog/cog-reader.js';
import type { ServerConfig } from '../config.js';
import { HttpError, notFound } from '../server/errors.js';
import { InFlight, Interest } from '../server/in-flight.js';
import { LinkedAbort } from '../server/linked-abort.js';
import type { WorkerPool } from '../server/worker-pool.js';
import { openSource } from '../sources/open-source.js';
import { redactUrl } from '../sources/redact.js';
import { intersectsDataset, planRaster } from '../tiling/tile-plan.js';
import { tileBoundsMercator, type TileIndex } from '../tiling/web-mercator.js';
import type { ElevationPart } from './elevation-grid.js';
import type { ElevationDecode } from './elevation-task.js';
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
    return this.meshesInFlight.run(key, async (signal) => {
      const body = await this.build(req, signal);
      if (this.config.meshCacheBytes > 0) this.meshes.set(key, body);
      return body;
    }, req.signal);
  }

  /** `signal`: fires when every request waiting for this mesh has gone away. */
  private async build(req: MeshRequest, signal: AbortSignal): Promise<Uint8Array> {
    const task: MeshTask = {
      kind: 'mesh', tile: req.tile, size: TILE_SIZE * req.scale, maxError: req.maxError, quantizer: req.quantizer,
      orientation: req.orientation, extensions: req.extensions,
    };
    if (req.source.kind === 'png') return this.meshFromPngs(task, req.source.template, req.source.encoding, req.scale, signal);
    task.grid = await this.cogGrid(req.source.url, req.tile, TILE_SIZE * req.scale, signal);
    return (await this.pool.mesh(task, signal)).body;
  }

  /**
   * The mesh of tile t from elevation PNGs: t's own tiles at `scale` (its scale x scale children one
   * or two zooms down) and the edges of the tiles next to them (see tileNeeds). Each is taken from
   * the cache, joined from a decode running for another request, or else fetched and decoded by this
   * request: inside its mesh task when it joins nothing (one worker round trip), else in an
   * elevation task first, so that no request's task ever waits for another's. This request's
   * decodes are listed in flight at once, for requests arriving meanwhile to join.
   */
  private async meshFromPngs(task: MeshTask, template: string, encoding: ElevationEncoding, scale: number, signal: AbortSignal): Promise<Uint8Array> {
    const plan = this.plan(tileNeeds(template, encoding, task.tile, scale), signal);
    const interest = new Interest(); // this request's, and that of those joining its decodes
    interest.join(signal);
    const ownTile = (slots: Array<unknown>) => slots.slice(0, scale * scale).some((slot) => slot);
    const work = this.fetchPngs(plan.own, interest.signal).then(async (pngs) => {
      const present = plan.own.filter((_, i) => pngs[i]);
      const decode: ElevationDecode = { encoding, size: TILE_SIZE, tiles: present.map((need) => ({ key: need.key, png: pngs[plan.own.indexOf(need)]!, part: need.part })) };
      if (plan.joined === 0) {
        // every slot is at hand or decoded by this task: the PNG's index, undefined if there is none
        const slots = plan.slots.map((slot) => {
          if (!slot || 'heights' in slot) return slot;
          const png = present.findIndex((need) => need.id === slot.id);
          return png < 0 ? undefined : { png };
        });
        if (ownTile(slots)) {
          const result = await this.pool.mesh({ ...task, tiles: { scale, childSize: TILE_SIZE, slots, decode } }, interest.signal);
          return { byId: this.keep(plan.own, pngs, result.heights ?? []), body: result.body };
        }
      }
      const { heights } = decode.tiles.length > 0 ? await this.pool.elevation({ kind: 'elevation', ...decode }, interest.signal) : { heights: [] };
      return { byId: this.keep(plan.own, pngs, heights) };
    });
    for (const need of plan.own) this.decodesInFlight.carry(need.id, work.then(({ byId }) => byId.get(need.id)), interest);
    const { byId, body } = await work;
    if (body) return body;
    // this request joined decodes of others (or has no tile of its own): its mesh task comes after them
    const slots = await Promise.all(plan.slots.map(async (slot) => {
      if (!slot || 'heights' in slot) return slot;
      const heights = 'pending' in slot ? await slot.pending : byId.get(slot.id);
      return heights && { heights, from: slot.from };
    }));
    if (!ownTile(slots)) throw notFound(`no elevation tile ${task.tile.z}/${task.tile.x}/${task.tile.y} at ${redactUrl(template)}`);
    return (await this.pool.mesh({ ...task, tiles: { scale, childSize: TILE_SIZE, slots } }, signal)).body;
  }

  /**
   * Where each need's heights come from: the cache (that part, or the whole tile), a decode in
   * flight (another request's: joined now, under `signal`), or this request's own decodes, which
   * `own` lists (an east neighbour is decoded whole when there is a cache: kepler asks for every
   * tile of the view, so it is usually wanted next as a tile of its own; 0.3 ms more than its first
   * column, 1 ms less than decoding it again).
   */
  private plan(needs: Array<ElevationNeed | undefined>, signal: AbortSignal) {
    const own: Array<ElevationNeed & { id: string }> = [];
    let joined = 0;
    const slots = needs.map((need): PlannedSlot | undefined => {
      if (!need) return undefined;
      const sources: ElevationPart[] = need.part === 'full' ? ['full'] : [need.part, 'full'];
      const cached = sources.map((from) => ({ from, heights: this.elevation.get(partId(need.key, from)) })).find((c) => c.heights);
      countLookup(this.cacheCounts.elevation, cached !== undefined);
      if (cached) return { heights: cached.heights!, from: cached.from };
      for (const from of sources) {
        const id = partId(need.key, from);
        if (own.some((o) => o.id === id)) return { id, from };
        const pending = this.decodesInFlight.join(id, signal);
        if (pending) {
          joined++;
          return { id, from, pending };
        }
      }
      const part: ElevationPart = need.part === 'column' && this.config.elevationCacheBytes > 0 ? 'full' : need.part;
      const id = partId(need.key, part);
      own.push({ ...need, part, id });
      return { id, from: part };
    });
    return { slots, own, joined };
  }

  /** Caches decoded heights: `heights` holds those of the PNGs that exist, in order. By id; undefined: no such tile. */
  private keep(own: Array<ElevationNeed & { id: string }>, pngs: Array<Uint8Array | undefined>, heights: SharedArrayBuffer[]): Map<string, Float32Array | undefined> {
    const byId = new Map<string, Float32Array | undefined>();
    let k = 0;
    own.forEach((need, i) => {
      const data = pngs[i] ? new Float32Array(heights[k++]!) : undefined;
      if (data && this.config.elevationCacheBytes > 0) this.elevation.set(need.id, data);
      byId.set(need.id, data);
    });
    return byId;
  }

  /**
   * The PNGs of the needs (undefined: no such tile). One failed fetch fails them all: the others are
   * dropped then, not left running for a request made after the upstream recovered to join and fail with.
   */
  private async fetchPngs(needs: ElevationNeed[], signal: AbortSignal): Promise<Array<Uint8Array | undefined>> {
    const fetches = new LinkedAbort(signal);
    return Promise.all(needs.map((need) => this.fetchPng(need.url, fetches.signal)))
      .catch((error: unknown) => {
        fetches.abort(error);
        throw error;
      })
      .finally(() => fetches.release());
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

/** A need's heights as planned: at hand, or by the id of a decode (`pending`: another request's, joined). */
type PlannedSlot = { heights: Float32Array; from: ElevationPart } | { id: string; from: ElevationPart; pending?: Promise<Float32Array | undefined> };

/**
 * What the mesh of tile t at `scale` needs, slot by slot as TileSlots (elevation-grid.ts): its own
 * tiles whole, the first column of the tiles to the east, the first row of those to the south and
 * of the south-east one (undefined: beyond the south edge of the world).
 */
function tileNeeds(template: string, encoding: ElevationEncoding, t: TileIndex, scale: number): Array<ElevationNeed | undefined> {
  const z = t.z + Math.log2(scale);
  const n = 2 ** z;
  const x0 = t.x * scale, y0 = t.y * scale;
  const east = (x0 + scale) % n; // the world wraps at the antimeridian
  const south = y0 + scale < n ? y0 + scale : undefined;
  const need = (x: number, y: number | undefined, part: ElevationPart): ElevationNeed | undefined => {
    if (y === undefined) return undefined;
    const url = tileUrl(template, z, x, y);
    return { url, key: `${encoding}:${url}`, part };
  };
  const range = Array.from({ length: scale }, (_, i) => i);
  return [
    ...range.flatMap((j) => range.map((i) => need(x0 + i, y0 + j, 'full'))),
    ...range.map((j) => need(east, y0 + j, 'column')),
    ...range.map((i) => need(x0 + i, south, 'row')),
    need(east, south, 'row'),
  ];
}

const partId = (key: string, part: ElevationPart) => `${key}|${part}`;

function meshKey(r: MeshRequest): string {
  const src = r.source.kind === 'png' ? `${r.source.encoding}:${r.source.template}` : `cog:${r.source.url}`;
  const ext = `${r.extensions.octNormals ? 'n' : ''}${r.extensions.metadata ? 'm' : ''}`;
  return `${src}|${r.tile.z}/${r.tile.x}/${r.tile.y}@${r.scale}|${r.maxError}|${r.quantizer}|${r.orientation}|${ext}`;
}
