/**
 * The tile cache: S3 first (a plain GET), then one render per meta-tile at a time. A render is one GetMap of the
 * meta-tile, validated, cut into tiles in a worker; the asked tile is answered at once and every tile of the
 * meta-tile is written to S3 (retried, logged). Requests for any tile of a meta-tile being rendered or written
 * wait for that render instead of starting another one.
 */
import { createHash } from 'node:crypto';
import { HttpError, notFound } from '../server/errors.js';
import type { CacheLayer, TileCacheConfig, TileExt } from './config.js';
import type { CutResult, CutTask } from './cut-task.js';
import { Limiter } from './limiter.js';
import type { Logger, S3Store } from './s3-store.js';
import { MEDIA_TYPES, metaTileOf, tileInLayer, tileKey, type MetaTile, type TmsTile } from './tms.js';
import { fetchMetaTile, getMapRequest } from './wms.js';
import { redactText } from '../sources/redact.js';
import { countUpstreamError, upstreamErrors } from '../sources/upstream-errors.js';

export type CutFn = (task: CutTask) => Promise<CutResult>;

export interface TileAnswer {
  body: Uint8Array;
  contentType: string;
  /** Quoted MD5 of the body: what S3 answers as ETag for a single-part object. */
  etag: string;
  cacheControl: string;
  /** 'hit': read from S3; 'render': rendered by this request; 'shared': taken from a render in flight. */
  source: 'hit' | 'render' | 'shared';
}

export const etagOf = (body: Uint8Array) => `"${createHash('md5').update(body).digest('hex')}"`;

interface Flight {
  tiles: Promise<Map<string, Uint8Array>>;
  /** Settles when the tiles are written (or the render failed). */
  done: Promise<unknown>;
}

export class TileCache {
  readonly stats = { hits: 0, misses: 0, renders: 0, getMaps: 0, shared: 0, puts: 0, putFailures: 0 };
  private readonly flights = new Map<string, Flight>();
  private readonly writes = new Set<Promise<unknown>>();
  private readonly wmsSlots: Limiter;

  constructor(
    readonly config: TileCacheConfig,
    readonly store: S3Store,
    private readonly cut: CutFn,
    private readonly log: Logger,
    /** Admission of a render (the server's worker-pool admission: throws 503 when busy); none when seeding. */
    private readonly admit: () => () => void = () => () => {},
  ) {
    this.wmsSlots = new Limiter(config.wmsConcurrency);
  }

  layer(name: string): CacheLayer | undefined {
    return this.config.layers.find((l) => l.name === name);
  }

  /** The layer whose prefix is exactly `prefix` (the part of an S3 key before z/x/y). */
  layerForPrefix(prefix: string): CacheLayer | undefined {
    return this.config.layers.find((l) => l.prefix === prefix);
  }

  /** Checks that the layer serves this tile (format, zoom range, bounds): 404 otherwise. */
  check(layer: CacheLayer, tile: TmsTile) {
    if (!layer.formats.includes(tile.ext)) throw notFound(`layer ${layer.name} has no ${tile.ext} tiles`);
    if (!tileInLayer(layer, tile)) throw notFound(`tile ${tile.z}/${tile.x}/${tile.y} is outside layer ${layer.name}`);
  }

  /** A tile: from S3, from a render in flight, or rendered now. */
  async getTile(layer: CacheLayer, tile: TmsTile): Promise<TileAnswer> {
    this.check(layer, tile);
    const meta = metaTileOf(tile.z, tile.x, tile.y, layer.metaSize);
    const keyExt = tile.keyExt ?? tile.ext;
    const flightKey = `${layer.name}/${tile.z}/${meta.x0}/${meta.y0}.${keyExt}`;
    const answer = (body: Uint8Array, source: TileAnswer['source'], etag = etagOf(body)): TileAnswer =>
      ({ body, contentType: MEDIA_TYPES[tile.ext], etag, cacheControl: layer.cacheControl, source });
    const pick = async (flight: Flight, source: TileAnswer['source']) => {
      const body = (await flight.tiles).get(`${tile.x - meta.x0},${tile.y - meta.y0}`);
      if (!body) throw new HttpError(500, 'tile missing from its meta-tile');
      return answer(body, source);
    };
    let flight = this.flights.get(flightKey);
    if (flight) {
      this.stats.shared++;
      return pick(flight, 'shared');
    }
    let stored: Awaited<ReturnType<S3Store['get']>>;
    try {
      stored = await this.store.get(layer.bucket, tileKey(layer, tile));
    } catch (e) {
      // S3 unreadable: still answer (rendered), the write below will be retried and logged
      countUpstreamError('s3', e);
      this.log.warn({ bucket: layer.bucket, key: tileKey(layer, tile), err: (e as Error).message }, 'tile cache: S3 read failed');
    }
    if (stored) {
      this.stats.hits++;
      return answer(stored.body, 'hit', stored.etag ?? etagOf(stored.body));
    }
    this.stats.misses++;
    flight = this.flights.get(flightKey); // a render may have started while S3 answered
    if (flight) {
      this.stats.shared++;
      return pick(flight, 'shared');
    }
    flight = this.startRender(flightKey, layer, meta, tile.ext, keyExt);
    return pick(flight, 'render');
  }

  /** Renders a whole meta-tile and stores every tile of it (seeding); resolves once the writes are done. */
  async renderMeta(layer: CacheLayer, meta: MetaTile, ext: TileExt): Promise<number> {
    const flightKey = `${layer.name}/${meta.z}/${meta.x0}/${meta.y0}.${ext}`;
    const flight = this.flights.get(flightKey) ?? this.startRender(flightKey, layer, meta, ext);
    const tiles = await flight.tiles;
    await flight.done;
    return tiles.size;
  }

  private startRender(flightKey: string, layer: CacheLayer, meta: MetaTile, ext: TileExt, keyExt: string = ext): Flight {
    // refused before the GetMap: a busy server answers 503 and has spent nothing on this render
    const leave = this.admit();
    const tiles = this.render(layer, meta, ext);
    tiles.then(leave, leave);
    const flight: Flight = { tiles, done: Promise.resolve() };
    this.flights.set(flightKey, flight);
    const done: Promise<unknown> = tiles
      .then((t) => this.writeAll(layer, meta, ext, keyExt, t))
      .catch((e: Error) => this.log.warn({ layer: layer.name, meta, err: redactText(e.message) }, 'tile cache: render failed')) // and the requests get the error
      .finally(() => {
        if (this.flights.get(flightKey) === flight) this.flights.delete(flightKey);
        this.writes.delete(done);
      });
    this.writes.add(done);
    flight.done = done;
    return flight;
  }

  private async render(layer: CacheLayer, meta: MetaTile, ext: TileExt): Promise<Map<string, Uint8Array>> {
    this.stats.renders++;
    const req = getMapRequest(layer, meta);
    this.stats.getMaps++;
    const image = await this.wmsSlots.run(() => fetchMetaTile(layer, req, this.config.wmsTimeoutMs)).catch((e: unknown) => {
      throw countUpstreamError('wms', e);
    });
    let cut: CutResult;
    try {
      cut = await this.cut({ kind: 'cache-cut', image, cols: meta.w, rows: meta.h, buffer: req.buffer, ext, jpegQuality: this.config.jpegQuality });
    } catch (e) {
      throw new HttpError(502, `WMS image could not be cut: ${(e as Error).message}`, { 'cache-control': 'no-store' });
    }
    return new Map(cut.tiles.map((t) => [`${t.i},${t.j}`, t.body]));
  }

  private async writeAll(layer: CacheLayer, meta: MetaTile, ext: TileExt, keyExt: string, tiles: Map<string, Uint8Array>) {
    await Promise.all([...tiles].map(async ([ij, body]) => {
      const [i, j] = ij.split(',').map(Number);
      const tile = { z: meta.z, x: meta.x0 + i, y: meta.y0 + j, ext, keyExt };
      if (!tileInLayer(layer, tile)) return;
      const ok = await this.store.put(layer.bucket, tileKey(layer, tile), body, MEDIA_TYPES[ext], layer.cacheControl);
      if (ok) this.stats.puts++;
      else {
        this.stats.putFailures++;
        upstreamErrors.s3++;
      }
    }));
  }

  /** Waits for the S3 writes under way (tests, shutdown). */
  async flush() {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }
}
