import { bandsToRead } from '../cog/bands.js';
import type { CogReader } from '../cog/cog-reader.js';
import type { CogHeader } from '../cog/cog-header.js';
import type { ServerConfig } from '../config.js';
import type { BlendInput, PixelSelection } from '../kernels/blend.js';
import { typedArrayFor, type Resampling, type SampleType, type TypedArray } from '../kernels/types.js';
import { HttpError, badRequest } from '../server/errors.js';
import { MAX_BANDS, MAX_OUTPUT_SAMPLES } from '../server/request-limits.js';
import type { WorkerPool } from '../server/worker-pool.js';
import { assetHref, itemAssets } from '../stac/assets.js';
import { tilePolygon } from '../stac/geometry.js';
import { searchItems } from '../stac/search.js';
import type { StacItem } from '../stac/types.js';
import type { OutputOptions, RenderedBody } from '../tiling/render-output.js';
import { intersectsDataset, planTile, type RasterPlan } from '../tiling/tile-plan.js';
import { tileBoundsMercator, type TileIndex } from '../tiling/web-mercator.js';

/**
 * The front of /stac/mosaic: search the STAC API for the items under a tile, read the requested
 * assets of each item through the COG pipeline (bounded concurrency; with `first`, stop as soon as
 * every pixel is filled), and blend them in a worker.
 */
export interface MosaicRequest {
  searchUrl: string;
  query: Record<string, unknown>;
  tile: TileIndex;
  size: number;
  assets: string[];
  /** 0-based band indexes within each asset (default: every band but alpha). */
  bands?: number[];
  method: PixelSelection;
  resampling: Resampling;
  nodata?: number;
  maxItems: number;
  output: OutputOptions;
  signal?: AbortSignal;
}

export interface MosaicResult {
  /** Undefined when no item (or no asset) has data under the tile. */
  rendered?: RenderedBody;
  /** `item/asset` read, and `item/asset (missing)` for assets an item lacks. */
  assets: string[];
  timings: Record<'search' | 'read' | 'blend' | 'encode', number>;
}

/** One asset of an item, ready to render: its header, the tile's plan over it and the 0-based bands to read. */
interface AssetPlan {
  header: CogHeader;
  plan: RasterPlan;
  bands: number[];
}

export class MosaicReader {
  constructor(private readonly config: ServerConfig, private readonly pool: WorkerPool, private readonly cogs: CogReader) {}

  async tile(req: MosaicRequest): Promise<MosaicResult> {
    const t0 = performance.now();
    const items = await searchItems(req.searchUrl, req.query, tilePolygon(req.tile), { maxItems: req.maxItems, signal: req.signal, tile: req.tile }, this.config);
    const t1 = performance.now();
    const report: string[] = [];
    const tiles: Array<BlendInput & { dtype: SampleType; bands: number }> = [];
    const filled = req.method === 'first' ? new Uint8Array(req.size * req.size) : undefined;
    let unfilled = filled ? filled.length : Infinity;
    const tooLarge = () => badRequest(`mosaic too large: the items under this tile would hold more than ${MAX_OUTPUT_SAMPLES} samples (lower max_items, the scale or the bands)`);
    // Methods other than `first` keep every item's tile: refuse before reading what would be too much.
    const expected = items.length * req.size * req.size * req.assets.length * (req.bands?.length ?? 1);
    if (!filled && expected > MAX_OUTPUT_SAMPLES) throw tooLarge();
    let held = 0; // samples of the item tiles kept for the blend, checked as they come (band counts are known then)
    const concurrency = Math.max(1, this.config.mosaicConcurrency);
    for (let i = 0; i < items.length && unfilled > 0; i += concurrency) {
      const chunk = items.slice(i, i + concurrency);
      // items are read at once, reported and blended in the search's order
      const read = await Promise.all(chunk.map((item) => this.readItem(item, req)));
      for (const { tile: t, assets } of read) {
        report.push(...assets);
        if (!t) continue;
        tiles.push(t);
        held += t.data.length;
        if (held > MAX_OUTPUT_SAMPLES) throw tooLarge();
        if (filled) for (let p = 0; p < filled.length; p++) if (t.mask[p] !== 0 && filled[p] === 0) { filled[p] = 1; unfilled--; }
      }
    }
    const t2 = performance.now();
    const timings = { search: t1 - t0, read: t2 - t1, blend: 0, encode: 0 };
    if (tiles.length === 0) return { assets: report, timings };
    const { dtype, bands } = commonType(tiles);
    const result = await this.pool.blend({
      kind: 'blend', method: req.method, dtype, bands, width: req.size, height: req.size,
      tiles: tiles.map((t) => ({ data: castTo(t.data, dtype), mask: t.mask })), output: req.output,
    }, req.signal);
    return { rendered: result.rendered, assets: report, timings: { ...timings, ...result.timings } };
  }

  /** The item's requested assets as one tile (their bands side by side, valid where every asset is), or undefined. */
  private async readItem(item: StacItem, req: MosaicRequest) {
    const { found, missing } = itemAssets(item, req.assets);
    const assets = missing.map((name) => `${item.id}/${name} (missing)`);
    if (found.length === 0) return { assets };
    // every asset's header first: an item one of whose assets does not cover the tile costs no render
    const plans = await Promise.all(found.map((name) => this.planAsset(item, name, req)));
    if (plans.some((p) => p === undefined)) return { assets };
    const bands = plans.reduce((n, p) => n + p!.bands.length, 0);
    if (bands > MAX_BANDS) throw badRequest(`too many bands: the assets of ${item.id} give ${bands}, at most ${MAX_BANDS} (use bidx or fewer assets)`);
    // then the renders together: under load a tile waits once in the worker pool's queue, not once per asset
    const parts = await Promise.all(plans.map((p) => this.renderAsset(p!, req)));
    assets.push(...found.map((name) => `${item.id}/${name}`));
    return { tile: stackAssets(parts, req.size * req.size), assets };
  }

  /** The asset's header and tile plan; undefined when it does not cover the tile. */
  private async planAsset(item: StacItem, name: string, req: MosaicRequest): Promise<AssetPlan | undefined> {
    const href = await assetHref(item, name, this.config, { signal: req.signal });
    const header = await this.cogs.header(href, req.signal);
    if (!intersectsDataset(header, tileBoundsMercator(req.tile))) return undefined;
    const plan = planTile(header, req.tile, req.size, req.resampling);
    if (!plan) return undefined;
    const bands = bandsToRead(header, req.bands, `asset ${name} of ${item.id}`);
    const bad = bands.find((b) => b >= header.samples);
    if (bad !== undefined) throw new HttpError(400, `invalid bidx ${bad + 1}: asset ${name} of ${item.id} has ${header.samples} band(s)`);
    return { header, plan, bands };
  }

  private async renderAsset({ header, plan, bands }: AssetPlan, req: MosaicRequest) {
    const result = await this.cogs.render(header, plan, { bands, resampling: req.resampling, nodata: req.nodata, output: 'values', signal: req.signal });
    return { data: result.values!.data, mask: result.values!.mask, bands: bands.length, dtype: header.dtype };
  }
}

/** Several assets of one item as one tile: bands concatenated, a pixel valid where every asset is. */
function stackAssets(parts: Array<{ data: TypedArray; mask: Uint8Array; bands: number; dtype: SampleType }>, pixels: number) {
  if (parts.length === 1) return parts[0];
  const dtype = widest(parts.map((p) => p.dtype));
  const bands = parts.reduce((n, p) => n + p.bands, 0);
  const data = new (typedArrayFor(dtype))(bands * pixels) as TypedArray;
  const mask = new Uint8Array(pixels).fill(255);
  let at = 0;
  for (const p of parts) {
    data.set(castTo(p.data, dtype) as never, at);
    at += p.bands * pixels;
    for (let i = 0; i < pixels; i++) if (p.mask[i] === 0) mask[i] = 0;
  }
  return { data, mask, bands, dtype };
}

/** Items may differ in dtype or band count; blend in the widest type, and refuse band-count mismatches. */
function commonType(tiles: Array<{ dtype: SampleType; bands: number }>) {
  const bands = tiles[0].bands;
  if (tiles.some((t) => t.bands !== bands)) throw new HttpError(400, 'the items have different band counts for these assets: use bidx');
  return { dtype: widest(tiles.map((t) => t.dtype)), bands };
}

function widest(types: SampleType[]): SampleType {
  const first = types[0];
  return types.every((t) => t === first) ? first : 'float64';
}

function castTo(data: TypedArray, dtype: SampleType): TypedArray {
  const Ctor = typedArrayFor(dtype);
  if (data instanceof Ctor) return data;
  const out = new Ctor(data.length) as TypedArray;
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

