// npm run loadtest [-- --clients 60 --duration 30 --mix cog=40,mosaic=30,mesh=30 --inflight 6 --think 200-1000 --retry-cap 10 --seed 1]
// Drives `clients` kepler.gl-like map users (loadtest-client.ts, its own process) for a bounded time
// against the built server run as an operator runs it (node build/js/src/main.js, its own process,
// configured by environment: the cache limits and WORKERS are taken from this process's environment),
// over loopback data only (loadtest-data.ts). Reports req/s, p50/p99 latency overall and per kind,
// answers by status, and the server's peak RSS (VmRSS sampled every 100 ms, and VmHWM) beside its
// configured cache limits; writes test/bench/results/loadtest-<timestamp>.json and loadtest-latest.json.
// The goal: no 5xx but deliberate 503s (with Retry-After), no network errors, RSS bounded by the caches.
// Exits 1 when an answer failed (a 5xx but 503, a network error, a malformed 200 body, a 503 without Retry-After).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import type { ClientOptions, ClientResult, KindStats } from './loadtest-client.js';
import { runBenchChild } from './bench-child.js';
import { KINDS, startLoadData, type Kind } from './loadtest-data.js';
import { meterLoad } from './machine-load.js';
import { percentile } from './measure.js';
import { table } from './report.js';
import { RESULTS_DIR } from './results.js';
import { procCpuSeconds, procStatusBytes, sampleRss, scrapeMetrics, startServerProcess, type ServerExit } from './server-process.js';

const USAGE = 'usage: npm run loadtest -- [--clients N] [--duration SECONDS] [--mix cog=W,mosaic=W,mesh=W] [--inflight N] [--think MIN-MAX(ms)] [--retry-cap SECONDS] [--seed N]';

interface Options {
  clients: number;
  durationS: number;
  mix: Record<Kind, number>;
  inflight: number;
  thinkMs: [number, number];
  retryCapS: number;
  seed: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { clients: 60, durationS: 30, mix: { cog: 40, mosaic: 30, mesh: 30 }, inflight: 6, thinkMs: [200, 1000], retryCapS: 10, seed: 1 };
  const positive = (name: string, v: string | undefined) => {
    const n = Number(v);
    if (!(n > 0)) throw new Error(`${name} takes a positive number, got ${JSON.stringify(v)}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--help' || flag === '-h') (console.log(USAGE), process.exit(0));
    else if (flag === '--clients') o.clients = Math.round(positive(flag, value()));
    else if (flag === '--duration') o.durationS = positive(flag, value()?.replace(/s$/, ''));
    else if (flag === '--inflight') o.inflight = Math.round(positive(flag, value()));
    else if (flag === '--retry-cap') o.retryCapS = positive(flag, value()?.replace(/s$/, ''));
    else if (flag === '--seed') o.seed = Math.round(positive(flag, value()));
    else if (flag === '--think') {
      const v = value() ?? '';
      const m = /^(\d+)(?:-(\d+))?$/.exec(v);
      if (!m) throw new Error(`--think takes MIN-MAX milliseconds, got ${JSON.stringify(v)}`);
      o.thinkMs = [Number(m[1]), Number(m[2] ?? m[1])];
    } else if (flag === '--mix') {
      const v = argv[i]!.startsWith('--mix=') ? argv[i]!.slice(6) : argv[++i] ?? '';
      o.mix = { cog: 0, mosaic: 0, mesh: 0 };
      for (const part of v.split(',').filter(Boolean)) {
        const [k, w] = part.split('=');
        if (!KINDS.includes(k as Kind) || !(Number(w ?? 1) >= 0)) throw new Error(`--mix takes ${KINDS.map((x) => `${x}=WEIGHT`).join(',')}, got ${JSON.stringify(v)}`);
        o.mix[k as Kind] = Number(w ?? 1);
      }
    } else throw new Error(`unknown argument ${argv[i]} (${USAGE})`);
  }
  return o;
}

const MiB = 1024 * 1024;
const log = (s: string) => process.stderr.write(s + '\n');
const git = (...args: string[]) => { try { return execFileSync('git', args, { encoding: 'utf8' }).trim(); } catch { return 'n/a'; } };

interface Row {
  kind: string;
  requests: number;
  retries: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Tiles answered, and the time to each tile's final answer (retries and Retry-After waits included). */
  tiles: number;
  tileP50Ms: number;
  tileP99Ms: number;
  mbPerSec: number;
  s200: number;
  s204: number;
  s4xx: number;
  s503: number;
  s5xx: number;
  network: number;
  badBodies: number;
  noRetryAfter: number;
  /** Answers by status code. */
  statuses: Record<string, number>;
}

function row(kind: string, stats: KindStats[], seconds: number): Row {
  const latencies = stats.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  const tiles = stats.flatMap((s) => s.tileMs).sort((a, b) => a - b);
  const statuses: Record<string, number> = {};
  for (const s of stats) for (const [k, n] of Object.entries(s.statuses)) statuses[k] = (statuses[k] ?? 0) + n;
  const count = (test: (status: number) => boolean) => Object.entries(statuses).filter(([k]) => test(Number(k))).reduce((a, [, n]) => a + n, 0);
  const sum = (f: (s: KindStats) => number) => stats.reduce((a, s) => a + f(s), 0);
  return {
    kind, requests: latencies.length, retries: sum((s) => s.retries), reqPerSec: latencies.length / seconds,
    p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: percentile(latencies, 100),
    tiles: tiles.length, tileP50Ms: percentile(tiles, 50), tileP99Ms: percentile(tiles, 99), mbPerSec: sum((s) => s.bytes) / 1e6 / seconds,
    s200: count((s) => s === 200), s204: count((s) => s === 204), s4xx: count((s) => s >= 400 && s < 500), s503: count((s) => s === 503),
    s5xx: count((s) => s >= 500 && s !== 503), network: count((s) => s === 0), badBodies: sum((s) => s.badBodies), noRetryAfter: sum((s) => s.noRetryAfter), statuses,
  };
}

const opts = parseArgs(process.argv.slice(2));
const config = loadConfig();
const caches = {
  BLOCK_CACHE_BYTES: config.blockCacheBytes, HEADER_CACHE_BYTES: config.headerCacheBytes, ELEVATION_CACHE_BYTES: config.elevationCacheBytes,
  MESH_CACHE_BYTES: config.meshCacheBytes, STAC_CACHE_BYTES: config.stacCacheBytes,
};
const cacheTotal = Object.values(caches).reduce((a, b) => a + b, 0);
const startedAt = new Date().toISOString();

log('== loadtest: setting up the loopback data');
const data = await startLoadData(log);
let stopped: ServerExit | undefined;
const server = await startServerProcess({
  SOURCE_ALLOWLIST: data.allowlist.join(','), ALLOW_PRIVATE_ADDRESSES: '1', TERRARIUM_URL_TEMPLATE: data.terrariumTemplate, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
}).catch(async (err) => { await data.close(); throw err; });
try {
  const layers = await data.layers(server.base);
  const idleRss = procStatusBytes(server.pid, 'VmRSS');
  log(`  server pid ${server.pid} on ${server.base}, ${config.workers} workers, MAX_WORKER_REQUESTS ${config.maxWorkerRequests}, idle RSS ${(idleRss / MiB).toFixed(0)} MiB; layers: ${layers.map((l) => l.id).join(', ')}`);
  log(`== ${opts.clients} clients for ${opts.durationS} s, mix ${KINDS.map((k) => `${k}=${opts.mix[k]}`).join(',')}, ${opts.inflight} in flight each`);
  const meter = meterLoad();
  const serverCpu0 = procCpuSeconds(server.pid);
  const sampler = sampleRss(server.pid, 100);
  const result = await runBenchChild<ClientResult>('./loadtest-client.ts', {
    base: server.base, layers, clients: opts.clients, durationMs: opts.durationS * 1000, mix: opts.mix, inflight: opts.inflight, viewport: [5, 4],
    thinkMs: opts.thinkMs, retryCapMs: opts.retryCapS * 1000, timeoutMs: 60_000, seed: opts.seed,
  } satisfies ClientOptions);
  const rss = sampler.stop();
  const hwm = procStatusBytes(server.pid, 'VmHWM');
  const serverCores = (procCpuSeconds(server.pid) - serverCpu0) / result.seconds;
  const alive = await fetch(`${server.base}/healthz`).then((r) => r.status, () => 0);
  // what the caches hold at the end, and the main thread's V8 heap and external memory (workers not included)
  const metrics = await scrapeMetrics(server.base, ['cache_size_bytes', 'cache_hits_total', 'cache_misses_total', 'nodejs_heap_size_total_bytes', 'nodejs_external_memory_bytes']);
  stopped = await server.stop();
  const load = meter();

  const rows = [...KINDS.filter((k) => result.byKind[k].requests > 0).map((k) => row(k, [result.byKind[k]], result.seconds)), row('all', KINDS.map((k) => result.byKind[k]), result.seconds)];
  const all = rows[rows.length - 1]!;
  console.log(table(
    `Load test: ${opts.clients} kepler-like clients, ${result.seconds.toFixed(1)} s, ${opts.inflight} in flight each, loopback (${availableParallelism()} cores, shared)`,
    ['kind', 'requests', 'retries', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'tile p99 ms', 'MB/s', '200', '204', '4xx', '503', 'other 5xx', 'net err', 'bad body'],
    rows.map((r) => [r.kind, r.requests, r.retries, r.reqPerSec, r.p50Ms, r.p99Ms, r.maxMs, r.tileP99Ms, r.mbPerSec, r.s200, r.s204, r.s4xx, r.s503, r.s5xx, r.network, r.badBodies]),
    [0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0],
  ));
  const mib = (b: number) => `${(b / MiB).toFixed(0)} MiB`;
  const over = hwm - (idleRss + cacheTotal);
  console.log(`\nserver RSS: idle ${mib(idleRss)}, peak sampled ${mib(rss.peakBytes)}, VmHWM ${mib(hwm)}, at the end ${mib(rss.samples.at(-1)?.[1] ?? NaN)}; ` +
    `configured cache limits ${mib(cacheTotal)} (${Object.entries(caches).map(([k, v]) => `${k} ${mib(v)}`).join(', ')}); ` +
    `idle + caches = ${mib(idleRss + cacheTotal)}, VmHWM ${over > 0 ? `${mib(over)} above` : `${mib(-over)} below`} it`);
  const held = Object.entries(metrics).filter(([k]) => k.startsWith('cache_size_bytes')).map(([k, v]) => `${/cache="([^"]+)"/.exec(k)?.[1]} ${mib(v)}`);
  if (held.length > 0) {
    console.log(`at the end (/metrics): caches hold ${held.join(', ')}; main thread V8 heap ${mib(metrics.nodejs_heap_size_total_bytes ?? NaN)}, external ${mib(metrics.nodejs_external_memory_bytes ?? NaN)}`);
  }
  console.log(`statuses: ${JSON.stringify(all.statuses)}; 503 without Retry-After: ${all.noRetryAfter}; viewports: ${result.viewports}`);
  console.log(`server after the run: /healthz ${alive}, exit on SIGTERM ${stopped.code ?? stopped.signal}${stopped.forced ? ' (SIGKILLed after 10 s)' : ''}`);
  // every answer but 200, grouped; 5xx other than 503 and network errors are failures
  for (const [key, f] of Object.entries(result.nonOk)) {
    const status = Number(key.split(' ')[1]);
    console.log(`${status === 0 || (status >= 500 && status !== 503) ? 'FAILURE' : 'answer'} x${f.count}: ${key.slice(0, 300)}\n  e.g. ${f.path}`);
  }
  const note = load.otherCores > 0.2 ? ': the machine was busy, these numbers are low and noisy' : '';
  console.log(`cores used: server ${serverCores.toFixed(2)}, load client ${result.clientCpu.toFixed(2)}, load test in all ${load.benchCores.toFixed(2)}, other processes ${load.otherCores.toFixed(2)} of ${availableParallelism()}${note}`);
  const failed = all.s5xx > 0 || all.network > 0 || all.noRetryAfter > 0 || all.badBodies > 0;
  const goal = !failed && hwm <= idleRss + cacheTotal;
  if (failed) process.exitCode = 1; // an answer failed; RSS over the line is reported, not failed (see the README)
  console.log(`goal (no 5xx but 503 with Retry-After, no network errors or bad bodies, VmHWM <= idle + cache limits): ${goal ? 'met' : 'NOT met'}`);

  const out = {
    startedAt, options: opts,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, commit: git('rev-parse', '--short', 'HEAD'), dirtyFiles: git('status', '--porcelain').split('\n').filter(Boolean).length },
    server: { workers: config.workers, maxWorkerRequests: config.maxWorkerRequests, cacheLimits: caches, cacheTotalBytes: cacheTotal, idleRssBytes: idleRss, peakRssBytes: rss.peakBytes, vmHwmBytes: hwm, cores: serverCores, healthzAfter: alive, exit: stopped, metrics },
    // one RSS sample a second is enough to plot
    rssSamples: rss.samples.filter((_, i) => i % 10 === 0),
    cpu: { clientCores: result.clientCpu, ...load },
    seconds: result.seconds, viewports: result.viewports, layers: layers.map((l) => ({ id: l.id, kind: l.kind, template: l.template })),
    rows, nonOk: result.nonOk, goalMet: goal,
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `loadtest-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  writeFileSync(join(RESULTS_DIR, 'loadtest-latest.json'), JSON.stringify(out, null, 2) + '\n');
  log(`wrote ${file} and loadtest-latest.json`);
} finally {
  if (!stopped) await server.stop();
  await data.close();
}
