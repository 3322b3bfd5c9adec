// A small HTTP load client (node:http, keep-alive): `concurrency` loops GET the given paths in turn,
// each URL made unique with &_=N, reading every body fully as a Buffer, for `durationMs`.
// Run it in its own process (see http.ts, which forks this file) so it does not share the
// server's event loop.
import { Agent, request } from 'node:http';
import { percentile } from './measure.js';

export interface LoadOptions {
  base: string;
  paths: string[];
  headers?: Record<string, string>;
  concurrency: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  reqPerSec: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  errors: number;
  /** Body bytes received (headers not counted). */
  bytes: number;
  /** CPU time of the load client over wall time (1 = one core busy); undefined where wrk cannot read /proc. */
  clientCpu?: number;
  /** Responses by status code (node:http client) or errors by kind (wrk). */
  detail: Record<string, number>;
}

export interface Response {
  status: number;
  body: Buffer;
  contentEncoding?: string;
}

/** GET one URL, body read fully (not decompressed). Network errors resolve as status 0. */
export function get(url: string, agent: Agent, headers?: Record<string, string>): Promise<Response> {
  return new Promise((resolve) => {
    const req = request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), contentEncoding: res.headers['content-encoding'] }));
      res.on('error', (err) => resolve({ status: 0, body: Buffer.from(String(err)) }));
    });
    req.on('error', (err) => resolve({ status: 0, body: Buffer.from(String(err)) }));
    req.end();
  });
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency });
  const latencies: number[] = [];
  const detail: Record<string, number> = {};
  let n = 0, errors = 0, bytes = 0;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const end = t0 + o.durationMs;
  const loop = async () => {
    while (performance.now() < end) {
      const i = n++;
      const start = performance.now();
      const res = await get(`${o.base}${o.paths[i % o.paths.length]}&_=${i}`, agent, o.headers);
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
    p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: percentile(latencies, 100), errors, bytes, clientCpu: (cpu.user + cpu.system) / 1e6 / seconds, detail,
  };
}

// Forked child: one LoadOptions message in, one LoadResult message out.
if (process.send && process.argv[1] === import.meta.filename) {
  process.once('message', async (o: LoadOptions) => {
    process.send!(await runLoad(o), () => process.exit(0));
  });
}
