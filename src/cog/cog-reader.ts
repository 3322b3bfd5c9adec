import { LRUCache } from 'lru-cache';
import { countLookup, newCacheStats } from '../cache-stats.js';
import type { ServerConfig } from '../config.js';
import { forgetSource, openSource } from '../sources/open-source.js';
import type { ByteRange } from '../sources/byte-source.js';
import { unprocessable } from '../server/errors.js';
import { redactUrl } from '../sources/redact.js';
import type { WorkerPool } from '../server/worker-pool.js';
import { blockKey } from '../tiling/assemble-window.js';
import type { BlockInput, RenderResult, RenderTask } from '../tiling/render-raster.js';
import type { RasterPlan } from '../tiling/tile-plan.js';
import { readCogHeader, type BlockLayout, type CogHeader } from './cog-header.js';

/**
 * The front's view of COGs: headers (parsed once per url, LRU), decoded blocks (shared memory, LRU
 * bounded by BLOCK_CACHE_BYTES), and the fetch of whatever compressed blocks a plan needs. Decoding
 * and resampling happen in the worker pool; this class only does I/O and bookkeeping.
 */
export interface ReadOptions {
  /** 0-based samples to output. */
  bands: number[];
  resampling: RenderTask['resampling'];
  nodata?: number;
  output: RenderTask['output'];
  signal?: AbortSignal;
}

/** A block bigger than this is refused: no legitimate COG block is, and it would blow memory. */
const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

export class CogReader {
  private readonly headers: LRUCache<string, Promise<CogHeader>>;
  private readonly blocks?: LRUCache<string, SharedArrayBuffer>;
  /** Lookups of the two caches (a header read in flight counts as a hit: it is shared). */
  readonly cacheCounts = { header: newCacheStats(), block: newCacheStats() };

  constructor(private readonly config: ServerConfig, private readonly pool: WorkerPool) {
    // Entries are promises: sized by a fixed guess first, and by their offset tables once parsed
    this.headers = new LRUCache({ max: 1000, maxSize: Math.max(1, config.headerCacheBytes), sizeCalculation: () => 64 * 1024 });
    if (config.blockCacheBytes > 0) {
      this.blocks = new LRUCache({ maxSize: config.blockCacheBytes, sizeCalculation: (b) => Math.max(1, b.byteLength) });
    }
  }

  /** The parsed header of `url`; concurrent callers share one read, failures are not remembered. */
  header(url: string, signal?: AbortSignal): Promise<CogHeader> {
    let pending = this.headers.get(url);
    countLookup(this.cacheCounts.header, pending !== undefined);
    if (!pending) {
      pending = openSource(url, this.config).then((source) =>
        readCogHeader(source, signal).catch((error: unknown) => {
          forgetSource(source, this.config); // nor what the source read (say, a short header chunk)
          throw error;
        }),
      );
      this.headers.set(url, pending);
      const entry = pending;
      pending.then(
        (header) => { if (this.headers.get(url) === entry) this.headers.set(url, entry, { size: headerBytes(header) }); },
        () => this.headers.delete(url),
      );
    }
    return pending;
  }

  /** Fetches the blocks a plan needs (or takes them from the cache) and renders it in a worker. */
  async render(header: CogHeader, plan: RasterPlan, options: ReadOptions): Promise<RenderResult> {
    const level = header.levels[plan.level];
    const maskLayout = level.mask && level.mask.blockWidth === level.blockWidth && level.mask.blockHeight === level.blockHeight ? level.mask : undefined;
    const samples = level.planarConfiguration === 2 ? [...new Set([...options.bands, ...(header.alphaSample !== undefined ? [header.alphaSample] : [])])] : [0];
    const inputs: BlockInput[] = [];
    const wanted: Array<{ input: BlockInput; range: ByteRange }> = [];
    const add = (layout: BlockLayout, bx: number, by: number, sample: number, isMask: boolean) => {
      const index = sample * layout.blocksAcross * layout.blocksDown + by * layout.blocksAcross + bx;
      const length = layout.byteCounts[index];
      if (!length) return; // sparse block: nothing stored, reads as empty
      if (length > MAX_BLOCK_BYTES) throw unprocessable(`block of ${length} bytes in ${redactUrl(header.url)} exceeds the limit`);
      const key = blockKey(bx, by, sample);
      const rows = Math.min(layout.blockHeight, layout.height - by * layout.blockHeight);
      const input: BlockInput = { key, rows, isMask };
      const cached = this.blocks?.get(this.cacheKey(header, layout, key));
      countLookup(this.cacheCounts.block, cached !== undefined);
      if (cached) input.decoded = cached;
      else wanted.push({ input, range: { offset: layout.offsets[index], length } });
      inputs.push(input);
    };
    for (const [bx, by] of plan.blocks) {
      for (const s of samples) add(level, bx, by, s, false);
      if (maskLayout) add(maskLayout, bx, by, 0, true);
    }
    if (wanted.length > 0) {
      const source = await openSource(header.url, this.config);
      const bytes = await source.readRanges(wanted.map((w) => w.range), options.signal);
      wanted.forEach((w, i) => (w.input.compressed = bytes[i]));
    }
    const result = await this.pool.render(
      {
        kind: 'render',
        dtype: header.dtype,
        littleEndian: header.littleEndian,
        layout: stripTables(level),
        maskLayout: maskLayout && stripTables(maskLayout),
        alphaSample: header.alphaSample,
        nodata: options.nodata ?? header.nodata,
        bands: options.bands,
        resampling: options.resampling,
        plan: { window: plan.window, grid: plan.grid, gridStep: plan.gridStep, width: plan.width, height: plan.height, copy: plan.copy, warpScale: plan.warpScale },
        blocks: inputs,
        output: options.output,
      },
      options.signal,
    );
    for (const d of result.decoded) this.blocks?.set(this.cacheKey(header, d.isMask ? maskLayout! : level, d.key), d.data);
    result.decoded = [];
    return result;
  }

  get cacheStats() {
    return { headers: this.headers.size, blocks: this.blocks?.size ?? 0, blockBytes: this.blocks?.calculatedSize ?? 0 };
  }

  private cacheKey(header: CogHeader, layout: BlockLayout, key: string) {
    return `${header.url}#${layout.ifd}#${key}`;
  }
}

/** A parsed header's memory is mostly its offset tables (two numbers a block, 8 bytes each). */
function headerBytes(header: CogHeader): number {
  const levels = [...header.levels, ...header.levels.flatMap((l) => (l.mask ? [l.mask] : []))];
  return 4096 + levels.reduce((sum, l) => sum + 16 * l.offsets.length, 0);
}

/** Workers need the block geometry and codec, not the offset tables (which can be large). */
function stripTables(layout: BlockLayout): BlockLayout {
  return { ...layout, offsets: [], byteCounts: [] };
}
