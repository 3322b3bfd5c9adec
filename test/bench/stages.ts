// Where the time of one tile goes: the CogReader + worker pipeline replayed stage by stage on one
// thread, cold (every tile fetches and decodes its blocks): plan, fetch, decode, assemble, resample,
// output (rescale + encode + compress). Warm requests skip fetch and decode.
import { join } from 'node:path';
import { readCogHeader, type BlockLayout } from '../../src/cog/cog-header.js';
import { decodeBlock, unpackMaskBits } from '../../src/cog/decode-block.js';
import { loadConfig } from '../../src/config.js';
import { pickContentEncoding } from '../../src/encoders/content-encoding.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { parseBidx, parseRescale } from '../../src/server/query-params.js';
import { openSource } from '../../src/sources/open-source.js';
import { assembleWindow, blockKey, type DecodedBlocks } from '../../src/tiling/assemble-window.js';
import { renderOutput } from '../../src/tiling/render-output.js';
import { planTile } from '../../src/tiling/tile-plan.js';
import { FIXTURES, SCENARIOS } from './scenarios.js';

export const STAGES = ['plan', 'fetch', 'decode', 'assemble', 'resample', 'output'] as const;
export type StageRow = { scenario: string; tiles: number; totalMs: number; blocks: number } & Record<(typeof STAGES)[number], number>;

export async function benchStages(budgetMs: number): Promise<StageRow[]> {
  const config = loadConfig({ sourceAllowlist: [FIXTURES + '/'] });
  const kernels = await loadKernels();
  const rows: StageRow[] = [];
  for (const s of SCENARIOS) {
    const source = await openSource(join(FIXTURES, s.file), config);
    const header = await readCogHeader(source);
    const q = new URLSearchParams(s.query);
    const bands = parseBidx(q.getAll('bidx'), header.samples)?.map((b) => b - 1) ?? [...Array(header.samples).keys()].filter((i) => i !== header.alphaSample);
    const output = { format: s.ext, returnMask: true, rescale: parseRescale(q.getAll('rescale')), contentEncoding: s.ext === 'npy' ? pickContentEncoding(s.headers?.['accept-encoding']) : undefined };
    const ms = Object.fromEntries(STAGES.map((k) => [k, 0])) as Record<(typeof STAGES)[number], number>;
    let tiles = 0, blockCount = 0;
    const t0 = performance.now();
    for (let i = 0; i < s.tiles.length * 2 || performance.now() - t0 < budgetMs; i++) {
      if (i === s.tiles.length) (STAGES.forEach((k) => (ms[k] = 0)), (tiles = 0), (blockCount = 0)); // first pass: warm-up
      const [z, x, y] = s.tiles[i % s.tiles.length]!;
      let t = performance.now();
      const lap = (k: (typeof STAGES)[number]) => { const now = performance.now(); ms[k] += now - t; t = now; };
      const plan = planTile(header, { z, x, y }, 256, 'nearest')!;
      const level = header.levels[plan.level]!;
      const maskLayout = level.mask && level.mask.blockWidth === level.blockWidth && level.mask.blockHeight === level.blockHeight ? level.mask : undefined;
      const samples = level.planarConfiguration === 2 ? bands : [0];
      const wanted: Array<{ layout: BlockLayout; key: string; rows: number; index: number }> = [];
      for (const [bx, by] of plan.blocks) {
        const add = (layout: BlockLayout, sample: number) => {
          const index = sample * layout.blocksAcross * layout.blocksDown + by * layout.blocksAcross + bx;
          if (layout.byteCounts[index]) wanted.push({ layout, key: blockKey(bx, by, sample), rows: Math.min(layout.blockHeight, layout.height - by * layout.blockHeight), index });
        };
        samples.forEach((sample) => add(level, sample));
        if (maskLayout) add(maskLayout, 0);
      }
      lap('plan');
      const bytes = await source.readRanges(wanted.map((w) => ({ offset: w.layout.offsets[w.index]!, length: w.layout.byteCounts[w.index]! })));
      lap('fetch');
      const blocks: DecodedBlocks = { data: new Map(), mask: maskLayout ? new Map() : undefined };
      for (const [j, w] of wanted.entries()) {
        const raw = new Uint8Array(await decodeBlock(w.layout, w.rows, bytes[j]!, header.littleEndian, kernels));
        const decoded = w.layout === maskLayout ? unpackMaskBits(raw, w.layout.blockWidth, w.rows) : raw;
        const shared = new SharedArrayBuffer(decoded.byteLength); // as the worker does, for the block cache
        new Uint8Array(shared).set(decoded);
        if (w.layout === maskLayout) blocks.mask!.set(w.key, new Uint8Array(shared));
        else blocks.data.set(w.key, shared);
      }
      lap('decode');
      const win = assembleWindow(level, plan.window, header.dtype, bands, header.alphaSample, blocks);
      lap('assemble');
      const r = kernels.resample({
        method: 'nearest', dtype: header.dtype, source: win.data, srcWidth: win.width, srcHeight: win.height, bands: bands.length,
        sourceMask: win.mask, nodata: header.nodata, grid: plan.grid, gridStep: plan.gridStep, dstWidth: plan.width, dstHeight: plan.height,
      });
      lap('resample');
      await renderOutput(kernels, { data: r.data, dtype: header.dtype, mask: r.mask, bands: bands.length, width: plan.width, height: plan.height }, output);
      lap('output');
      tiles++;
      blockCount += wanted.length;
    }
    const per = Object.fromEntries(STAGES.map((k) => [k, ms[k] / tiles])) as Record<(typeof STAGES)[number], number>;
    rows.push({ scenario: s.name, tiles, totalMs: STAGES.reduce((a, k) => a + per[k], 0), blocks: blockCount / tiles, ...per });
  }
  return rows;
}
