import { afterEach, describe, expect, it } from 'vitest';
import type { MeshTask } from '../../src/mesh/mesh-task.js';
import { HttpError } from '../../src/server/errors.js';
import { createWorkerPool, type WorkerPool } from '../../src/server/worker-pool.js';
import { HELD_WORKER, heldTasks } from '../helpers/held-tasks.js';
import { until } from '../helpers/until.js';

/**
 * The worker pool's queue with real threads (one), running a stand-in worker whose tasks hold their
 * thread until the test lets them go: which tasks run, and on which thread, is then deterministic.
 */
type Ran = { name: string; threadId: number };
let pool: WorkerPool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

const onePool = async (taskTimeoutMs = 0) => (pool = await createWorkerPool(1, { filename: HELD_WORKER, taskTimeoutMs }));
const run = (p: WorkerPool, task: object, signal?: AbortSignal) => p.mesh(task as unknown as MeshTask, signal) as unknown as Promise<Ran>;

describe('worker pool queue', () => {
  it('drops a waiting task whose request went away; it never runs and the thread is kept', async () => {
    const p = await onePool();
    const t = heldTasks();
    const first = t.held('first');
    const running = run(p, first.task);
    await until(() => t.started() === 1, 'first task to start');
    const client = new AbortController();
    const waiting = run(p, t.quick('waiting'), client.signal);
    expect(p.stats).toMatchObject({ queued: 1, running: 1, dropped: 0 });

    client.abort(new Error('client closed the connection'));
    await expect(waiting).rejects.toThrow('client closed the connection');
    expect(p.stats).toMatchObject({ queued: 0, running: 1, dropped: 1 });

    first.open();
    const ran = await running;
    const after = await run(p, t.quick('after'));
    expect(t.started()).toBe(2); // first and after: the dropped task never reached a thread
    expect(after.threadId).toBe(ran.threadId); // nothing was terminated
  });

  it('lets a running task finish when its request goes away (no thread terminated)', async () => {
    const p = await onePool();
    const t = heldTasks();
    const first = t.held('first');
    const client = new AbortController();
    const running = run(p, first.task, client.signal);
    await until(() => t.started() === 1, 'task to start');
    client.abort(new Error('client closed the connection'));
    first.open();
    const ran = await running;
    expect(ran.name).toBe('first');
    expect((await run(p, t.quick('after'))).threadId).toBe(ran.threadId);
  });

  it('answers 504 for a task that runs past the task timeout, and replaces its thread', async () => {
    const p = await onePool(200);
    const t = heldTasks();
    const stuck = run(p, t.stuck('stuck'));
    const error = await stuck.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 504, detail: 'worker task ran longer than 200 ms' });
    expect(p.stats.timedOut).toBe(1);
    const after = await run(p, t.quick('after'));
    expect(after.name).toBe('after'); // the pool serves on a new thread
  });

  it('reports its queue in stats (the /metrics helper reads these)', async () => {
    const p = await onePool();
    expect(p.stats).toEqual({ queued: 0, running: 0, dropped: 0, timedOut: 0, threads: 1, utilization: expect.any(Number), requests: 0, rejected: 0 });
  });
});
