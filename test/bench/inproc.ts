// Part (b): tiles/s through app.inject() (no sockets), warm (default caches, the list requested once
// first) and cold (blockCacheBytes 0: every request fetches and decompresses its blocks again).
import { performance } from 'node:perf_hooks';
import { buildApp } from '../../src/server/app.js';
import { percentile } from './measure.js';
import { FIXTURES, SCENARIOS, tilePath } from './scenarios.js';
import { verifyTiles } from './verify.js';

export interface InprocRow {
  scenario: string;
  mode: 'warm' | 'cold';
  concurrency: number;
  tiles: number;
  seconds: number;
  tilesPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  bytes: number;
  /** Event-loop utilization of the main thread (server and inject client share it). */
  elu: number;
}

type App = ReturnType<typeof buildApp>;

/** `concurrency` loops injecting the scenario's tiles in turn (unique URLs) for about budgetMs. */
async function drive(app: App, s: (typeof SCENARIOS)[number], concurrency: number, budgetMs: number) {
  const latencies: number[] = [];
  let n = 0, errors = 0, bytes = 0;
  const t0 = performance.now();
  const elu = performance.eventLoopUtilization();
  const end = t0 + budgetMs;
  const loop = async () => {
    while (performance.now() < end) {
      const i = n++;
      const start = performance.now();
      const res = await app.inject({ url: tilePath(s, i, i), headers: s.headers });
      latencies.push(performance.now() - start);
      if (res.statusCode !== 200) errors++;
      bytes += res.rawPayload.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return { tiles: latencies.length, seconds, tilesPerSec: latencies.length / seconds, meanMs: mean, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors, bytes, elu: performance.eventLoopUtilization(elu).utilization };
}

export async function benchInproc(budgetMs: number, concurrencies: number[], log: (s: string) => void): Promise<InprocRow[]> {
  const rows: InprocRow[] = [];
  for (const mode of ['warm', 'cold'] as const) {
    const app = buildApp({ config: { sourceAllowlist: [FIXTURES + '/'], ...(mode === 'cold' && { blockCacheBytes: 0 }) } });
    await app.ready();
    try {
      for (const s of SCENARIOS) {
        // the first pass checks the tiles, warms the JIT and the header cache (and, warm, the block cache)
        await verifyTiles(s, async (url, headers) => {
          const r = await app.inject({ url, headers });
          return { status: r.statusCode, body: r.rawPayload, contentEncoding: r.headers['content-encoding'] as string | undefined };
        });
        for (const concurrency of concurrencies) {
          log(`  ${mode} c=${concurrency} ${s.name}`);
          rows.push({ scenario: s.name, mode, concurrency, ...(await drive(app, s, concurrency, budgetMs)) });
        }
      }
    } finally {
      await app.close();
    }
  }
  return rows;
}
