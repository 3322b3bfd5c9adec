// Part (c): the server on 127.0.0.1:0 driven over real sockets, warm caches, concurrency 8, by our
// node:http client (a separate process: http-load.ts) and by wrk when it is installed.
import { Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../../src/server/app.js';
import { get, type LoadOptions, type LoadResult } from './http-load.js';
import { runBenchChild } from './bench-child.js';
import { FIXTURES, SCENARIOS, tilePath } from './scenarios.js';
import { verifyTiles } from './verify.js';
import { hasWrk, runWrk } from './wrk.js';

export interface HttpRow extends LoadResult {
  scenario: string;
  tool: 'node:http' | 'wrk';
  concurrency: number;
  /** Event-loop utilization of the server's main thread during the run (1 = saturated). */
  serverElu: number;
  /** wrk counts response headers in bytes, our client only bodies. */
  bytesInclude: 'body' | 'headers+body';
}

async function withElu<T>(run: () => Promise<T>): Promise<T & { serverElu: number }> {
  const start = performance.eventLoopUtilization();
  const result = await run();
  return { ...result, serverElu: performance.eventLoopUtilization(start).utilization };
}

export async function benchHttp(durationMs: number, concurrency: number, useWrk: boolean, log: (s: string) => void): Promise<HttpRow[]> {
  const app = buildApp({ config: { sourceAllowlist: [FIXTURES + '/'] } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const wrk = useWrk && hasWrk();
  if (useWrk && !wrk) log('  wrk not found on PATH: skipped');
  const rows: HttpRow[] = [];
  const agent = new Agent({ keepAlive: true });
  try {
    for (const s of SCENARIOS) {
      await verifyTiles(s, (path, headers) => get(base + path, agent, headers)); // also warms the caches
      const o: LoadOptions = { base, paths: s.tiles.map((_, i) => tilePath(s, i)), headers: s.headers, concurrency, durationMs };
      log(`  node:http c=${concurrency} ${s.name}`);
      rows.push({ scenario: s.name, tool: 'node:http', concurrency, bytesInclude: 'body', ...(await withElu(() => runBenchChild<LoadResult>('./http-load.ts', o))) });
      if (wrk) {
        log(`  wrk       c=${concurrency} ${s.name}`);
        rows.push({ scenario: s.name, tool: 'wrk', concurrency, bytesInclude: 'headers+body', ...(await withElu(() => runWrk(o, 2))) });
      }
    }
  } finally {
    agent.destroy();
    await app.close();
  }
  return rows;
}
