import { workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { instantiateKernels, type Kernels } from '../kernels/kernels.js';
import { runElevationTask, type ElevationTask } from '../mesh/elevation-task.js';
import { runMeshTask, type MeshTask } from '../mesh/mesh-task.js';
import { runBlendTask, type BlendTask } from '../mosaic/blend-task.js';
import { HttpError } from '../server/errors.js';
import { renderRaster, type RenderTask } from '../tiling/render-raster.js';
import type { WorkerFailure } from '../server/worker-pool.js';
import { runCutTask, type CutTask } from '../cache/cut-task.js';

/**
 * Piscina worker entry: instantiates the WASM kernels once from the module the main thread compiled
 * (handed over in workerData) and runs tasks. The logic lives in src/tiling and src/mesh; this file
 * only wires it.
 */
const kernels: Promise<Kernels> = instantiateKernels((workerData as { kernels: WebAssembly.Module }).kernels);

export default async function run(task: RenderTask | MeshTask | ElevationTask | BlendTask | CutTask): Promise<unknown> {
  const k = await kernels;
  try {
    switch (task.kind) {
      case 'render': {
        const result = await renderRaster(k, task);
        return result.rendered ? transfer(result, result.rendered) : result;
      }
      case 'blend': {
        const result = await runBlendTask(k, task);
        return transfer(result, result.rendered);
      }
      case 'mesh': {
        const result = await runMeshTask(k, task);
        return transfer(result, result);
      }
      case 'elevation':
        return await runElevationTask(k, task);
      case 'cache-cut':
        return await runCutTask(task);
      default:
        throw new Error(`unknown task kind ${(task as { kind: string }).kind}`);
    }
  } catch (err) {
    // Errors cross threads as plain Errors: send the status along (HttpErrors say what the client did wrong)
    if (err instanceof HttpError) return { failure: { status: err.status, detail: err.detail } } satisfies WorkerFailure;
    throw err;
  }
}

/** Hands the body's memory to the main thread instead of copying it. */
function transfer<T extends object>(result: T, holder: { body: Uint8Array }): unknown {
  let body = holder.body;
  if (body.byteOffset !== 0 || body.byteLength !== body.buffer.byteLength || body.buffer instanceof SharedArrayBuffer) {
    body = body.slice();
  }
  holder.body = body;
  return Piscina.move({
    get [Piscina.transferableSymbol]() { return [body.buffer]; },
    get [Piscina.valueSymbol]() { return result; },
  } as never);
}
