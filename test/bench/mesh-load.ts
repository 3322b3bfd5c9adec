// The load client of the mesh HTTP benchmark, run in its own process (forked by mesh-http.ts):
// either http-load.ts's time-bounded loop (paths in turn, URLs unique), or a sweep that requests
// every path exactly once (`once`), as a client opening a new area of the map does.
import { Agent } from 'node:http';
import { get, runLoad, type LoadOptions, type LoadResult } from './http-load.js';
import { percentile } from './measure.js';

export interface MeshLoadOptions extends LoadOptions {
  once?: boolean;
}

export async function runOnce(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const latencies: number[] = [];
  const detail: Record<string, number> = {};
  let next = 0, errors = 0, bytes = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const loop = async () => {
    while (next < o.paths.length) {
      const i = next++;
      const start = performance.now();
      const res = await get(`${o.base}${o.paths[i]}&_=${i}`, agent, o.headers);
      latencies.push(performance.now() - start);
      detail[res.status] = (detail[res.status] ?? 0) + 1;
      if (res.status !== 200) errors++;
      bytes += res.body.length;
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, loop));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length, seconds, reqPerSec: latencies.length / seconds, meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: percentile(latencies, 100), errors, bytes,
    clientCpu: (cpu.user + cpu.system) / 1e6 / seconds, detail,
  };
}

// Forked child: one MeshLoadOptions message in, one LoadResult message out.
if (process.send && process.argv[1] === import.meta.filename) {
  process.once('message', async (o: MeshLoadOptions) => {
    process.send!(await (o.once ? runOnce(o) : runLoad(o)), () => process.exit(0));
  });
}
