import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { Piscina } from 'piscina';
import { COMPILED_JS, KERNELS_WASM } from '../paths.js';
import type { ElevationDecode, ElevationResult, ElevationTask } from '../mesh/elevation-task.js';
import type { MeshResult, MeshTask } from '../mesh/mesh-task.js';
import type { BlendResult, BlendTask } from '../mosaic/blend-task.js';
import type { RenderTask, RenderResult } from '../tiling/render-raster.js';
import type { CutResult, CutTask } from '../cache/cut-task.js';
import { HttpError } from './errors.js';
import { Admission } from './overload.js';
import { TaskQueue, type TaskOptions, type TaskQueueStats } from './task-queue.js';

/** What a worker answers instead of throwing when the failure has an HTTP status (see tile-worker.ts). */
export interface WorkerFailure {
  failure: { status: number; detail: string };
}

export interface WorkerPoolStats extends TaskQueueStats {
  threads: number;
  /** Share of the threads' time spent on tasks since the start (Piscina's utilization). */
  utilization: number;
  /** Requests admitted (see overload.ts) and not yet answered. */
  requests: number;
  /** Requests refused with 503 because `maxRequests` were in progress. */
  rejected: number;
}

export interface WorkerPool {
  render(task: RenderTask, signal?: AbortSignal): Promise<RenderResult>;
  /** The PNGs it decodes move to the worker. */
  mesh(task: MeshTask, signal?: AbortSignal): Promise<MeshResult>;
  /** Decodes (parts of) elevation PNGs; the PNGs' memory moves to the worker. */
  elevation(task: ElevationTask, signal?: AbortSignal): Promise<ElevationResult>;
  blend(task: BlendTask, signal?: AbortSignal): Promise<BlendResult>;
  /** Cuts a tile-cache meta-tile image into its tiles; it waits for a thread as long as it takes. */
  cut(task: CutTask): Promise<CutResult>;
  /** Admits one request that will use the pool, or throws 503 + Retry-After; call the result when it is done. */
  admit(): () => void;
  readonly stats: WorkerPoolStats;
  close(): Promise<void>;
}

export interface WorkerPoolOptions {
  /** Requests admitted at once (0: no limit). */
  maxRequests?: number;
  /** Longest a task may wait for a thread, and longest it may run (0: no limit). */
  taskTimeoutMs?: number;
  /** The worker script (tests run a stand-in worker); default the tile worker. */
  filename?: string;
}

/**
 * The pool of worker threads that do all CPU work. The WASM module is compiled once here and handed
 * to every worker, which only instantiates it. Workers load compiled JavaScript from build/js (worker
 * threads cannot load .ts), so `npm run build` must have run; `npm start` and `npm test` do that.
 *
 * Tasks wait in a TaskQueue (task-queue.ts: dropped when their request goes away, time-limited)
 * and requests are admitted by an Admission (overload.ts: 503 + Retry-After beyond `maxRequests`).
 */
export async function createWorkerPool(threads: number, options: WorkerPoolOptions = {}): Promise<WorkerPool> {
  const kernels = await WebAssembly.compile(await readFile(KERNELS_WASM));
  const piscina = new Piscina({
    filename: options.filename ?? join(COMPILED_JS, 'src', 'workers', 'tile-worker.js'),
    minThreads: threads,
    maxThreads: threads,
    workerData: { kernels },
  });
  const queue = new TaskQueue(threads, options.taskTimeoutMs ?? 0);
  const admission = new Admission(options.maxRequests ?? 0);
  const run = <T>(task: PoolTask, taskOptions: TaskOptions, transferList?: ArrayBuffer[]) =>
    queue.run((stop) => runOnThread<T>(piscina, task, stop, transferList), taskOptions);
  return {
    // compressed blocks are fresh buffers read for this task alone: move them instead of copying
    render: (task, signal) => run<RenderResult>(task, { signal }, task.blocks.flatMap((b) => (b.compressed ? [b.compressed.buffer as ArrayBuffer] : []))),
    mesh: (task, signal) => run<MeshResult>(task, { signal }, movablePngs(task.tiles?.decode)),
    elevation: (task, signal) => run<ElevationResult>(task, { signal }, movablePngs(task)),
    blend: (task, signal) => run<BlendResult>(task, { signal }),
    cut: (task) => run<CutResult>(task, { noWaitLimit: true }),
    admit: () => admission.enter(),
    get stats() {
      const { active, rejected } = admission.stats;
      return { ...queue.stats, threads, utilization: piscina.utilization, requests: active, rejected };
    },
    close: async () => {
      queue.close();
      await piscina.destroy();
    },
  };
}

type PoolTask = RenderTask | MeshTask | ElevationTask | BlendTask | CutTask;

/** A source read is a fresh copy for its caller (RangeReader): its memory can move unless it is a view into more. */
function movablePngs(decode: ElevationDecode | undefined): ArrayBuffer[] {
  return (decode?.tiles ?? []).flatMap((t) => (ownsBuffer(t.png) ? [t.png.buffer as ArrayBuffer] : []));
}

function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && !(bytes.buffer instanceof SharedArrayBuffer);
}

/** Runs one task on a thread; `stop` (the task timeout only) terminates the thread. */
async function runOnThread<T>(piscina: Piscina, task: PoolTask, stop: AbortSignal, transferList?: ArrayBuffer[]): Promise<T> {
  const result = (await piscina.run(task, { signal: stop, ...(transferList?.length ? { transferList } : {}) })) as T | WorkerFailure;
  if (result && typeof result === 'object' && 'failure' in result) {
    throw new HttpError(result.failure.status, result.failure.detail);
  }
  return result as T;
}
