/**
 * Hits and misses of one cache: plain counters the cache owns and increments, read by `/metrics`
 * at scrape time (src/server/metrics.ts), so the caches themselves know nothing of Prometheus.
 */
export interface CacheStats {
  hits: number;
  misses: number;
}

export const newCacheStats = (): CacheStats => ({ hits: 0, misses: 0 });

/** Counts one lookup; `found` says whether the cache answered it. */
export function countLookup(stats: CacheStats, found: boolean) {
  if (found) stats.hits++;
  else stats.misses++;
}
