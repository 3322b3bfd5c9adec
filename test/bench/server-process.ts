// The server as an operator runs it: `node build/js/src/main.js` in its own process, configured by
// environment, so that its memory can be watched from outside (/proc/<pid>/status, Linux) as a
// supervisor or a container limit sees it.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';

/** How the server process ended: its exit code or signal, and whether it had to be SIGKILLed. */
export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  forced: boolean;
}

export interface ServerProcess {
  base: string;
  pid: number;
  /** The last lines the server wrote to stdout/stderr (pino JSON at LOG_LEVEL and anything else). */
  output: string[];
  /** SIGTERM, and SIGKILL if it has not exited after `graceMs`; resolves with how it exited. */
  stop(graceMs?: number): Promise<ServerExit>;
}

/** A port free right now on 127.0.0.1 (the server needs a fixed PORT). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const KEEP_LINES = 200;

/** Starts build/js/src/main.js with `env` (PORT is chosen here) and waits until /healthz answers 200. */
export async function startServerProcess(env: Record<string, string>, readyTimeoutMs = 30_000): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'build', 'js', 'src', 'main.js')], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (output.length > KEEP_LINES) output.splice(0, output.length - KEEP_LINES);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, child, readyTimeoutMs, output);
  return {
    base,
    pid: child.pid!,
    output,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
      const first = await Promise.race([exited, timer]);
      if (first !== 'timeout') return { ...first, forced: false };
      child.kill('SIGKILL');
      return { ...(await exited), forced: true };
    },
  };
}

async function waitHealthy(base: string, child: ChildProcess, timeoutMs: number, output: string[]): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready:\n${output.join('\n')}`);
    const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server not healthy after ${timeoutMs} ms:\n${output.join('\n')}`);
}

/** A field of /proc/<pid>/status in bytes (VmRSS: resident now, VmHWM: the peak); NaN when unreadable. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** CPU seconds (user + system, all threads) of a process so far, from /proc/<pid>/stat; NaN when unreadable. */
export function procCpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // clock ticks, 100 a second
  } catch {
    return NaN;
  }
}

export interface RssSampler {
  /** Stops sampling; the samples (ms since start, bytes) and their peak. */
  stop(): { samples: Array<[ms: number, bytes: number]>; peakBytes: number };
}

/** Samples VmRSS of `pid` every `everyMs`. */
export function sampleRss(pid: number, everyMs = 100): RssSampler {
  const t0 = performance.now();
  const samples: Array<[number, number]> = [];
  const take = () => {
    const rss = procStatusBytes(pid, 'VmRSS');
    if (Number.isFinite(rss)) samples.push([Math.round(performance.now() - t0), rss]);
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return { samples, peakBytes: Math.max(0, ...samples.map((s) => s[1])) };
    },
  };
}

/** Samples of the server's /metrics (Prometheus text), `name{labels}` -> value; empty when /metrics is off or protected. */
export async function scrapeMetrics(base: string, names: string[]): Promise<Record<string, number>> {
  const res = await fetch(`${base}/metrics`).catch(() => undefined);
  if (!res?.ok) return {};
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && names.includes(m[1]!)) out[m[1]! + (m[2] ?? '')] = Number(m[3]);
  }
  return out;
}
