/**
 * Work shared by the concurrent requests that need it: asking for a key whose work is running joins
 * it instead of starting it again. The entry goes when the work settles, so a failure is never
 * remembered (the next ask starts afresh) and results are kept, if at all, by the caller's cache.
 *
 * Shared work runs without any one caller's AbortSignal (one client going away must not fail the
 * others); a caller stops waiting on its own abort with raceAbort.
 */
export class InFlight<V> {
  private readonly running = new Map<string, Promise<V>>();

  /** The work running for key, if any. */
  get(key: string): Promise<V> | undefined {
    return this.running.get(key);
  }

  /** Joins the work running for key, or starts it. */
  run(key: string, work: () => Promise<V>): Promise<V> {
    let pending = this.running.get(key);
    if (!pending) {
      const started = work();
      pending = started;
      this.running.set(key, started);
      started.finally(() => this.running.get(key) === started && this.running.delete(key)).catch(() => {});
    }
    return pending;
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
