import { join } from 'node:path';

/** The stand-in worker script for createWorkerPool's `filename` (see held-worker.mjs). */
export const HELD_WORKER = join(import.meta.dirname, 'held-worker.mjs');

/** Tasks for the stand-in worker, sharing one count of the tasks that started. */
export function heldTasks() {
  const started = new SharedArrayBuffer(4);
  return {
    /** How many tasks have started on a thread so far. */
    started: () => Atomics.load(new Int32Array(started), 0),
    /** A task that returns at once. */
    quick: (name: string) => ({ name, started }),
    /** A task that holds its thread until `open()`. */
    held: (name: string) => {
      const gate = new SharedArrayBuffer(4);
      const open = () => {
        Atomics.store(new Int32Array(gate), 0, 1);
        Atomics.notify(new Int32Array(gate), 0);
      };
      return { task: { name, started, gate }, open };
    },
    /** A task that never ends. */
    stuck: (name: string) => ({ name, started, spin: true }),
  };
}
