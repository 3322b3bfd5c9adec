import { workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { instantiateKernels, type Kernels } from '../kernels/kernels.js';
import { renderRaster, type RenderTask, type RenderResult } from '../tiling/render-raster.js';

/**
 * Piscina worker entry: instantiates the WASM kernels once from the module the main thread compiled
 * (handed over in workerData) and runs tasks. The logic lives in src/tiling; this file only wires it.
 */
const kernels: Promise<Kernels> = instantiateKernels((workerData as { kernels: WebAssembly.Module }).kernels);

export default async function run(task: RenderTask): Promise<unknown> {
  const k = await kernels;
  switch (task.kind) {
    case 'render':
      return transferBody(await renderRaster(k, task));
    default:
      throw new Error(`unknown task kind ${(task as { kind: string }).kind}`);
  }
}

/** Hands the body's memory to the main thread instead of copying it. */
function transferBody(result: RenderResult): unknown {
  const rendered = result.rendered;
  if (!rendered) return result;
  let body = rendered.body;
  if (body.byteOffset !== 0 || body.byteLength !== body.buffer.byteLength || body.buffer instanceof SharedArrayBuffer) {
    body = body.slice();
  }
  rendered.body = body;
  return Piscina.move({
    get [Piscina.transferableSymbol]() { return [body.buffer]; },
    get [Piscina.valueSymbol]() { return result; },
  } as never);
}
