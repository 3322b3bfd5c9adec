// npm run bench [-- --only kernels,encoders,inproc,stages,http,mesh,mesh-http,cache,mosaic] [--quick] [--node-harness]
// Runs the benchmark parts, prints a table for each and writes test/bench/results/. Expects
// `npm run build` to have run (the worker pool loads build/js and build/kernels.wasm).
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { benchCompression } from './encoders-compress.js';
import { benchImageEncoders } from './encoders-image.js';
import { benchHttp } from './http.js';
import { benchInproc } from './inproc.js';
import { benchKernels } from './kernels.js';
import { meterLoad } from './machine-load.js';
import { benchMeshHttp } from './mesh-http.js';
import { benchMosaicHttp, mosaicTable } from './mosaic-http.js';
import { meshGoals, meshHttpTables, meshKernelTable, meshPipelineTable } from './mesh-report.js';
import { benchMesh } from './mesh.js';
import { compressionTable, httpTable, imageEncoderTable, inprocTable, kernelTable, stagesTable } from './report.js';
import { writeResults, type BenchResults } from './results.js';
import { benchStages } from './stages.js';
import { benchTileCache, cacheTable } from './tile-cache.js';

const PARTS = ['kernels', 'encoders', 'inproc', 'stages', 'http', 'mesh', 'mesh-http', 'cache', 'mosaic'] as const;
type Part = (typeof PARTS)[number];

function parseArgs(argv: string[]): { parts: Part[]; quick: boolean; nodeHarness: boolean } {
  let parts: Part[] = [...PARTS];
  let quick = false, nodeHarness = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--node-harness') nodeHarness = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = (a === '--only' ? argv[++i] ?? '' : a.slice(7)).split(',').filter(Boolean);
      const bad = list.filter((p) => !(PARTS as readonly string[]).includes(p));
      if (list.length === 0 || bad.length > 0) throw new Error(`--only takes ${PARTS.join('|')} (comma-separated), got ${JSON.stringify(list.join(','))}`);
      parts = PARTS.filter((p) => list.includes(p));
    } else if (a === '--help' || a === '-h') {
      console.log(`usage: npm run bench -- [--only ${PARTS.join('|')}[,...]] [--quick] [--node-harness]\n` +
        '  --node-harness: mesh-http uses its Node tile server and load client even where nginx and wrk are installed');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return { parts, quick, nodeHarness };
}

const { parts, quick, nodeHarness } = parseArgs(process.argv.slice(2));
// time budgets: a full run stays within a few minutes on 2 cores, --quick is a smoke run
const budget = quick
  ? { kernelMs: 100, imageRuns: 3, compressRuns: 2, inprocMs: 400, stagesMs: 300, httpMs: 1000, meshMs: 60, meshHttp: { coldMs: 1000, meshOnlyMs: 800, warmMs: 600, c1Ms: 600, sweepBlock: 8 }, cacheSide: 4, mosaicMs: 1000 }
  : { kernelMs: 1500, imageRuns: 30, compressRuns: 20, inprocMs: 4000, stagesMs: 2000, httpMs: 10000, meshMs: 400, meshHttp: { coldMs: 3000, meshOnlyMs: 2500, warmMs: 1500, c1Ms: 2000, sweepBlock: 12 }, cacheSide: 8, mosaicMs: 8000 };
const log = (s: string) => process.stderr.write(s + '\n');
const git = (...args: string[]) => { try { return execFileSync('git', args, { encoding: 'utf8' }).trim(); } catch { return 'n/a'; } };

const results: BenchResults = {
  startedAt: new Date().toISOString(),
  options: { parts, quick, nodeHarness },
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), node: process.version, platform: `${process.platform}-${process.arch}`,
    commit: git('rev-parse', '--short', 'HEAD'), dirtyFiles: git('status', '--porcelain').split('\n').filter(Boolean).length,
  },
};
const t0 = performance.now();
for (const part of parts) {
  log(`\n== ${part}`);
  const meter = meterLoad();
  if (part === 'kernels') console.log(kernelTable((results.kernels = await benchKernels(budget.kernelMs, log))));
  if (part === 'encoders') {
    const image = await benchImageEncoders(budget.imageRuns);
    const compression = await benchCompression(budget.compressRuns);
    results.encoders = { image, compression };
    console.log(imageEncoderTable(image), '\n' + compressionTable(compression));
  }
  if (part === 'inproc') console.log(inprocTable((results.inproc = await benchInproc(budget.inprocMs, [1, 4], log))));
  if (part === 'stages') console.log(stagesTable((results.stages = await benchStages(budget.stagesMs)), results.inproc));
  if (part === 'http') console.log(httpTable((results.http = await benchHttp(budget.httpMs, 8, true, log))));
  if (part === 'mesh') {
    results.mesh = await benchMesh(budget.meshMs, log);
    console.log(meshKernelTable(results.mesh.kernels), '\n' + meshPipelineTable(results.mesh.pipelines));
  }
  if (part === 'cache') console.log(cacheTable((results.cache = await benchTileCache(budget.cacheSide, log))));
  if (part === 'mosaic') console.log(mosaicTable((results.mosaic = await benchMosaicHttp(budget.mosaicMs, log))));
  if (part === 'mesh-http') console.log(meshHttpTables((results.meshHttp = await benchMeshHttp(budget.meshHttp, nodeHarness ? 'node' : 'light', log))));
  if ((part === 'mesh' && !parts.includes('mesh-http')) || part === 'mesh-http') console.log(meshGoals(results.mesh, results.meshHttp));
  // other processes on the machine (tests, builds) skew every number: say so
  const load = ((results.cpuLoad ??= {})[part] = meter());
  const note = load.otherCores > 0.2 ? ': the machine was busy, these numbers are low and noisy' : '';
  console.log(`  cores used: benchmark ${load.benchCores.toFixed(2)}, other processes ${load.otherCores.toFixed(2)} of ${availableParallelism()}${note}`);
}
results.seconds = (performance.now() - t0) / 1000;
log(`\ndone in ${results.seconds.toFixed(0)} s; wrote ${writeResults(results).join(', ')}`);
