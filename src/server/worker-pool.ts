import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Piscina } from 'piscina';
import { COMPILED_JS, KERNELS_WASM } from '../paths.js';
import type { MeshResult, MeshTask } from '../mesh/mesh-task.js';
import type { BlendResult, BlendTask } from '../mosaic/blend-task.js';
import type { RenderTask, RenderResult } from '../tiling/render-raster.js';
import type { CutResult, CutTask } from '../cache/cut-task.js';
import { HttpError } from './errors.js';

/**
 * The pool of worker threads that do all CPU work. The WASM module is compiled once here and handed
 * to every worker, which only instantiates it. Workers load compiled JavaScript from build/js (worker
 * threads cannot load .ts), so `npm run build` must have run; `npm start` and `npm test` do that.
 */
/** What a worker answers instead of throwing when the failure has an HTTP status (see tile-worker.ts). */
export interface WorkerFailure {
  failure: { status: number; detail: string };
}

export interface WorkerPool {
  render(task: RenderTask, signal?: AbortSignal): Promise<RenderResult>;
  mesh(task: MeshTask, signal?: AbortSignal): Promise<MeshResult>;
  blend(task: BlendTask, signal?: AbortSignal): Promise<BlendResult>;
  /** Cuts a tile-cache meta-tile image into its tiles. */
  cut(task: CutTask): Promise<CutResult>;
  readonly stats: { queued: number; running: number; threads: number; utilization: number };
  close(): Promise<void>;
}

export async function createWorkerPool(threads: number): Promise<WorkerPool> {
  const kernels = await WebAssembly.compile(await readFile(KERNELS_WASM));
  const piscina = new Piscina({
    filename: join(COMPILED_JS, 'src', 'workers', 'tile-worker.js'),
    minThreads: threads,
    maxThreads: threads,
    workerData: { kernels },
  });
  return {
    // A signal is checked before queueing only: aborting a running Piscina task terminates its
    // worker, and re-creating one (and its WASM instance) costs more than finishing the tile.
    // compressed blocks are fresh buffers read for this task alone: move them instead of copying
    render: (task, signal) => runTask<RenderResult>(piscina, task, signal, task.blocks.flatMap((b) => (b.compressed ? [b.compressed.buffer as ArrayBuffer] : []))),
    mesh: (task, signal) => runTask<MeshResult>(piscina, task, signal),
    blend: (task, signal) => runTask<BlendResult>(piscina, task, signal),
    cut: (task) => runTask<CutResult>(piscina, task),
    get stats() {
      // a thread runs one task at a time: the busy threads are the running tasks
      return { queued: piscina.queueSize, running: piscina.threads.length - piscina.idleThreads, threads, utilization: piscina.utilization };
    },
    close: () => piscina.destroy(),
  };
}

async function runTask<T>(piscina: Piscina, task: RenderTask | MeshTask | BlendTask | CutTask, signal?: AbortSignal, transferList?: ArrayBuffer[]): Promise<T> {
  signal?.throwIfAborted();
  const result = (await piscina.run(task, transferList?.length ? { transferList } : {})) as T | WorkerFailure;
  if (result && typeof result === 'object' && 'failure' in result) {
    throw new HttpError(result.failure.status, result.failure.detail);
  }
  return result as T;
}
