// Tables, goal lines and chart panels of the mesh parts (mesh.ts, mesh-http.ts).
import type { Panel } from './chart.js';
import type { MeshHttpResult } from './mesh-http.js';
import { PIPELINE_STAGES, type MeshBenchResult, type MeshKernelRow } from './mesh.js';
import { table } from './report.js';

const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : '-');

/** The issue's numbers for one 256 px tile on this machine, decode + mesh + encode. */
export const ISSUE = { plainJsMs: 5.4, pythonMs: 16, goalMs: 16 / 3 };

const output = (r: MeshKernelRow) =>
  r.identical === true ? 'identical' : r.identical === false ? `DIFFERENT (${r.mismatch})` : r.kernel === 'elevation' ? '-' : 'own mesh';

export const meshKernelTable = (rows: MeshKernelRow[]) =>
  table(
    '(mesh) WASM mesh kernels vs the JS packages on the same grids (best of 3 rounds; WASM through its glue, copies included;\n' +
      "    'exact'/'seamless' are what /mesh serves: true error bound + seamless edges, a different mesh; size = vertices, or bytes for PNG/encoder)",
    ['kernel', 'input', 'max err', 'JS', 'JS ms', 'WASM', 'WASM ms', 'speed-up', 'goal', 'output', 'JS size', 'WASM size'],
    rows.map((r) => [
      r.kernel, r.input, r.maxError ?? NaN, r.js, r.jsMs, r.wasm, r.wasmMs, Number.isFinite(r.speedup) ? `${f(r.speedup)}x` : '-',
      r.goal ? `>= ${r.goal}x ${r.speedup >= r.goal ? 'met' : 'NOT met'}` : '', output(r), r.jsSize ?? NaN, r.wasmSize ?? NaN,
    ]),
    [0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0],
  );

export const meshPipelineTable = (rows: MeshBenchResult['pipelines']) =>
  table(
    '(mesh) One 256 px Terrarium tile in-process on one thread, ms per tile by stage (png = PNG decode: fast-png for plain JS, ours zlib + WASM\n' +
      '    unfilter with the elevation in the same call (elevation 0), neighbours decoded only as far as their edge; elevation = RGB -> metres,\n' +
      '    grid = 257 grid with backfill or neighbour edges). "plain JS" is the baseline; the worker-task rows are one call (not split)',
    ['pipeline', 'tile', 'max err', 'PNGs', ...PIPELINE_STAGES, 'total ms', 'vs plain JS', 'vertices', 'bytes', 'same bytes as'],
    rows.map((r) => [
      r.pipeline, r.tile, r.maxError, r.pngs, ...PIPELINE_STAGES.map((s) => r.stages[s]), r.totalMs, `${f(r.speedupVsJs, 2)}x`, r.vertices, r.bytes,
      r.sameAs ? `${r.sameAs}: ${r.identical ? 'yes' : 'NO'}` : '',
    ]),
    [0, 0, 2, 0, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0],
  );

const TILE_SERVERS = { nginx: 'nginx (static files)', node: 'the Node tile server (tile-server.ts)' };

export function meshHttpTables(h: MeshHttpResult): string {
  const main = table(
    `(mesh-http) /mesh/tiles over HTTP on 127.0.0.1, Terrarium PNGs from ${TILE_SERVERS[h.tileServer]} in its own process (see mesh-http.ts for the modes:\n` +
      '    cold = mesh + elevation caches off, 4 PNGs fetched per tile: the tile decoded whole, the E neighbour\'s first column, the S and SE first rows;\n' +
      '    sweep = default caches, fresh server, each tile once (E neighbours decoded whole and cached; requests in flight share decodes);\n' +
      '    mesh only = elevation cached, mesh cache off; warm = default caches, repeated tiles = mesh cache hits).\n' +
      '    client = the load client process (wrk MB include response headers, node:http MB are bodies only);\n' +
      '    wall ms/tile = 1000 / req/s with every core (the tile server and the client share the cores: it depends on the harness);\n' +
      '    server CPU ms/tile = the server process, main + workers + other (does not depend on the harness); CPU ms/tile split: server main thread\n' +
      '    | worker pool threads | other server threads (V8 GC helpers, libuv) | tile server process | load client process; the server\'s figures\n' +
      '    (CPU, GC, ELU, PNG reads) per tile it answered, for wrk from 15% to 90% of the run (wrk drops its requests in flight at the end), else over all of it;\n' +
      '    main GC = ms/tile of GC pauses on the server main thread; PNG reads/tile < 4 when cold: concurrent requests share in-flight reads)',
    ['scenario', 'mode', 'conc', 'client', 'requests', 'req/s', 'wall ms/tile', 'server CPU ms/tile', 'p50 ms', 'p99 ms', 'errors', 'MB', 'CPU main', 'CPU workers', 'CPU other', 'CPU tiles', 'CPU client', 'main GC', 'main ELU', 'PNG reads/tile'],
    h.rows.map((r) => [
      r.scenario, r.mode, r.concurrency, r.client, r.requests, r.reqPerSec, r.msPerTile, r.serverCpuMsPerTile, r.p50Ms, r.p99Ms, r.errors, r.bytes / 1e6,
      r.cpuMsPerTile.main, r.cpuMsPerTile.workers, r.cpuMsPerTile.other, r.cpuMsPerTile.tileServer, r.cpuMsPerTile.client, r.mainGcMsPerTile, r.serverElu, r.upstreamPerTile,
    ]),
    [0, 0, 0, 0, 0, 1, 2, 2, 1, 1, 0, 1, 2, 2, 2, 2, 2, 2, 2, 2],
  );
  const replay = table(
    '(mesh-http) A cold request replayed on one thread: the 4 PNG reads over loopback (openSource, as the server reads them), then the worker\'s task\n' +
      '    (runMeshTask: the tile decoded whole, the neighbours\' edges only, meshed and encoded);\n' +
      '    HTTP c=1 = mean latency of cold requests one at a time (the rest is Fastify, the worker round trip and the client)',
    ['scenario', 'tiles', 'fetch ms', 'worker task ms', 'sum', 'of which GC', 'HTTP c=1 ms'],
    h.replay.map((r) => [r.scenario, r.tiles, r.fetchMs, r.taskMs, r.fetchMs + r.taskMs, r.gcMs, r.httpC1Ms ?? NaN]),
    [0, 0, 2, 2, 2, 2, 2],
  );
  const same = Object.entries(h.identical).map(([id, ok]) => `${id}: ${ok ? 'identical' : 'DIFFERENT'}`).join(', ');
  return `${main}\n${replay}\n  first tile of each scenario over HTTP vs the worker's task in-process on the same PNGs: ${same}`;
}

/** The issue's goals against the measurements. */
export function meshGoals(m: MeshBenchResult | undefined, h: MeshHttpResult | undefined): string {
  const out = ['\n(mesh) Goals'];
  if (m) {
    const worst = (kernel: string, wasm: string) => m.kernels.filter((r) => r.kernel === kernel && r.wasm.includes(wasm));
    for (const [kernel, wasm, goal, pkg] of [['martini', "'compat'", 1.5, '@mapbox/martini'], ['delatin', "'compat'", 3, 'delatin']] as const) {
      const rows = worst(kernel, wasm);
      const min = Math.min(...rows.map((r) => r.speedup)), max = Math.max(...rows.map((r) => r.speedup));
      const same = rows.every((r) => r.identical);
      out.push(`  ${kernel} ${wasm} >= ${goal}x ${pkg}: ${f(min)}x..${f(max)}x over ${rows.length} grids, ${same ? 'identical arrays on all' : 'NOT identical on some'}: ${min >= goal ? 'met' : 'NOT met'}`);
      const served = m.kernels.filter((r) => r.kernel === kernel && r.wasm.includes('served'));
      out.push(`    as served (${served[0]?.wasm}): ${f(Math.min(...served.map((r) => r.speedup)))}x..${f(Math.max(...served.map((r) => r.speedup)))}x ${pkg}'s time`);
    }
    for (const tile of new Set(m.pipelines.map((p) => p.tile))) {
      const rows = m.pipelines.filter((p) => p.tile === tile);
      const js = rows.find((p) => p.pipeline.startsWith('plain JS'));
      const served4 = rows.find((p) => p.pipeline.startsWith('ours as served, 4 PNGs') && !p.pipeline.includes('Delatin'));
      const served1 = rows.find((p) => p.pipeline.startsWith('ours as served, 1 PNG'));
      const cached = rows.find((p) => p.pipeline.includes('elevation cached'));
      const compat = rows.find((p) => p.pipeline.startsWith('ours, same output'));
      out.push(
        `  ${tile} @ ${js?.maxError} m, one thread: plain JS pipeline ${f(js?.totalMs ?? NaN, 2)} ms (issue: ~${ISSUE.plainJsMs} ms); ours with the same output ${f(compat?.totalMs ?? NaN, 2)} ms;` +
          ` as served: 1 PNG ${f(served1?.totalMs ?? NaN, 2)} ms, 4 PNGs ${f(served4?.totalMs ?? NaN, 2)} ms, elevation cached ${f(cached?.totalMs ?? NaN, 2)} ms` +
          ` (goal: < plain JS and < ${f(ISSUE.goalMs, 2)} ms = a third of the Python reference's ${ISSUE.pythonMs} ms)`,
      );
    }
  }
  if (h) {
    for (const r of h.rows.filter((x) => x.concurrency > 1)) {
      const vs = (ms: number) => `${ms < ISSUE.goalMs ? 'under' : 'OVER'} ${f(ISSUE.goalMs, 2)}, ${ms < ISSUE.plainJsMs ? 'under' : 'OVER'} ${ISSUE.plainJsMs}`;
      out.push(
        `  HTTP ${r.mode.padEnd(9)} ${r.client.padEnd(9)} ${short(r.scenario).padEnd(40)} wall ${f(r.msPerTile, 2).padStart(6)} ms/tile (${vs(r.msPerTile)});` +
          ` server CPU ${f(r.serverCpuMsPerTile, 2).padStart(6)} ms/tile, workers ${f(r.cpuMsPerTile.workers, 2).padStart(6)} (${vs(r.cpuMsPerTile.workers)})`,
      );
    }
  }
  return out.join('\n');
}

const short = (s: string) => s.replace(/ \([^)]*\)/g, '');

export function meshPanels(m: MeshBenchResult | undefined, h: MeshHttpResult | undefined): Panel[] {
  const kernelBars = (m?.kernels ?? []).filter(
    (r) => Number.isFinite(r.speedup) && (r.kernel === 'martini' || r.kernel === 'delatin' || r.js.startsWith('plain JS') || r.js.startsWith('Terrarium formula')),
  );
  return [
    {
      title: 'Mesh kernels: WASM speed-up over the JS package',
      series: ['same output', 'served mode'],
      bars: kernelBars.map((r) => ({
        label: `${r.kernel} ${short(r.input).replace(', martini exact mesh', '')}${r.maxError ? ` @${r.maxError}` : ''}`,
        value: r.speedup,
        series: r.identical === undefined ? 1 : 0,
        text: `${r.speedup.toFixed(1)}x ${r.kernel === 'martini' || r.kernel === 'delatin' ? r.wasm.replace(/meshMartini |meshDelatin /, '') : 'vs plain JS'}${r.identical === false ? ' NOT identical' : ''}`,
      })),
    },
    {
      title: 'One /mesh tile on one thread, ms (plain JS pipeline vs ours)',
      bars: (m?.pipelines ?? []).map((p) => ({ label: `${p.tile.replace(/ \d+\/.*/, '')}: ${p.id}`, value: p.totalMs, text: `${p.totalMs.toFixed(2)} ms` })),
    },
    {
      title: '/mesh over HTTP, concurrency 8: req/s (log scale)',
      log: true,
      series: ['cold', 'sweep', 'mesh only', 'warm'],
      bars: (h?.rows ?? []).filter((r) => r.concurrency === 8).map((r) => ({
        label: `${short(r.scenario)} (${r.mode})`,
        value: r.reqPerSec,
        series: ['cold', 'sweep', 'mesh only', 'warm'].indexOf(r.mode),
        text: `${r.reqPerSec.toFixed(0)} req/s, ${r.msPerTile.toFixed(2)} ms/tile, server CPU ${r.serverCpuMsPerTile.toFixed(2)} ms/tile, p99 ${r.p99Ms.toFixed(0)} ms`,
      })),
    },
  ];
}
