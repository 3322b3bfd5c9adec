// Printing: one aligned text table per part.
import type { CompressionRow } from './encoders-compress.js';
import type { ImageEncoderRow } from './encoders-image.js';
import type { HttpRow } from './http.js';
import type { InprocRow } from './inproc.js';
import type { KernelRow } from './kernels.js';
import { STAGES, type StageRow } from './stages.js';

type Cell = string | number;

const fmt = (v: Cell, digits = 1): string =>
  typeof v === 'string' ? v : !Number.isFinite(v) ? '-' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Text columns left-aligned, numeric ones (already formatted) right-aligned. */
export function table(title: string, head: string[], rows: Cell[][], digits: number[] = []): string {
  const cells = rows.map((r) => r.map((c, i) => fmt(c, digits[i] ?? 1)));
  const numeric = head.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const width = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join('  ').trimEnd();
  return [`\n${title}`, line(head), width.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export const kernelTable = (rows: KernelRow[]) =>
  table(
    '(a) WASM kernels vs TypeScript references, 256x256 tiles (WASM timed through the Kernels wrapper, copies in/out included)',
    ['kernel', 'input', 'tiles', 'WASM ops/s', 'ref ops/s', 'speed-up', 'WASM ms', 'ref ms', 'bit-identical'],
    rows.map((r) => [r.kernel, r.input, r.tiles, r.wasmOpsPerSec, r.refOpsPerSec, `${fmt(r.speedup)}x`, r.wasmMs, r.refMs, r.identical ? 'yes' : `NO (${r.mismatch})`]),
    [0, 0, 0, 0, 1, 1, 3, 2],
  );

export const inprocTable = (rows: InprocRow[]) =>
  table(
    '(b) In-process tiles/s through app.inject() (warm: default caches, list requested once first; cold: blockCacheBytes 0)',
    ['scenario', 'mode', 'conc', 'tiles', 'tiles/s', 'mean ms', 'p50 ms', 'p99 ms', 'errors', 'MB', 'main ELU'],
    rows.map((r) => [r.scenario, r.mode, r.concurrency, r.tiles, r.tilesPerSec, r.meanMs, r.p50Ms, r.p99Ms, r.errors, r.bytes / 1e6, r.elu]),
    [0, 0, 0, 0, 1, 2, 2, 2, 0, 1, 2],
  );

export const httpTable = (rows: HttpRow[]) =>
  table(
    '(c) HTTP on 127.0.0.1, warm caches, unique URLs (wrk MB include response headers, node:http MB are bodies only;\n' +
      '    server ELU = event-loop utilization of the server main thread, client CPU = cores used by the load client process)',
    ['scenario', 'tool', 'conc', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'errors', 'MB', 'MB/s', 'server ELU', 'client CPU'],
    rows.map((r) => [r.scenario, r.tool, r.concurrency, r.requests, r.reqPerSec, r.p50Ms, r.p99Ms, r.maxMs, r.errors, r.bytes / 1e6, r.bytes / 1e6 / r.seconds, r.serverElu, r.clientCpu ?? NaN]),
    [0, 0, 0, 0, 1, 2, 2, 2, 0, 1, 1, 2, 2],
  );

export function stagesTable(rows: StageRow[], inproc?: InprocRow[]) {
  const inject = (s: string, mode: string) => inproc?.find((r) => r.scenario === s && r.mode === mode && r.concurrency === 1)?.meanMs ?? NaN;
  return table(
    'Per-tile stages on one thread, ms per tile (cold = all stages; warm skips fetch and decode). The inject columns are the\n' +
      'same tiles through the server at concurrency 1 (part b): the difference is Fastify, inject and the worker round trip',
    ['scenario', 'blocks', ...STAGES, 'cold total', 'inject cold', 'warm total', 'inject warm'],
    rows.map((r) => [r.scenario, r.blocks, ...STAGES.map((k) => r[k]), r.totalMs, inject(r.scenario, 'cold'), r.totalMs - r.fetch - r.decode, inject(r.scenario, 'warm')]),
    [0, 1, ...STAGES.map(() => 2), 2, 2, 2, 2],
  );
}

export const imageEncoderTable = (rows: ImageEncoderRow[]) =>
  table(
    'Image encoders, 256x256 tiles',
    ['tile', 'encoder', 'ms', 'bytes', 'GDAL PNG z6 bytes'],
    rows.map((r) => [r.tile, r.encoder, r.ms, r.bytes, r.gdalPngBytes ?? NaN]),
    [0, 0, 2, 0, 0],
  );

export const compressionTable = (rows: CompressionRow[]) =>
  table(
    'npy body compression (256x256 float32 + mask band, 524,416 bytes raw)',
    ['body', 'codec', 'ms', 'bytes', '% of raw'],
    rows.map((r) => [r.body, r.codec, r.ms, r.bytes, 100 * r.ratio]),
    [0, 0, 2, 0, 1],
  );
