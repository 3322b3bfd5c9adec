// Writing the results: bench-<timestamp>.json, latest.json and latest.svg in test/bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { barChart, type Panel } from './chart.js';
import type { CompressionRow } from './encoders-compress.js';
import type { ImageEncoderRow } from './encoders-image.js';
import type { HttpRow } from './http.js';
import type { InprocRow } from './inproc.js';
import type { KernelRow } from './kernels.js';
import type { MeshHttpResult } from './mesh-http.js';
import { meshPanels } from './mesh-report.js';
import type { MeshBenchResult } from './mesh.js';
import type { MosaicRow } from './mosaic-http.js';
import type { StageRow } from './stages.js';
import type { CacheBenchRow } from './tile-cache.js';

export const RESULTS_DIR = join(import.meta.dirname, 'results');

export interface BenchResults {
  startedAt: string;
  seconds?: number;
  options: { parts: string[]; quick: boolean; nodeHarness?: boolean };
  machine: Record<string, string | number>;
  /** Average cores used by the benchmark and by other processes during each part. */
  cpuLoad?: Record<string, { benchCores: number; otherCores: number }>;
  kernels?: KernelRow[];
  encoders?: { image: ImageEncoderRow[]; compression: CompressionRow[] };
  inproc?: InprocRow[];
  stages?: StageRow[];
  http?: HttpRow[];
  mesh?: MeshBenchResult;
  meshHttp?: MeshHttpResult;
  /** The S3 tile cache: cold (meta-tiles on/off) and warm tiles/s, GetMap per tile. */
  cache?: CacheBenchRow[];
  /** /stac/mosaic npy tiles over HTTP, 1/4/16 items, first and mean. */
  mosaic?: MosaicRow[];
}

const short = (s: string) => s.replace(/ \([^)]*\)/g, '');

function panels(r: BenchResults): Panel[] {
  const tools = ['node:http', 'wrk'] as const;
  const conc = Math.max(0, ...(r.inproc ?? []).map((x) => x.concurrency));
  return [
    {
      title: 'WASM speed-up over the TypeScript reference (log scale)',
      log: true,
      bars: (r.kernels ?? []).map((k) => ({ label: `${k.kernel}, ${short(k.input)}`, value: k.speedup, text: `${k.speedup.toFixed(1)}x${k.identical ? '' : ' (NOT identical)'}` })),
    },
    {
      title: 'HTTP req/s, concurrency 8, warm caches',
      series: [...tools],
      bars: (r.http ?? []).map((h) => ({ label: `${h.scenario}`, value: h.reqPerSec, series: tools.indexOf(h.tool), text: `${h.reqPerSec.toFixed(0)} req/s, p99 ${h.p99Ms.toFixed(0)} ms` })),
    },
    {
      title: `In-process tiles/s (app.inject, concurrency ${conc})`,
      series: ['warm', 'cold'],
      bars: (r.inproc ?? []).filter((x) => x.concurrency === conc).map((x) => ({ label: x.scenario, value: x.tilesPerSec, series: x.mode === 'warm' ? 0 : 1, text: `${x.tilesPerSec.toFixed(0)} tiles/s` })),
    },
    ...meshPanels(r.mesh, r.meshHttp),
  ];
}

export function writeResults(r: BenchResults): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = JSON.stringify(r, null, 2) + '\n';
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const files = [join(RESULTS_DIR, `bench-${stamp}.json`), join(RESULTS_DIR, 'latest.json'), join(RESULTS_DIR, 'latest.svg')];
  writeFileSync(files[0]!, json);
  writeFileSync(files[1]!, json);
  writeFileSync(files[2]!, barChart(`kepler-raster-server benchmark, ${r.startedAt}${r.options.quick ? ' (quick)' : ''}`, panels(r)));
  return files;
}
