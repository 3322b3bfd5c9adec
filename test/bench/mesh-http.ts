// Part `mesh-http`: /mesh/tiles end to end over real sockets. Terrarium PNG mosaics (mesh-inputs.ts)
// are written to a temp dir and served with Range by a tile server in its own process (the server's
// `terrariumUrlTemplate`, loopback allowed); the load client is another process.
// The harness is light, since on a 2-core machine whatever it uses is taken from the server (in
// production the upstream and the clients are other machines): the tile server is nginx when installed
// (static-tiles.ts), else tile-server.ts (Node); the load client is wrk when installed (wrk.ts,
// unique-urls.lua: one thread, the same paths in the same order, every URL unique), else mesh-load.ts
// (Node). The sweeps always use mesh-load.ts: wrk runs for whole seconds and cannot request each path
// exactly once. `--node-harness` forces the Node tile server and client (the harness before nginx and wrk).
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
// Wall ms per tile is 1000 / req/s with every core, so it depends on what the harness takes; server
// CPU ms per tile (main + workers + other threads of the server) does not. CPU per tile is split
// between the server's main thread (Fastify, fetches, caches), the worker pool's threads (PNG decode,
// mesh, encode: the threads that appeared when the app started), the server's other threads (V8 GC
// helpers, libuv), the tile server and the load client (server-meter.ts). A wrk row's server figures
// are measured from 15% to 90% of its run, per tile the server answered meanwhile (wrk abandons its
// requests in flight when it stops); a node:http row's over its whole run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { Agent } from 'node:http';
import { loadConfig } from '../../src/config.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import type { ElevationPart } from '../../src/mesh/elevation-grid.js';
import { runMeshTask, type MeshResult } from '../../src/mesh/mesh-task.js';
import { runBenchChild } from './bench-child.js';
import { buildApp } from '../../src/server/app.js';
import { openSource } from '../../src/sources/open-source.js';
import { decodeQuantizedMesh } from '../kernels/reference/quantized-mesh.js';
import { get, type LoadResult } from './http-load.js';
import { firstByteDifference } from './measure.js';
import { fujiMosaic, gcMosaic, writeMosaic, Z11_ERROR, Z12_ERROR, type Mosaic } from './mesh-inputs.js';
import type { MeshLoadOptions } from './mesh-load.js';
import { gcLog, ServerMeter, type ServerUsage } from './server-meter.js';
import { startStaticTiles, type StaticTiles } from './static-tiles.js';
import { hasWrk, runWrk, wrkSeconds } from './wrk.js';

export type MeshHttpMode = 'cold' | 'sweep' | 'mesh only' | 'warm';
export type MeshLoadClient = 'wrk' | 'node:http';

export interface MeshHttpRow extends LoadResult, Omit<ServerUsage, 'cpuMsPerTile'> {
  scenario: string;
  mode: MeshHttpMode;
  concurrency: number;
  /** The load client that ran this row. */
  client: MeshLoadClient;
  /** Wall time per tile at this throughput (1000 / req/s), all cores together. */
  msPerTile: number;
  /** CPU ms per tile of the server process (main + workers + other): what does not depend on the harness. */
  serverCpuMsPerTile: number;
  /**
   * CPU ms per tile: the server's main thread, its worker pool's threads (the threads the pool
   * started), its other threads (V8 GC helpers, libuv), the tile server, the load client.
   */
  cpuMsPerTile: ServerUsage['cpuMsPerTile'] & { client: number };
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
  /** The process that served the Terrarium PNGs. */
  tileServer: StaticTiles['kind'];
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

/**
 * Runs the client and measures the server meanwhile: wrk (when `wrk` is true and this is not a sweep)
 * in a window inside its run, since it abandons its requests in flight when it stops; mesh-load.ts in
 * a child process over its whole run.
 */
async function measureClient(meter: ServerMeter, o: MeshLoadOptions, wrk: boolean) {
  const r = wrk && !o.once
    ? await meter.measure(async () => ({ ...(await runWrk(o, 1)), client: 'wrk' as const }), wrkSeconds(o.durationMs) * 1000)
    : await meter.measure(async () => ({ ...(await runBenchChild<LoadResult>('./mesh-load.ts', o)), client: 'node:http' as const }));
  const { cpuMsPerTile: cpu } = r;
  return {
    ...r,
    msPerTile: 1000 / r.reqPerSec,
    serverCpuMsPerTile: cpu.main + cpu.workers + cpu.other,
    cpuMsPerTile: { ...cpu, client: ((r.clientCpu ?? NaN) * r.seconds * 1000) / r.requests },
  };
}

/** `harness`: 'light' = nginx and wrk where installed, 'node' = the Node tile server and load client. */
export async function benchMeshHttp(
  budget: { coldMs: number; meshOnlyMs: number; warmMs: number; c1Ms: number; sweepBlock: number },
  harness: 'light' | 'node',
  log: (s: string) => void,
): Promise<MeshHttpResult> {
  log('  building the Terrarium mosaics (17 x 17 tiles each, sharp-encoded PNGs)');
  const [gc, fuji] = [await gcMosaic(BLOCK + 1), await fujiMosaic(BLOCK + 1)];
  const dir = mkdtempSync(join(tmpdir(), 'bench-mesh-tiles-'));
  writeMosaic(dir, gc);
  writeMosaic(dir, fuji);
  const tileServer = await startStaticTiles(dir, harness === 'light');
  const { url } = tileServer;
  const wrk = harness === 'light' && hasWrk();
  log(`  tile server: ${tileServer.kind}; load client: ${wrk ? 'wrk (sweeps: node:http)' : 'node:http'}`);
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

  let meter!: ServerMeter; // the current app's
  const withApp = async (config: object, fn: (base: string) => Promise<void>) => {
    meter = new ServerMeter(tileServer);
    const app = await meter.start(() => buildApp({ config: { ...base, ...config } }), (a) => a.listen({ host: '127.0.0.1', port: 0 }));
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
    const r = await measureClient(meter, { ...o, base: server, concurrency }, wrk);
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
        const gc = gcLog();
        let from = 0;
        for (let k = 0; k < n + 2; k++) {
          if (k === 2) from = performance.now();
          const { run, fetchMs: f } = await pngTask(s, k % BLOCK, 3);
          const t0 = performance.now();
          await run();
          if (k >= 2) (fetchMs += f), (taskMs += performance.now() - t0); // the first two warm up
        }
        const gcMs = await gc.ms(from);
        gc.stop();
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
    await tileServer.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { tileServer: tileServer.kind, rows, replay, identical };
}
