// Part `mesh-http`: /mesh/tiles end to end over real sockets. Terrarium PNG mosaics (mesh-inputs.ts)
// are written to a temp dir and served by tile-server.ts in its own process (the server's
// `terrariumUrlTemplate`, loopback allowed); the load client (mesh-load.ts) runs in another process.
// Modes, each honestly what it says:
// - cold: meshCacheBytes 0 and elevationCacheBytes 0; every request fetches its tile's PNG and its E,
//   S and SE neighbours' (4 PNGs), decodes its own tile whole and only the edges of the others (the
//   E first column, the S and SE first rows), and meshes: the worst case. Cycles the 16 x 16 block
//   (URLs unique; there is no cache to defeat, and 256 tiles in turn never repeat within the 8 in
//   flight; requests in flight at the same time share the decodes they have in common).
// - sweep: default caches, a fresh server, each tile of the top-left 12 x 12 block (--quick: 8 x 8)
//   requested once in row order: a client opening a new area. An E neighbour is decoded whole and
//   cached (it is the next tile), so each PNG is decoded whole about once; decodes in flight are
//   shared between the requests that need them.
// - mesh only: meshCacheBytes 0, default elevation cache already holding the heights of an 8 x 8
//   block: fetch and PNG decode are gone, every request meshes and encodes.
// - warm: default caches, the 8 x 8 block requested once first. The mesh cache key ignores unknown
//   parameters, so the unique URLs are served from the mesh cache: this measures HTTP + cache.
// CPU per tile is split between the server's main thread (Fastify, fetches, caches), the worker
// pool's threads (PNG decode, mesh, encode: the threads that appeared when the app started), the
// server's other threads (V8 GC helpers, libuv), the tile server and the load client, from
// /proc/self/task (Linux) and process.cpuUsage.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { Agent } from 'node:http';
import { loadConfig } from '../../src/config.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import type { ElevationPart } from '../../src/mesh/elevation-grid.js';
import { runMeshTask, type MeshResult } from '../../src/mesh/mesh-task.js';
import { ask, forkBenchChild } from './bench-child.js';
import { buildApp } from '../../src/server/app.js';
import { openSource } from '../../src/sources/open-source.js';
import { decodeQuantizedMesh } from '../kernels/reference/quantized-mesh.js';
import { get, type LoadResult } from './http-load.js';
import { firstByteDifference } from './measure.js';
import { fujiMosaic, gcMosaic, writeMosaic, Z11_ERROR, Z12_ERROR, type Mosaic } from './mesh-inputs.js';
import type { MeshLoadOptions } from './mesh-load.js';

export type MeshHttpMode = 'cold' | 'sweep' | 'mesh only' | 'warm';

export interface MeshHttpRow extends LoadResult {
  scenario: string;
  mode: MeshHttpMode;
  concurrency: number;
  /** Wall time per tile at this throughput (1000 / req/s), all cores together. */
  msPerTile: number;
  /**
   * CPU ms per tile: the server's main thread, its worker pool's threads (the threads the pool
   * started), its other threads (V8 GC helpers, libuv), the tile server, the load client.
   */
  cpuMsPerTile: { main: number; workers: number; other: number; tileServer: number; client: number };
  /** Event-loop utilization of the server's main thread. */
  serverElu: number;
  /** Garbage collection pauses of the server's main thread, ms per tile. */
  mainGcMsPerTile: number;
  /** Requests the tile server answered per tile (PNG reads, 404s included). */
  upstreamPerTile: number;
}

export interface MeshReplayRow {
  scenario: string;
  tiles: number;
  /** Wall ms per tile of the 4 PNG reads (concurrent, as the server does them) over loopback. */
  fetchMs: number;
  /** ms per tile of the worker's task on those PNGs (runMeshTask: decode, mesh, encode). */
  taskMs: number;
  /** Garbage collection pauses during the reads and the task, ms per tile. */
  gcMs: number;
  /** Mean latency of the same tiles over HTTP, cold, concurrency 1. */
  httpC1Ms?: number;
}

export interface MeshHttpResult {
  rows: MeshHttpRow[];
  replay: MeshReplayRow[];
  /** Each scenario's first tile over HTTP is byte-identical to the worker's task run in-process. */
  identical: Record<string, boolean>;
}

interface Scenario {
  id: string;
  name: string;
  mosaic: Mosaic;
  maxError: string;
  quantizer?: 'delatin';
  modes: MeshHttpMode[];
}

const BLOCK = 16; // the cold and sweep tiles: 16 x 16 (the mosaics are 17 x 17)
const WARM_BLOCK = 8; // the mesh-only and warm tiles: 8 x 8, so that their caches hold them all

const tilePath = (s: Scenario, i: number, j: number) =>
  `/mesh/tiles/${s.mosaic.z}/${s.mosaic.x0 + i}/${s.mosaic.y0 + j}.terrain?url=terrarium&mesh_max_error=${s.maxError}${s.quantizer ? `&mesh_quantizer=${s.quantizer}` : ''}`;
const block = (s: Scenario, n: number) => Array.from({ length: n * n }, (_, k) => tilePath(s, k % n, Math.floor(k / n)));

async function runClient(o: MeshLoadOptions): Promise<LoadResult> {
  const child = forkBenchChild('./mesh-load.ts');
  return ask<LoadResult>(child, o);
}

/** Thread ids of this process (Linux /proc; empty elsewhere). */
function threadIds(): Set<string> {
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

/** CPU ms of the given threads of this process (Linux /proc; NaN elsewhere). Exited threads count 0. */
function threadsCpuMs(tids: Iterable<string>): number {
  let ms = 0, any = false;
  for (const tid of tids) {
    try {
      const f = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ms += (Number(f[11]) + Number(f[12])) * 10; // clock ticks of 10 ms
      any = true;
    } catch {
      // the thread has exited
    }
  }
  return any ? ms : NaN;
}
const processCpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };

type TileStats = { cpuMs: number; requests: number; notFound: number };

/** Counts the main thread's garbage collection pauses until stopped. */
function gcMeter(): () => Promise<number> {
  let ms = 0;
  const obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) ms += e.duration; });
  obs.observe({ entryTypes: ['gc'] });
  return async () => {
    await new Promise((resolve) => setImmediate(resolve)); // entries are delivered asynchronously
    obs.disconnect();
    return ms;
  };
}

async function measure(tileServer: ChildProcess, poolThreads: Set<string>, run: () => Promise<LoadResult>) {
  const s0 = await ask<TileStats>(tileServer, 'stats');
  const elu = performance.eventLoopUtilization();
  const mainTid = [String(process.pid)];
  const main0 = threadsCpuMs(mainTid), pool0 = threadsCpuMs(poolThreads), all0 = processCpuMs();
  const gc = gcMeter();
  const r = await run();
  const main = threadsCpuMs(mainTid) - main0, pool = threadsCpuMs(poolThreads) - pool0, all = processCpuMs() - all0;
  const serverElu = performance.eventLoopUtilization(elu).utilization;
  const gcMs = await gc();
  const s1 = await ask<TileStats>(tileServer, 'stats');
  const n = Math.max(1, r.requests);
  return {
    ...r,
    msPerTile: 1000 / r.reqPerSec,
    cpuMsPerTile: { main: main / n, workers: pool / n, other: (all - main - pool) / n, tileServer: (s1.cpuMs - s0.cpuMs) / n, client: ((r.clientCpu ?? NaN) * r.seconds * 1000) / n },
    serverElu,
    mainGcMsPerTile: gcMs / n,
    upstreamPerTile: (s1.requests - s0.requests) / n,
  };
}

export async function benchMeshHttp(budget: { coldMs: number; meshOnlyMs: number; warmMs: number; c1Ms: number; sweepBlock: number }, log: (s: string) => void): Promise<MeshHttpResult> {
  log('  building the Terrarium mosaics (17 x 17 tiles each, sharp-encoded PNGs)');
  const [gc, fuji] = [await gcMosaic(BLOCK + 1), await fujiMosaic(BLOCK + 1)];
  const dir = mkdtempSync(join(tmpdir(), 'bench-mesh-tiles-'));
  writeMosaic(dir, gc);
  writeMosaic(dir, fuji);
  const tileServer = forkBenchChild('./tile-server.ts');
  const { url } = await ask<{ url: string }>(tileServer, { root: dir });
  const template = `${url}/{z}/{x}/{y}.png`;
  const base = { sourceAllowlist: [url + '/'], allowPrivateAddresses: true, terrariumUrlTemplate: template };
  const all: MeshHttpMode[] = ['cold', 'sweep', 'mesh only', 'warm'];
  const scenarios: Scenario[] = [
    { id: 'gc-30', name: `${gc.label} @ 30.10 m, martini`, mosaic: gc, maxError: '30.10', modes: all },
    { id: 'fuji-15', name: `${fuji.label} @ 15.05 m, martini`, mosaic: fuji, maxError: '15.05', modes: all },
    { id: 'fuji-30', name: `${fuji.label} @ 30.10 m, martini`, mosaic: fuji, maxError: '30.10', modes: all },
    { id: 'gc-30-delatin', name: `${gc.label} @ 30.10 m, delatin`, mosaic: gc, maxError: '30.10', quantizer: 'delatin', modes: ['cold', 'mesh only'] },
  ];
  if (Number(scenarios[0]!.maxError) !== Z11_ERROR || Number(scenarios[1]!.maxError) !== Z12_ERROR) throw new Error('mesh_max_error out of step with mesh-inputs.ts');
  const rows: MeshHttpRow[] = [];
  const replay: MeshReplayRow[] = [];
  const identical: Record<string, boolean> = {};
  const agent = new Agent({ keepAlive: true });
  const kernels = await loadKernels();

  let poolThreads = new Set<string>();
  const withApp = async (config: object, fn: (base: string) => Promise<void>) => {
    const before = threadIds();
    const app = buildApp({ config: { ...base, ...config } });
    await app.listen({ host: '127.0.0.1', port: 0 }); // the pool starts its threads when the app is ready
    poolThreads = new Set([...threadIds()].filter((t) => !before.has(t)));
    try {
      await fn(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
    } finally {
      await app.close();
    }
  };
  /** Requests the paths once (concurrency 4), checking each is a quantized-mesh tile with vertices. */
  const prime = async (server: string, paths: string[]) => {
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < paths.length) {
        const path = paths[next++]!;
        const r = await get(`${server}${path}&_=prime`, agent);
        if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status} ${r.body.subarray(0, 200).toString()}`);
        if (decodeQuantizedMesh(new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.length)).u.length < 4) throw new Error(`${path}: empty mesh`);
      }
    }));
  };
  const row = async (s: Scenario, mode: MeshHttpMode, concurrency: number, server: string, o: Omit<MeshLoadOptions, 'base' | 'concurrency'>) => {
    log(`  ${mode} c=${concurrency} ${s.name}`);
    const r = await measure(tileServer, poolThreads, () => runClient({ ...o, base: server, concurrency }));
    rows.push({ scenario: s.name, mode, concurrency, ...r });
    return r;
  };

  try {
    // each scenario's first tile over HTTP = the worker's function in-process on the same PNGs
    const config = loadConfig(base);
    /** The 4 PNGs of tile (i, j) as the server reads them, and the worker's task on them (as a cold server: caches off). */
    const pngTask = async (s: Scenario, i: number, j: number): Promise<{ run: () => Promise<MeshResult>; fetchMs: number }> => {
      const m = s.mosaic;
      const t0 = performance.now();
      const read = async (x: number, y: number) => (await openSource(`${url}/${m.z}/${m.x0 + x}/${m.y0 + y}.png`, config)).read({ offset: 0, length: 8 * 1024 * 1024 });
      const pngs = await Promise.all([read(i, j), read(i + 1, j), read(i, j + 1), read(i + 1, j + 1)]);
      const fetchMs = performance.now() - t0;
      const parts: ElevationPart[] = ['full', 'column', 'row', 'row'];
      const run = () => runMeshTask(kernels, {
        kind: 'mesh', tile: { z: m.z, x: m.x0 + i, y: m.y0 + j }, size: 256, maxError: Number(s.maxError), quantizer: s.quantizer ?? 'martini',
        orientation: 'kepler', extensions: { octNormals: false, metadata: false },
        tiles: { scale: 1, childSize: 256, slots: parts.map((_, png) => ({ png })), decode: { encoding: 'terrarium', size: 256, tiles: pngs.map((png, k) => ({ key: 'bench', png, part: parts[k]! })) } },
      });
      return { fetchMs, run };
    };

    await withApp({ meshCacheBytes: 0, elevationCacheBytes: 0 }, async (server) => {
      for (const s of scenarios) {
        const r = await get(`${server}${tilePath(s, 0, 0)}&_=check`, agent);
        const expected = (await (await pngTask(s, 0, 0)).run()).body;
        identical[s.id] = r.status === 200 && firstByteDifference(new Uint8Array(r.body.buffer, r.body.byteOffset, r.body.length), expected) < 0;
        await prime(server, block(s, BLOCK).slice(0, 16)); // checks and warms the JIT
        if (s.modes.includes('cold')) await row(s, 'cold', 8, server, { paths: block(s, BLOCK), durationMs: budget.coldMs });
      }
      // where the time of a cold request goes: the reads and the worker's function, one tile at a time
      for (const s of scenarios.slice(0, 2)) {
        const n = 24;
        let fetchMs = 0, taskMs = 0;
        let gc = gcMeter();
        for (let k = 0; k < n + 2; k++) {
          if (k === 2) (await gc(), (gc = gcMeter()));
          const { run, fetchMs: f } = await pngTask(s, k % BLOCK, 3);
          const t0 = performance.now();
          await run();
          if (k >= 2) (fetchMs += f), (taskMs += performance.now() - t0); // the first two warm up
        }
        const gcMs = await gc();
        const c1 = await row(s, 'cold', 1, server, { paths: block(s, BLOCK), durationMs: budget.c1Ms });
        replay.push({ scenario: s.name, tiles: n, fetchMs: fetchMs / n, taskMs: taskMs / n, gcMs: gcMs / n, httpC1Ms: c1.meanMs });
      }
    });

    for (const s of scenarios.filter((x) => x.modes.includes('sweep'))) {
      await withApp({}, async (server) => {
        // warm the JIT on the other mosaic: none of its PNGs or meshes are this sweep's
        const other = scenarios.find((x) => x.mosaic !== s.mosaic)!;
        await prime(server, block(other, 4));
        await row(s, 'sweep', 8, server, { paths: block(s, Math.min(BLOCK, budget.sweepBlock)), durationMs: 0, once: true });
      });
    }

    await withApp({ meshCacheBytes: 0 }, async (server) => {
      for (const s of scenarios.filter((x) => x.modes.includes('mesh only'))) {
        await prime(server, block(s, WARM_BLOCK));
        await row(s, 'mesh only', 8, server, { paths: block(s, WARM_BLOCK), durationMs: budget.meshOnlyMs });
      }
    });

    await withApp({}, async (server) => {
      for (const s of scenarios.filter((x) => x.modes.includes('warm'))) {
        await prime(server, block(s, WARM_BLOCK));
        await row(s, 'warm', 8, server, { paths: block(s, WARM_BLOCK), durationMs: budget.warmMs });
      }
    });
  } finally {
    agent.destroy();
    tileServer.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, replay, identical };
}
