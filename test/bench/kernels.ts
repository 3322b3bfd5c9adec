// Part (a): each WASM kernel (through its Kernels wrapper, copies in and out included) against its
// scalar TypeScript reference, on real 256x256 tiles; outputs must be identical bit for bit.
import { loadKernels } from '../../src/kernels/load-node.js';
import { RESAMPLING_METHODS, type ResampleParams, type ResampleResult, type TypedArray } from '../../src/kernels/types.js';
import { colormapLut } from '../../src/tiling/colormaps.js';
import { applyColormapReference } from '../kernels/reference/colormap.js';
import { resampleReference } from '../kernels/reference/resample.js';
import { rescaleReference } from '../kernels/reference/rescale.js';
import { firstByteDifference, timeSync } from './measure.js';
import { DATASETS, resampleInputs } from './kernel-inputs.js';

export interface KernelRow {
  kernel: string;
  input: string;
  tiles: number;
  wasmOpsPerSec: number;
  refOpsPerSec: number;
  speedup: number;
  wasmMs: number;
  refMs: number;
  /** Outputs of every tile identical bit for bit (data and mask). */
  identical: boolean;
  mismatch?: string;
}

type Out = ArrayBufferView[];

/** Runs both implementations on every input, compares, then times each over the inputs in turn. */
function compare<I>(kernel: string, input: string, inputs: I[], wasm: (x: I) => Out, ref: (x: I) => Out, budgetMs: number): KernelRow {
  let mismatch: string | undefined;
  inputs.forEach((x, t) => {
    const [a, b] = [wasm(x), ref(x)];
    a.forEach((part, k) => {
      const at = firstByteDifference(part, b[k]!);
      if (at >= 0 && mismatch === undefined) mismatch = `tile ${t}, output ${k}, byte ${at}`;
    });
  });
  const w = timeSync((i) => wasm(inputs[i % inputs.length]!), budgetMs);
  const r = timeSync((i) => ref(inputs[i % inputs.length]!), budgetMs);
  return {
    kernel, input, tiles: inputs.length, wasmOpsPerSec: w.opsPerSec, refOpsPerSec: r.opsPerSec, speedup: w.opsPerSec / r.opsPerSec,
    wasmMs: w.meanMs, refMs: r.meanMs, identical: mismatch === undefined, ...(mismatch && { mismatch }),
  };
}

const parts = (r: ResampleResult): Out => [r.data, r.mask];

export async function benchKernels(budgetMs: number, log: (s: string) => void): Promise<KernelRow[]> {
  const k = await loadKernels();
  const rows: KernelRow[] = [];
  const bilinear: Array<{ label: string; inputs: ResampleParams[]; outputs: ResampleResult[] }> = [];
  for (const ds of DATASETS) {
    for (const method of RESAMPLING_METHODS) {
      const inputs = await resampleInputs(ds, method);
      log(`  resample ${method} ${ds.label}`);
      rows.push(compare(`resample ${method}`, ds.label, inputs, (p) => parts(k.resample(p)), (p) => parts(resampleReference(p)), budgetMs));
      if (method === 'bilinear') bilinear.push({ label: ds.label, inputs, outputs: inputs.map((p) => k.resample(p)) });
    }
  }
  // rescale and colormap run on what the resampler produced, as in a tile request
  const lut = colormapLut('viridis')!;
  for (const { label, inputs, outputs } of bilinear) {
    const bands = inputs[0]!.bands;
    const ranges: Array<[number, number]> = inputs[0]!.dtype === 'float32' ? [[1600, 1800]] : [[0, 40000]];
    const rescaleIn = outputs.map((o) => o.data as TypedArray);
    log(`  rescale ${label}`);
    rows.push(compare(`rescaleToUint8 [${ranges[0]}]`, label, rescaleIn, (d) => [k.rescaleToUint8(d, bands, 65536, ranges)], (d) => [rescaleReference(d, bands, 65536, ranges)], budgetMs));
    if (bands !== 1) continue;
    const cmIn = outputs.map((o, i) => ({ index: k.rescaleToUint8(rescaleIn[i]!, 1, 65536, ranges), mask: o.mask }));
    log(`  colormap ${label}`);
    rows.push(compare('applyColormap viridis', `${label}, rescaled + mask`, cmIn, (c) => [k.applyColormap(c.index, c.mask, lut)], (c) => [applyColormapReference(c.index, c.mask, lut)], budgetMs));
  }
  return rows;
}
