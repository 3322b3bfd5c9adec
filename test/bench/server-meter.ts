// What the mesh HTTP benchmark's server (running in this process) and its tile server use while a
// load client runs: CPU of the main thread, of the worker pool's threads and of the process's other
// threads (V8 GC helpers, libuv) from /proc/self/task (Linux) and process.cpuUsage, the tile server's
// CPU and requests, the main thread's event-loop utilization and GC pauses, and the tiles answered.
//
// A run is measured between two samples. A client that finishes every request it sends (the Node
// client) is measured over the whole run. wrk stops with requests in flight, which the server still
// works on after it has counted them nowhere: it is measured in a window inside the run (from 15% to
// 90% of its duration), when as many requests are in flight at the end as at the start, dividing by
// the tiles the server answered in that window.
import type { FastifyInstance } from 'fastify';
import { readdirSync } from 'node:fs';
import { performance, PerformanceObserver, type EventLoopUtilization } from 'node:perf_hooks';
import { taskCpuMs } from './proc-stat.js';
import type { StaticTiles, TileServerStats } from './static-tiles.js';

/** Thread ids of this process (Linux /proc; empty elsewhere). */
export function threadIds(): Set<string> {
  try {
    return new Set(readdirSync('/proc/self/task'));
  } catch {
    return new Set();
  }
}

/** CPU ms of the given threads of this process (Linux /proc; NaN elsewhere). Exited threads count 0. */
function threadsCpuMs(tids: Iterable<string>): number {
  const ms = [...tids].map((tid) => taskCpuMs(`/proc/self/task/${tid}`)).filter((x) => !Number.isNaN(x));
  return ms.length > 0 ? ms.reduce((a, b) => a + b, 0) : NaN;
}

const processCpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

/** Records the main thread's garbage collection pauses; `ms(from, to)` sums those that started in [from, to). */
export function gcLog(): { ms(from: number, to?: number): Promise<number>; stop(): void } {
  const pauses: Array<{ start: number; ms: number }> = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, ms: e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    async ms(from, to = Infinity) {
      await new Promise((resolve) => setImmediate(resolve)); // entries are delivered asynchronously
      return pauses.filter((p) => p.start >= from && p.start < to).reduce((a, p) => a + p.ms, 0);
    },
    stop: () => obs.disconnect(),
  };
}

interface Sample {
  t: number;
  answered: number;
  main: number;
  pool: number;
  all: number;
  elu: EventLoopUtilization;
  tiles: TileServerStats;
}

/** What the server and the tile server used between two samples, per tile answered. */
export interface ServerUsage {
  /** Tiles the server answered (status 200) in the measured span. */
  tiles: number;
  /** The span measured: 'run' (all of it) or 'window' (inside wrk's run). */
  span: 'run' | 'window';
  cpuMsPerTile: { main: number; workers: number; other: number; tileServer: number };
  /** Event-loop utilization of the server's main thread. */
  serverElu: number;
  /** Garbage collection pauses of the server's main thread, ms per tile. */
  mainGcMsPerTile: number;
  /** Requests the tile server answered per tile (PNG reads, 404s included). */
  upstreamPerTile: number;
}

export class ServerMeter {
  private answered = 0;
  private poolThreads = new Set<string>();
  private readonly mainTid = [String(process.pid)];

  constructor(private readonly tileServer: StaticTiles) {}

  /** Builds the app and starts it, counting its 200 answers; the threads that appear meanwhile are its worker pool's. */
  async start(build: () => FastifyInstance, listen: (app: FastifyInstance) => Promise<unknown>): Promise<FastifyInstance> {
    const before = threadIds();
    const app = build();
    app.addHook('onResponse', async (_req, reply) => {
      if (reply.statusCode === 200) this.answered++;
    });
    await listen(app); // the pool starts its threads when the app is ready
    this.poolThreads = new Set([...threadIds()].filter((t) => !before.has(t)));
    return app;
  }

  private async sample(): Promise<Sample> {
    const s = {
      t: performance.now(), answered: this.answered, main: threadsCpuMs(this.mainTid), pool: threadsCpuMs(this.poolThreads), all: processCpuMs(),
      elu: performance.eventLoopUtilization(),
    };
    return { ...s, tiles: await this.tileServer.stats() };
  }

  /**
   * Runs the client and measures it: over the whole run, or with `window` (the run's length in ms; a
   * client that abandons its requests in flight when it stops) between 15% and 90% of it.
   */
  async measure<R extends { requests: number }>(run: () => Promise<R>, window?: number): Promise<R & ServerUsage> {
    const gc = gcLog();
    const s0 = await this.sample();
    const inside: Array<Promise<Sample>> = [];
    const timers = window ? [0.15, 0.9].map((f) => setTimeout(() => inside.push(this.sample()), f * window)) : [];
    try {
      const r = await run();
      const end = performance.now();
      await settle();
      const s1 = await this.sample();
      const [a, b] = inside.length === 2 ? await Promise.all(inside) : [];
      // b must be well before the client stopped (a timer can fire late on a busy machine)
      const useWindow = a !== undefined && b !== undefined && b.answered > a.answered && b.t < end - 0.05 * window!;
      const [from, to] = useWindow ? [a, b] : [s0, s1];
      const n = Math.max(1, useWindow ? to.answered - from.answered : r.requests);
      const main = to.main - from.main, pool = to.pool - from.pool, all = to.all - from.all;
      return {
        ...r,
        tiles: n,
        span: useWindow ? 'window' : 'run',
        cpuMsPerTile: { main: main / n, workers: pool / n, other: (all - main - pool) / n, tileServer: (to.tiles.cpuMs - from.tiles.cpuMs) / n },
        serverElu: performance.eventLoopUtilization(to.elu, from.elu).utilization,
        mainGcMsPerTile: (await gc.ms(from.t, useWindow ? to.t : undefined)) / n,
        upstreamPerTile: (to.tiles.requests - from.tiles.requests) / n,
      };
    } finally {
      timers.forEach(clearTimeout);
      gc.stop();
    }
  }
}

/**
 * Waits until this process is idle (under 1 ms of CPU in 20 ms, at most 2 s): the server finishes the
 * requests wrk abandoned when it stopped; that work must not land in the next run.
 */
async function settle(): Promise<void> {
  let before = processCpuMs();
  for (let i = 0; i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = processCpuMs();
    if (now - before < 1) return;
    before = now;
  }
}
