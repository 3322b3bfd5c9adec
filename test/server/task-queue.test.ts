import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/server/errors.js';
import { TaskQueue } from '../../src/server/task-queue.js';
import { until } from '../helpers/until.js';

/**
 * The queue's rules, with tasks the test finishes by hand (the threads are in worker-pool.test.ts):
 * one slot, so the second task waits until the first one settles.
 */
function manualTask<T>(value: T) {
  let finish!: () => void;
  let started = false;
  let stop: AbortSignal | undefined;
  const start = (signal: AbortSignal) => {
    started = true;
    stop = signal;
    return new Promise<T>((resolve) => (finish = () => resolve(value)));
  };
  return { start, finish: () => finish(), started: () => started, stop: () => stop };
}

describe('task queue', () => {
  it('runs tasks in order, one per slot', async () => {
    const queue = new TaskQueue(1, 0);
    const a = manualTask('a');
    const b = manualTask('b');
    const pa = queue.run(a.start);
    const pb = queue.run(b.start);
    expect([a.started(), b.started()]).toEqual([true, false]);
    a.finish();
    expect(await pa).toBe('a');
    expect(b.started()).toBe(true);
    b.finish();
    expect(await pb).toBe('b');
    expect(queue.stats).toEqual({ queued: 0, running: 0, dropped: 0, timedOut: 0 });
  });

  it('answers 503 with Retry-After for a task that waits longer than the timeout; it never starts', async () => {
    const queue = new TaskQueue(1, 50);
    const a = manualTask('a'); // holds the slot and ignores its own stop signal
    void queue.run(a.start).catch(() => {});
    const b = manualTask('b');
    const error = await queue.run(b.start).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 503, detail: 'waited 50 ms for a worker thread', headers: { 'retry-after': '1' } });
    expect(b.started()).toBe(false);
    expect(queue.stats).toMatchObject({ queued: 0, running: 1, timedOut: 2 }); // a ran too long, b waited too long
  });

  it('lets a task without a wait limit (a tile-cache cut) wait past the timeout', async () => {
    const queue = new TaskQueue(1, 50);
    const a = manualTask('a');
    const pa = queue.run(a.start).catch((e: unknown) => e);
    const cut = manualTask('cut');
    const pcut = queue.run(cut.start, { noWaitLimit: true });
    // the running task passes the run timeout (504) but holds its slot until it settles
    expect(await pa).toMatchObject({ status: 504 });
    expect(a.stop()?.aborted).toBe(true);
    expect(cut.started()).toBe(false);
    a.finish();
    await until(() => cut.started(), 'the cut to start');
    cut.finish();
    expect(await pcut).toBe('cut');
  });

  it('rejects an already aborted request at once and waiting tasks on close', async () => {
    const queue = new TaskQueue(1, 0);
    const gone = AbortSignal.abort(new Error('gone'));
    const a = manualTask('a');
    await expect(queue.run(a.start, { signal: gone })).rejects.toThrow('gone');
    expect(a.started()).toBe(false);
    void queue.run(manualTask('b').start);
    const waiting = queue.run(manualTask('c').start);
    queue.close();
    await expect(waiting).rejects.toMatchObject({ status: 503, detail: 'the server is shutting down' });
  });
});
