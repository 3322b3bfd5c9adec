// Part `mesh`: the /mesh kernels against the JavaScript packages they replace, on the same grids,
// and one 256 px Terrarium tile through a plain in-process JavaScript pipeline against ours.
//
// Kernels (WASM timed through its glue, copies in and out included; the JS packages' objects are
// built once per grid size, as a tile server would):
// - @mapbox/martini 0.2.0 createTile + getMesh vs meshMartini 'compat' (must be the same arrays) and
//   'exact' (what /mesh serves: true error bound and seamless edges, so a different, denser mesh);
// - delatin 0.2.0 new Delatin + run vs meshDelatin 'compat' (the same arrays) and 'seamless' (served);
// - elevation: fast-png decode (both sides) and the Terrarium formula in JS vs decodeElevation; the
//   whole PNG as /mesh decodes it (zlib + WASM unfilter and decode, decodeElevationPng): all of it, a
//   neighbour's first column, first row;
// - quantized-mesh-1.0: the TypeScript reference encoder (test/kernels/reference, a plain spec
//   transcription, not tuned) and a plain JS encoder written for speed (js-quantized-mesh.ts) vs
//   the WASM encoder (all three write the same bytes).
// Each side is timed in 3 alternating rounds; the best round's mean is kept (other processes on a
// 2-core machine only ever make a round slower).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import Martini from '@mapbox/martini';
import Delatin from 'delatin';
import { decode } from 'fast-png';
import type { Kernels } from '../../src/kernels/kernels.js';
import { decodeElevation } from '../../src/kernels/elevation.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { meshDelatin } from '../../src/kernels/mesh-delatin.js';
import { meshMartini, type Mesh } from '../../src/kernels/mesh-martini.js';
import { encodeQuantizedMesh, webMercatorTileFrame, type QuantizedMeshInput } from '../../src/kernels/quantized-mesh.js';
import { kernelLibm } from '../../src/kernels/libm.js';
import { decodeElevationPng } from '../../src/mesh/decode-png.js';
import { buildGrid, fillHoles, type ElevationPart } from '../../src/mesh/elevation-grid.js';
import { decodeElevationTiles } from '../../src/mesh/elevation-task.js';
import { runMeshTask, type MeshTask } from '../../src/mesh/mesh-task.js';
import type { TileIndex } from '../../src/tiling/web-mercator.js';
import { decodeElevationReference } from '../kernels/reference/elevation.js';
import { encodeQuantizedMeshReference } from '../kernels/reference/quantized-mesh.js';
import { TERRAIN_DIR } from '../mesh/martini-util.js';
import { encodeQuantizedMeshJs } from './js-quantized-mesh.js';
import { firstByteDifference, timeSync } from './measure.js';
import { fujiMosaic, gcMosaic, GC_FILE, MESH_GRIDS, Z11_ERROR, Z12_ERROR, type MeshGrid, type Mosaic } from './mesh-inputs.js';

export interface MeshKernelRow {
  kernel: string;
  input: string;
  maxError?: number;
  js: string;
  jsMs: number;
  wasm: string;
  wasmMs: number;
  /** jsMs / wasmMs. */
  speedup: number;
  /** The goal for this comparison (speed-up), when it has one. */
  goal?: number;
  /** true/false: the outputs were compared (same arrays or bytes); undefined: different algorithms. */
  identical?: boolean;
  mismatch?: string;
  /** Vertex counts (meshers) or output bytes (encoder). */
  jsSize?: number;
  wasmSize?: number;
}

export const PIPELINE_STAGES = ['png', 'elevation', 'grid', 'mesh', 'encode'] as const;
type Stage = (typeof PIPELINE_STAGES)[number];

export interface PipelineRow {
  /** Short name (chart label). */
  id: string;
  pipeline: string;
  tile: string;
  maxError: number;
  /** PNGs decoded per tile. */
  pngs: number;
  runs: number;
  /** Mean ms per tile of each stage (NaN: not separable, see totalMs). */
  stages: Record<Stage, number>;
  totalMs: number;
  /** totalMs of the plain JS pipeline on the same tile / this totalMs. */
  speedupVsJs: number;
  vertices: number;
  bytes: number;
  /** Same bytes as the row named in `sameAs`; undefined when not compared. */
  identical?: boolean;
  sameAs?: string;
}

export interface MeshBenchResult {
  kernels: MeshKernelRow[];
  pipelines: PipelineRow[];
}

/** Best-of-rounds mean ms of each function, the rounds alternating between them (budgetMs per function, all rounds). */
function timeBest(fns: Array<() => unknown>, budgetMs: number, rounds = 3): number[] {
  const best = fns.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => (best[i] = Math.min(best[i]!, timeSync(fn, budgetMs / rounds).meanMs)));
  }
  return best;
}

function meshDifference(a: Mesh, b: Mesh): string | undefined {
  const v = firstByteDifference(a.vertices, b.vertices);
  if (v >= 0) return `vertices differ at byte ${v} (${a.vertices.length / 2} vs ${b.vertices.length / 2} vertices)`;
  const t = firstByteDifference(a.triangles, b.triangles);
  return t >= 0 ? `triangles differ at byte ${t}` : undefined;
}

function kernelRows(k: Kernels, g: MeshGrid, maxError: number, budgetMs: number, log: (s: string) => void): MeshKernelRow[] {
  const rows: MeshKernelRow[] = [];
  const input = g.label;
  log(`  martini ${input} @ ${maxError}`);
  const martini = new Martini(g.size);
  const mj = () => martini.createTile(g.grid).getMesh(maxError) as Mesh;
  const compat = () => meshMartini(k, g.grid, g.size, maxError, 'compat');
  const exact = () => meshMartini(k, g.grid, g.size, maxError, 'exact');
  const ref = mj();
  const mismatchM = meshDifference(compat(), ref);
  const [tj, tc, te] = timeBest([mj, compat, exact], budgetMs);
  const js = '@mapbox/martini createTile+getMesh';
  rows.push(
    { kernel: 'martini', input, maxError, js, jsMs: tj!, wasm: "meshMartini 'compat'", wasmMs: tc!, speedup: tj! / tc!, goal: 1.5, identical: !mismatchM, ...(mismatchM && { mismatch: mismatchM }), jsSize: ref.vertices.length / 2, wasmSize: compat().vertices.length / 2 },
    { kernel: 'martini', input, maxError, js, jsMs: tj!, wasm: "meshMartini 'exact' (served)", wasmMs: te!, speedup: tj! / te!, jsSize: ref.vertices.length / 2, wasmSize: exact().vertices.length / 2 },
  );

  log(`  delatin ${input} @ ${maxError}`);
  const dj = () => {
    const d = new Delatin(g.grid, g.size, g.size);
    d.run(maxError);
    return d;
  };
  const dc = () => meshDelatin(k, g.grid, g.size, g.size, maxError, 'compat');
  const ds = () => meshDelatin(k, g.grid, g.size, g.size, maxError, 'seamless');
  const d = dj();
  const dref: Mesh = { vertices: Uint16Array.from(d.coords as number[]), triangles: Uint32Array.from(d.triangles as number[]) };
  const mismatchD = meshDifference(dc(), dref);
  // delatin is slow on rough grids: at least 3 runs a round, whatever the budget
  const [uj, uc, us] = timeBest([dj, dc, ds], budgetMs);
  const djs = 'delatin new Delatin+run';
  rows.push(
    { kernel: 'delatin', input, maxError, js: djs, jsMs: uj!, wasm: "meshDelatin 'compat'", wasmMs: uc!, speedup: uj! / uc!, goal: 3, identical: !mismatchD, ...(mismatchD && { mismatch: mismatchD }), jsSize: dref.vertices.length / 2, wasmSize: dc().vertices.length / 2 },
    { kernel: 'delatin', input, maxError, js: djs, jsMs: uj!, wasm: "meshDelatin 'seamless' (served)", wasmMs: us!, speedup: uj! / us!, jsSize: dref.vertices.length / 2, wasmSize: ds().vertices.length / 2 },
  );

  log(`  quantized-mesh encode ${input} @ ${maxError}`);
  const mesh = exact();
  const qm: QuantizedMeshInput = {
    vertices: mesh.vertices, triangles: mesh.triangles, heights: g.grid, gridSize: g.size,
    ...webMercatorTileFrame(k, g.tile, g.size), orientation: 'kepler',
  };
  // the same sines as the WASM encoder's glue, so the bytes can be compared
  const libm = kernelLibm(k);
  const ej = () => encodeQuantizedMeshReference(qm, libm);
  const et = () => encodeQuantizedMeshJs(qm, libm);
  const ew = () => encodeQuantizedMesh(k, qm);
  const bytesJ = ej();
  const bytesT = et();
  const bytesW = ew();
  const [qj, qt, qw] = timeBest([ej, et, ew], budgetMs);
  for (const [js, ms, bytes] of [['TS reference encoder (untuned)', qj!, bytesJ], ['plain JS encoder (bench, typed arrays)', qt!, bytesT]] as const) {
    const at = firstByteDifference(bytesW, bytes);
    rows.push({
      kernel: 'quantized-mesh', input: `${input}, martini exact mesh`, maxError, js, jsMs: ms, wasm: 'encodeQuantizedMesh',
      wasmMs: qw!, speedup: ms / qw!, identical: at < 0, ...(at >= 0 && { mismatch: `byte ${at}` }), jsSize: bytes.length, wasmSize: bytesW.length,
    });
  }
  return rows;
}

/** fast-png decode, then the Terrarium formula in JS vs decodeElevation, on a real AWS tile and a fuji tile. */
async function elevationRows(k: Kernels, pngs: Array<[string, Uint8Array]>, budgetMs: number): Promise<MeshKernelRow[]> {
  const rows: MeshKernelRow[] = [];
  for (const [label, png] of pngs) {
    const img = decode(png);
    const rgb = img.data as Uint8Array;
    const channels = img.channels as 3 | 4;
    const formula = () => decodeElevationReference(rgb, img.width, img.height, channels, 'terrarium');
    const wasm = () => decodeElevation(k, rgb, img.width, img.height, channels, 'terrarium');
    const at = firstByteDifference(wasm(), formula());
    const both = () => decodeElevationReference(decode(png).data as Uint8Array, 256, 256, channels, 'terrarium');
    const bothW = () => decodeElevation(k, decode(png).data as Uint8Array, 256, 256, channels, 'terrarium');
    const idat = pngIdat(png);
    // an 8-bit RGB PNG takes the synchronous path of decodeElevationPng: the work is done when it returns
    const served = (part: ElevationPart) => () => decodeElevationPng(k, png, 'bench', part, 'terrarium', 256);
    const [tpng, tz, tf, tw, tb, tbw, tfull, tcol, trow] = timeBest(
      [() => decode(png), () => inflateSync(idat), formula, wasm, both, bothW, served('full'), served('column'), served('row')], budgetMs);
    const same = { identical: at < 0, ...(at >= 0 && { mismatch: `byte ${at}` }) };
    const fullAt = firstByteDifference(await served('full')(), formula());
    const sameServed = { identical: fullAt < 0, ...(fullAt >= 0 && { mismatch: `byte ${fullAt}` }) };
    rows.push(
      { kernel: 'elevation', input: label, js: 'fast-png decode (used by both)', jsMs: tpng!, wasm: '-', wasmMs: NaN, speedup: NaN, jsSize: png.length },
      { kernel: 'elevation', input: label, js: 'for scale: node:zlib inflateSync of the IDAT alone', jsMs: tz!, wasm: '-', wasmMs: NaN, speedup: NaN, jsSize: idat.length },
      { kernel: 'elevation', input: label, js: 'Terrarium formula in JS', jsMs: tf!, wasm: 'decodeElevation', wasmMs: tw!, speedup: tf! / tw!, ...same },
      { kernel: 'elevation', input: label, js: 'fast-png + JS formula', jsMs: tb!, wasm: 'fast-png + decodeElevation', wasmMs: tbw!, speedup: tb! / tbw!, ...same },
      { kernel: 'elevation', input: label, js: 'fast-png + JS formula', jsMs: tb!, wasm: "as /mesh: zlib + WASM unfilter + decode ('full')", wasmMs: tfull!, speedup: tb! / tfull!, ...sameServed },
      { kernel: 'elevation', input: label, js: '-', jsMs: NaN, wasm: "as /mesh, an east neighbour's first column", wasmMs: tcol!, speedup: NaN },
      { kernel: 'elevation', input: label, js: '-', jsMs: NaN, wasm: "as /mesh, a south neighbour's first row", wasmMs: trow!, speedup: NaN },
    );
  }
  return rows;
}

/** The concatenated IDAT chunks of a PNG (the zlib stream). */
function pngIdat(png: Uint8Array): Uint8Array {
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts: Uint8Array[] = [];
  for (let p = 8; p + 8 <= png.length; p += 12 + dv.getUint32(p)) {
    if (String.fromCharCode(...png.subarray(p + 4, p + 8)) === 'IDAT') parts.push(png.subarray(p + 8, p + 8 + dv.getUint32(p)));
  }
  return Buffer.concat(parts);
}

type Lap = (stage: Stage) => void;

/** Mean ms per stage of `fn` (called with a lap function) over about budgetMs, after a warm-up. */
async function timeStages(fn: (lap: Lap) => Uint8Array | Promise<Uint8Array>, budgetMs: number): Promise<{ stages: Record<Stage, number>; totalMs: number; runs: number; body: Uint8Array }> {
  const acc = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  const used = new Set<Stage>();
  let body: Uint8Array = new Uint8Array(0);
  const once = async (record: boolean) => {
    let t = performance.now();
    body = await fn((stage) => {
      const now = performance.now();
      if (record) (acc[stage] += now - t), used.add(stage);
      t = now;
    });
  };
  const warm = performance.now();
  for (let i = 0; i < 3 || performance.now() - warm < Math.min(200, budgetMs / 5); i++) await once(false);
  let runs = 0;
  const t0 = performance.now();
  while (runs < 3 || performance.now() - t0 < budgetMs) (await once(true), runs++);
  const totalMs = (performance.now() - t0) / runs;
  const stages = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, used.has(s) ? acc[s] / runs : NaN])) as Record<Stage, number>;
  return { stages, totalMs, runs, body };
}

interface PipelineTile {
  label: string;
  tile: TileIndex;
  maxError: number;
  /** Center, east, south, south-east PNGs. */
  pngs: [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
}

/**
 * One tile through: the plain JS pipeline (fast-png, JS formula into the backfilled 257 grid,
 * @mapbox/martini, the plain JS encoder of js-quantized-mesh.ts; and again with the untuned TS
 * reference encoder); ours with the same output (compat Martini, same bytes); ours as
 * served, on one PNG (missing neighbours) and on the four PNGs the server reads; the workers' own
 * function (runMeshTask), decoding the PNGs and with the elevation cached; Delatin as served.
 */
async function pipelineRows(k: Kernels, t: PipelineTile, budgetMs: number, log: (s: string) => void): Promise<PipelineRow[]> {
  const G = 257, N = 256;
  const frame = webMercatorTileFrame(k, t.tile, G);
  const libm = kernelLibm(k);
  const tileName = `${t.label} ${t.tile.z}/${t.tile.x}/${t.tile.y}`;
  const martini = new Martini(G);
  const encode = (encoder: 'wasm' | 'js' | 'reference', m: Mesh, grid: Float32Array) => {
    const input: QuantizedMeshInput = { vertices: m.vertices, triangles: m.triangles, heights: grid, gridSize: G, ...frame, orientation: 'kepler' };
    return encoder === 'wasm' ? encodeQuantizedMesh(k, input) : encoder === 'js' ? encodeQuantizedMeshJs(input, libm) : encodeQuantizedMeshReference(input, libm);
  };
  let vertices = 0;
  const js = (encoder: 'js' | 'reference') => (lap: Lap) => {
    const img = decode(t.pngs[0]);
    lap('png');
    const d = img.data as Uint8Array, c = img.channels;
    const grid = new Float32Array(G * G);
    for (let y = 0; y < N; y++) {
      for (let x = 0; x < N; x++) {
        const i = (y * N + x) * c;
        grid[y * G + x] = d[i]! * 256 + d[i + 1]! + d[i + 2]! / 256 - 32768;
      }
    }
    lap('elevation');
    for (let x = 0; x < G - 1; x++) grid[G * (G - 1) + x] = grid[G * (G - 2) + x]!;
    for (let y = 0; y < G; y++) grid[G * y + G - 1] = grid[G * y + G - 2]!;
    lap('grid');
    const m = martini.createTile(grid).getMesh(t.maxError) as Mesh;
    vertices = m.vertices.length / 2;
    lap('mesh');
    const body = encode(encoder, m, grid);
    lap('encode');
    return body;
  };
  // as the server does it (src/mesh/decode-png.ts, mesh-task.ts), stage by stage; a neighbour's PNG is
  // decoded only as far as its edge (first column of the east one, first row of the south ones)
  const PARTS: ElevationPart[] = ['full', 'column', 'row', 'row'];
  const ours = (pngs: number, mesher: 'compat' | 'exact' | 'delatin') => async (lap: Lap) => {
    const h = await Promise.all(t.pngs.slice(0, pngs).map((png, i) => decodeElevationPng(k, png, 'bench', PARTS[i]!, 'terrarium', N)));
    lap('png'); // inflate, unfilter and elevation in one (decodeElevationPng)
    lap('elevation');
    const grid = buildGrid(h[0]!, N, pngs === 4 ? { eastColumn: h[1], southRow: h[2], corner: h[3]![0] } : {});
    fillHoles(grid, G, G);
    lap('grid');
    const m = mesher === 'delatin' ? meshDelatin(k, grid, G, G, t.maxError, 'seamless') : meshMartini(k, grid, G, t.maxError, mesher);
    vertices = m.vertices.length / 2;
    lap('mesh');
    const body = encode('wasm', m, grid);
    lap('encode');
    return body;
  };
  /** The worker task of one cold request: the PNGs decoded and meshed (cached: the heights given). */
  const pngDecode = { encoding: 'terrarium' as const, size: N, tiles: t.pngs.map((png, i) => ({ key: 'bench', png, part: PARTS[i]! })) };
  const base: MeshTask = { kind: 'mesh', tile: t.tile, size: N, maxError: t.maxError, quantizer: 'martini', orientation: 'kepler', extensions: { octNormals: false, metadata: false } };
  const coldTask: MeshTask = { ...base, tiles: { scale: 1, childSize: N, slots: PARTS.map((_, png) => ({ png })), decode: pngDecode } };
  const heights = (await decodeElevationTiles(k, pngDecode)).map((h) => new Float32Array(h));
  const cachedTask: MeshTask = { ...base, tiles: { scale: 1, childSize: N, slots: PARTS.map((part, i) => ({ heights: heights[i]!, from: part })) } };
  const wholeStages = (cached: boolean) => async (lap: Lap) => {
    const r = await runMeshTask(k, cached ? cachedTask : coldTask);
    vertices = r.vertices;
    lap('encode'); // one call: stages not separable
    return r.body;
  };
  // mirrored neighbours repeat the tile's own edges: the 4-PNG grid is the backfilled one
  const mirrored = t.label === 'grand canyon';
  const plans: Array<{ key: string; id: string; name: string; pngs: number; fn: (lap: Lap) => Uint8Array | Promise<Uint8Array>; sameAs?: string; whole?: boolean }> = [
    { key: 'plain JS', id: 'plain JS', name: 'plain JS: fast-png + JS formula + @mapbox/martini + plain JS encoder (backfilled grid)', pngs: 1, fn: js('js') },
    { key: 'plain JS ref', id: 'plain JS, TS reference encoder', name: 'the same with the TS reference encoder (untuned)', pngs: 1, fn: js('reference'), sameAs: 'plain JS' },
    { key: 'compat', id: 'ours, same output', name: "ours, same output: zlib + WASM PNG unfilter and elevation + meshMartini 'compat' + WASM encoder", pngs: 1, fn: ours(1, 'compat'), sameAs: 'plain JS' },
    { key: '1 PNG', id: 'served, 1 PNG', name: "ours as served, 1 PNG (no neighbours): meshMartini 'exact'", pngs: 1, fn: ours(1, 'exact') },
    { key: '4 PNGs', id: 'served, 4 PNGs', name: "ours as served, 4 PNGs (tile + E, S, SE neighbours): meshMartini 'exact'", pngs: 4, fn: ours(4, 'exact'), ...(mirrored && { sameAs: '1 PNG' }) },
    { key: 'task', id: 'worker task, 4 PNGs', name: 'runMeshTask (the worker) decoding the 4 PNGs', pngs: 4, fn: wholeStages(false), sameAs: '4 PNGs', whole: true },
    { key: 'task cached', id: 'runMeshTask, elevation cached', name: 'runMeshTask (the worker), elevation cached', pngs: 0, fn: wholeStages(true), sameAs: '4 PNGs', whole: true },
    { key: 'delatin', id: 'served, 4 PNGs, delatin', name: "ours as served, 4 PNGs, Delatin 'seamless' (mesh_quantizer=delatin)", pngs: 4, fn: ours(4, 'delatin') },
  ];
  const rows: PipelineRow[] = [];
  const bodies = new Map<string, Uint8Array>();
  let jsMs = NaN;
  for (const p of plans) {
    log(`  pipeline ${tileName} @ ${t.maxError}: ${p.key}`);
    const r = await timeStages(p.fn, budgetMs);
    if (p.whole) r.stages = Object.fromEntries(PIPELINE_STAGES.map((s) => [s, NaN])) as Record<Stage, number>;
    bodies.set(p.key, r.body);
    if (p.key === 'plain JS') jsMs = r.totalMs;
    const other = p.sameAs ? bodies.get(p.sameAs) : undefined;
    rows.push({
      id: p.id, pipeline: p.name, tile: tileName, maxError: t.maxError, pngs: p.pngs, runs: r.runs, stages: r.stages, totalMs: r.totalMs, speedupVsJs: jsMs / r.totalMs,
      vertices, bytes: r.body.length, ...(other && { identical: firstByteDifference(r.body, other) < 0, sameAs: p.sameAs }),
    });
  }
  return rows;
}

export async function benchMesh(budgetMs: number, log: (s: string) => void): Promise<MeshBenchResult> {
  const k = await loadKernels();
  const grids = MESH_GRIDS();
  const [fuji, gc, helens] = [grids.find((g) => g.id === 'fuji')!, grids.find((g) => g.id === 'gc')!, grids.find((g) => g.id === 'helens')!];
  const kernels: MeshKernelRow[] = [
    ...kernelRows(k, fuji, 30, budgetMs, log),
    ...kernelRows(k, fuji, 10, budgetMs, log),
    ...kernelRows(k, gc, Z11_ERROR, budgetMs, log),
    ...kernelRows(k, gc, Z12_ERROR, budgetMs, log),
    ...kernelRows(k, helens, 3.76, budgetMs, log), // kepler's z14 error
  ];
  log('  building the Terrarium mosaics (sharp-encoded PNGs)');
  const [gm, fm]: Mosaic[] = [await gcMosaic(2), await fujiMosaic(2)];
  log('  elevation decode');
  kernels.push(...await elevationRows(k, [
    ['grand canyon PNG 11/385/803 (AWS, 149 KB)', new Uint8Array(readFileSync(join(TERRAIN_DIR, GC_FILE)))],
    ['fuji PNG 12/3630/1612 (sharp z6, 102 KB)', fm.png(0, 0)],
  ], budgetMs));
  const four = (m: Mosaic) => [m.png(0, 0), m.png(1, 0), m.png(0, 1), m.png(1, 1)] as PipelineTile['pngs'];
  const pipelines = [
    ...(await pipelineRows(k, { label: 'grand canyon', tile: { z: gm.z, x: gm.x0, y: gm.y0 }, maxError: Z11_ERROR, pngs: four(gm) }, budgetMs, log)),
    ...(await pipelineRows(k, { label: 'fuji', tile: { z: fm.z, x: fm.x0, y: fm.y0 }, maxError: Z12_ERROR, pngs: four(fm) }, budgetMs, log)),
  ];
  return { kernels, pipelines };
}
