// Timing helpers: bounded-time loops and latency percentiles.

export interface Timed {
  ops: number;
  seconds: number;
  opsPerSec: number;
  meanMs: number;
}

const summarize = (ops: number, ms: number): Timed => ({ ops, seconds: ms / 1000, opsPerSec: (ops * 1000) / ms, meanMs: ms / ops });

/** Calls fn(0), fn(1), ... for about budgetMs (at least minOps calls), after a short warm-up. */
export function timeSync(fn: (i: number) => unknown, budgetMs: number, minOps = 3): Timed {
  const warm = performance.now();
  for (let i = 0; i < minOps || performance.now() - warm < Math.min(200, budgetMs / 5); i++) fn(i);
  let ops = 0;
  const t0 = performance.now();
  let now = t0;
  while (ops < minOps || now - t0 < budgetMs) {
    fn(ops++);
    now = performance.now();
  }
  return summarize(ops, now - t0);
}

/** The async twin of timeSync, without warm-up (the callers warm up themselves). */
export async function timeAsync(fn: (i: number) => Promise<unknown>, budgetMs: number, minOps = 3): Promise<Timed> {
  let ops = 0;
  const t0 = performance.now();
  let now = t0;
  while (ops < minOps || now - t0 < budgetMs) {
    await fn(ops++);
    now = performance.now();
  }
  return summarize(ops, now - t0);
}

/** p in [0, 100] of an ascending array (nearest rank); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Index of the first differing byte of two arrays' contents, -1 when identical. */
export function firstByteDifference(a: ArrayBufferView, b: ArrayBufferView): number {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return i;
  return x.length === y.length ? -1 : n;
}
