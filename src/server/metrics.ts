import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CacheStats } from '../cache-stats.js';
import type { TileCache } from '../cache/tile-cache.js';
import type { CogReader } from '../cog/cog-reader.js';
import type { ServerConfig } from '../config.js';
import type { TerrainReader } from '../mesh/terrain-reader.js';
import { upstreamErrors } from '../sources/upstream-errors.js';
import { searchCacheStats } from '../stac/search.js';
import { routeOf } from './request-log.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * `GET /metrics` in the Prometheus text format. Each app has its own prom-client Registry (several
 * apps in one process, as in tests, do not collide). Requests are counted by route pattern and
 * status as they finish; everything else (worker pool, cache hits, upstream errors) is read from
 * the plain counters of the modules concerned at scrape time, so those know nothing of Prometheus.
 * METRICS=off removes the route; METRICS_TOKEN requires `Authorization: Bearer <token>`.
 */

/** What is read at scrape time; known once the worker pool has started. */
export interface MetricsSources {
  pool: WorkerPool;
  cogs: CogReader;
  terrain: TerrainReader;
  tileCache: TileCache;
  config: ServerConfig;
}

export interface Metrics {
  /** Starts reporting the pool, caches and upstream errors of these objects. */
  observe(sources: MetricsSources): void;
}

/** Seconds: tiles from cache take milliseconds, cold mosaics and renders through a WMS seconds. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function installMetrics(app: FastifyInstance, config: Pick<ServerConfig, 'metricsEnabled' | 'metricsToken'>): Metrics {
  if (!config.metricsEnabled) return { observe: () => {} };
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let sources: MetricsSources | undefined;

  const requests = new Counter({
    name: 'http_requests_total', help: 'Finished HTTP requests by route pattern and status',
    labelNames: ['method', 'route', 'status'] as const, registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds', help: 'Time from request to the last byte of the answer, by route pattern',
    labelNames: ['method', 'route'] as const, buckets: LATENCY_BUCKETS, registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    const labels = { method: req.method, route: routeOf(req) };
    requests.inc({ ...labels, status: String(reply.statusCode) });
    latency.observe(labels, reply.elapsedTime / 1000);
  });

  poolGauges(registry, () => sources?.pool.stats);
  cacheCounters(registry, () => sources && cacheStatsOf(sources));
  cacheSizes(registry, () => sources && cacheBytesOf(sources));
  new Counter({
    name: 'upstream_errors_total', help: 'Failed upstream requests (5xx, timeouts, bad answers) by source kind, in this process',
    labelNames: ['source'] as const, registers: [registry],
    collect() {
      this.reset();
      for (const [source, count] of Object.entries(upstreamErrors)) this.inc({ source }, count);
    },
  });

  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (config.metricsToken && !hasToken(req, config.metricsToken)) {
      return reply.status(401).header('www-authenticate', 'Bearer').send({ detail: 'metrics need a bearer token' });
    }
    reply.header('cache-control', 'no-store').type(registry.contentType);
    return registry.metrics();
  });
  return { observe: (s) => (sources = s) };
}

function poolGauges(registry: Registry, stats: () => WorkerPool['stats'] | undefined) {
  const gauge = (name: string, help: string, read: (s: WorkerPool['stats']) => number) =>
    new Gauge({
      name, help, registers: [registry],
      collect() {
        const s = stats();
        if (s) this.set(read(s));
      },
    });
  gauge('worker_pool_queue_depth', 'Tasks waiting for a worker thread', (s) => s.queued);
  gauge('worker_pool_running_tasks', 'Tasks running on a worker thread', (s) => s.running);
  gauge('worker_pool_threads', 'Worker threads', (s) => s.threads);
  gauge('worker_pool_utilization', 'Share of the pool capacity spent running tasks since it started (0..1)', (s) => s.utilization);
  gauge('worker_pool_admitted_requests', 'Requests admitted to the worker pool and not yet answered', (s) => s.requests);
  const total = (name: string, help: string, read: (s: WorkerPool['stats']) => number) =>
    new Counter({
      name, help, registers: [registry],
      collect() {
        const s = stats();
        this.reset();
        if (s) this.inc(read(s));
      },
    });
  total('worker_pool_rejected_requests_total', 'Requests refused with 503 because MAX_WORKER_REQUESTS were in progress', (s) => s.rejected);
  total('worker_pool_dropped_tasks_total', 'Waiting tasks removed because their request went away (client gone, deadline passed)', (s) => s.dropped);
  total('worker_pool_timed_out_tasks_total', 'Tasks that waited or ran longer than WORKER_TASK_TIMEOUT_MS', (s) => s.timedOut);
}

function cacheStatsOf(s: MetricsSources): Record<string, CacheStats> {
  return {
    cog_header: s.cogs.cacheCounts.header,
    cog_block: s.cogs.cacheCounts.block,
    elevation: s.terrain.cacheCounts.elevation,
    mesh: s.terrain.cacheCounts.mesh,
    stac_search: searchCacheStats(s.config),
    tile_cache_s3: s.tileCache.stats,
  };
}

function cacheBytesOf(s: MetricsSources): Record<string, number> {
  return {
    cog_block: s.cogs.cacheStats.blockBytes,
    elevation: s.terrain.cacheStats.elevationBytes,
    mesh: s.terrain.cacheStats.meshBytes,
  };
}

function cacheCounters(registry: Registry, stats: () => Record<string, CacheStats> | undefined) {
  const counter = (name: string, help: string, read: (c: CacheStats) => number) =>
    new Counter({
      name, help, labelNames: ['cache'] as const, registers: [registry],
      collect() {
        this.reset();
        for (const [cache, c] of Object.entries(stats() ?? {})) this.inc({ cache }, read(c));
      },
    });
  counter('cache_hits_total', 'Lookups answered by the cache', (c) => c.hits);
  counter('cache_misses_total', 'Lookups the cache could not answer', (c) => c.misses);
}

function cacheSizes(registry: Registry, sizes: () => Record<string, number> | undefined) {
  new Gauge({
    name: 'cache_size_bytes', help: 'Bytes held by the byte-bounded caches', labelNames: ['cache'] as const, registers: [registry],
    collect() {
      for (const [cache, bytes] of Object.entries(sizes() ?? {})) this.set({ cache }, bytes);
    },
  });
}

function hasToken(req: FastifyRequest, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
