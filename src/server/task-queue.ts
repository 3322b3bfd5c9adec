import { HttpError } from './errors.js';
import { overloaded } from './overload.js';

/** Starts one task on a thread; aborting `signal` must stop it (Piscina terminates the thread). */
export type StartTask<T> = (signal: AbortSignal) => Promise<T>;

export interface TaskOptions {
  /** The request's signal: while the task waits it is dropped when this fires; once running it runs to the end. */
  signal?: AbortSignal;
  /** Wait for a thread as long as it takes (tile-cache cuts: the WMS image is already paid for). */
  noWaitLimit?: boolean;
}

export interface TaskQueueStats {
  /** Tasks waiting for a thread. */
  queued: number;
  /** Tasks on a thread. */
  running: number;
  /** Tasks removed from the queue because their request went away (client gone, deadline passed). */
  dropped: number;
  /** Tasks that waited or ran longer than the task timeout. */
  timedOut: number;
}

interface Entry {
  start: StartTask<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
  options: TaskOptions;
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
}

/**
 * The queue in front of the worker threads. Piscina is handed at most one task per thread, so the
 * waiting happens here, where a task can leave the queue without harm: Piscina's own `signal`
 * removes a queued task too, but terminates the thread of a running one, and re-creating a thread
 * (and its WASM instance) costs more than finishing a tile. So a task whose request went away is
 * dropped while it waits and left to finish once it runs.
 *
 * Every task has one time limit, `timeoutMs`, for each phase: waiting longer is 503 (overload,
 * retry later); running longer is 504 and its thread is terminated (a task that long is stuck).
 */
export class TaskQueue {
  private readonly waiting: Entry[] = [];
  private running = 0;
  private dropped = 0;
  private timedOut = 0;
  private closed = false;

  constructor(
    private readonly slots: number,
    private readonly timeoutMs: number,
  ) {}

  get stats(): TaskQueueStats {
    return { queued: this.waiting.length, running: this.running, dropped: this.dropped, timedOut: this.timedOut };
  }

  run<T>(start: StartTask<T>, options: TaskOptions = {}): Promise<T> {
    if (this.closed) return Promise.reject(overloaded('the server is shutting down'));
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { start, resolve: resolve as (v: unknown) => void, reject, options };
      if (this.running < this.slots) return this.startEntry(entry);
      this.enqueue(entry);
    });
  }

  /** Rejects every waiting task (the pool is closing); running tasks finish. */
  close() {
    this.closed = true;
    for (const entry of this.waiting.splice(0)) this.leave(entry, overloaded('the server is shutting down'));
  }

  private enqueue(entry: Entry) {
    this.waiting.push(entry);
    const { signal, noWaitLimit } = entry.options;
    if (signal) {
      entry.onAbort = () => {
        this.dropped++;
        this.remove(entry, signal.reason);
      };
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    if (!noWaitLimit && this.timeoutMs > 0) {
      entry.timer = setTimeout(() => {
        this.timedOut++;
        this.remove(entry, overloaded(`waited ${this.timeoutMs} ms for a worker thread`));
      }, this.timeoutMs);
    }
  }

  private remove(entry: Entry, error: unknown) {
    const i = this.waiting.indexOf(entry);
    if (i >= 0) this.waiting.splice(i, 1);
    this.leave(entry, error);
  }

  private leave(entry: Entry, error: unknown) {
    this.forgetWaiting(entry);
    entry.reject(error);
  }

  private forgetWaiting(entry: Entry) {
    clearTimeout(entry.timer);
    if (entry.onAbort) entry.options.signal?.removeEventListener('abort', entry.onAbort);
  }

  private startEntry(entry: Entry) {
    this.forgetWaiting(entry);
    this.running++;
    // the caller's answer is settled once: by the task, or by the run timeout, which answers at
    // once (not a hang) and stops the task; its slot is free only once the task has really stopped
    let answered = false;
    const answer = (settle: () => void) => {
      if (!answered) settle();
      answered = true;
    };
    const stop = new AbortController();
    const timer = this.timeoutMs > 0
      ? setTimeout(() => {
        this.timedOut++;
        const error = new HttpError(504, `worker task ran longer than ${this.timeoutMs} ms`);
        stop.abort(error);
        answer(() => entry.reject(error));
      }, this.timeoutMs)
      : undefined;
    const finished = (settle: () => void) => {
      clearTimeout(timer);
      this.running--;
      this.next(); // before the caller hears: its next task queues behind those already waiting
      answer(settle);
    };
    let outcome: Promise<unknown>;
    try {
      outcome = entry.start(stop.signal);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then((value) => finished(() => entry.resolve(value)), (error: unknown) => finished(() => entry.reject(error)));
  }

  private next() {
    while (this.running < this.slots && this.waiting.length > 0) this.startEntry(this.waiting.shift()!);
  }
}
