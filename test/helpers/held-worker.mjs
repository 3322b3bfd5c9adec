// A stand-in for the tile worker (test/server/worker-pool.test.ts). Every task that starts adds 1 to
// its `started` counter (a SharedArrayBuffer), so a test knows exactly how many tasks ran; a task with
// a `gate` holds its thread until the test opens the gate; a `spin` task never ends (a stuck task).
import { threadId } from 'node:worker_threads';

/** @param {{ started: SharedArrayBuffer, gate?: SharedArrayBuffer, spin?: boolean, name: string }} task */
export default function heldTask(task) {
  Atomics.add(new Int32Array(task.started), 0, 1);
  if (task.gate) Atomics.wait(new Int32Array(task.gate), 0, 0);
  if (task.spin) for (;;);
  return { name: task.name, threadId };
}
