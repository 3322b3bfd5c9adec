/**
 * Work shared by the concurrent requests that need it: asking for a key whose work is running joins
 * it instead of starting it again. The entry goes when the work settles, so a failure is never
 * remembered (the next ask starts afresh) and results are kept, if at all, by the caller's cache.
 *
 * Shared work runs under a signal of its own (an Interest's) that fires only when every request that
 * asked for it has gone away: one client leaving must not fail the others, and work nobody waits for
 * any more is dropped (a pool task still waiting for a thread never runs). Each caller stops waiting
 * on its own abort (raceAbort).
 */
export class InFlight<V> {
  private readonly running = new Map<string, { pending: Promise<V>; interest: Interest }>();

  /**
   * Joins the work running for key, if any. `signal`: the caller's (none: the work runs to its end).
   * Rejects with the caller's abort reason when it fires first.
   */
  join(key: string, signal?: AbortSignal): Promise<V> | undefined {
    const entry = this.running.get(key);
    if (!entry) return undefined;
    entry.interest.join(signal);
    const joined = raceAbort(entry.pending, signal);
    // a caller may await it only after other work (a request fetching its own PNGs first): its
    // abort meanwhile must not be an unhandled rejection, which would end the process
    joined.catch(() => {});
    return joined;
  }

  /** Joins the work running for key, or starts it under a new Interest. */
  run(key: string, work: (signal: AbortSignal) => Promise<V>, signal?: AbortSignal): Promise<V> {
    const joined = this.join(key, signal);
    if (joined) return joined;
    const interest = new Interest();
    this.carry(key, work(interest.signal), interest);
    return this.join(key, signal)!;
  }

  /**
   * Lists work started elsewhere under key, for others to join: the shared work of one interest can
   * carry several keys (a worker task that decodes several tiles). Joiners count in `interest`.
   */
  carry(key: string, pending: Promise<V>, interest: Interest): void {
    this.track(key, { pending, interest });
  }

  private track(key: string, entry: { pending: Promise<V>; interest: Interest }): void {
    this.running.set(key, entry);
    const forget = () => this.running.get(key) === entry && this.running.delete(key);
    // once nobody wants it, a later ask starts afresh rather than joining work being dropped
    entry.interest.signal.addEventListener('abort', forget, { once: true });
    entry.pending.finally(forget).catch(() => {});
  }
}

/**
 * Who still waits for a piece of shared work: its signal fires when every caller that joined with a
 * signal has seen it fire, and never once a caller joined without one. Joining nobody, it never fires.
 */
export class Interest {
  private readonly controller = new AbortController();
  private waiting = 0;
  private pinned = false;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  join(signal?: AbortSignal): void {
    if (this.controller.signal.aborted || this.pinned) return;
    if (!signal) {
      this.pinned = true;
      return;
    }
    this.waiting++;
    const leave = () => {
      if (--this.waiting === 0 && !this.pinned) this.controller.abort(signal.reason);
    };
    if (signal.aborted) leave();
    else signal.addEventListener('abort', leave, { once: true });
  }
}

/** Waits for the promise unless the signal fires first (then rejects with its reason). */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
