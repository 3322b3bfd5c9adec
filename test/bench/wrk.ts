// Runs wrk (when on PATH) against the same scenario as the node:http client: unique-urls.lua cycles
// through the same paths and makes every URL unique. Undefined when wrk is absent.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadOptions, LoadResult } from './http-load.js';

export function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version prints its banner and exits 1
    return (err as { status?: number }).status === 1;
  }
}

/** wrk runs for whole seconds: the run it makes of `durationMs`. */
export const wrkSeconds = (durationMs: number) => Math.max(1, Math.round(durationMs / 1000));

export async function runWrk(o: LoadOptions, threads: number): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  try {
    const list = join(dir, 'paths.txt');
    writeFileSync(list, o.paths.join('\n') + '\n');
    const headers = Object.entries(o.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const args = [
      `-t${Math.min(threads, o.concurrency)}`, `-c${o.concurrency}`, `-d${wrkSeconds(o.durationMs)}s`, '--timeout', '10s',
      '-s', join(import.meta.dirname, 'unique-urls.lua'), ...headers, o.base + '/', '--', list,
    ];
    const out = await new Promise<string>((resolve, reject) =>
      execFile('wrk', args, { maxBuffer: 1 << 20 }, (err, stdout, stderr) => (err ? reject(new Error(`wrk: ${err.message} ${stderr}`)) : resolve(stdout))),
    );
    const line = out.split('\n').find((l) => l.startsWith('WRK_JSON '));
    if (!line) throw new Error(`wrk printed no summary:\n${out}`);
    const w = JSON.parse(line.slice(9)) as {
      requests: number; durationUs: number; bytes: number; errors: Record<string, number>; latencyUs: Record<string, number>; cpuTicks: number;
    };
    const seconds = w.durationUs / 1e6;
    const errors = Object.values(w.errors).reduce((a, b) => a + b, 0);
    return {
      requests: w.requests, seconds, reqPerSec: w.requests / seconds, meanMs: w.latencyUs.mean! / 1000, p50Ms: w.latencyUs.p50! / 1000,
      p99Ms: w.latencyUs.p99! / 1000, maxMs: w.latencyUs.max! / 1000, errors, bytes: w.bytes, detail: { ...w.errors },
      clientCpu: w.cpuTicks >= 0 ? w.cpuTicks / 100 / seconds : undefined, // clock ticks, 100 a second
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
