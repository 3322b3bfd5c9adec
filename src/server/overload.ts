import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import { HttpError } from './errors.js';

/** What a 503 tells the client to wait before retrying (kepler.gl waits and retries on 503). */
export const RETRY_AFTER_SECONDS = 1;

/** 503 with Retry-After: the server is busy or shutting down, the same request will work later. */
export const overloaded = (detail: string) => new HttpError(503, detail, { 'retry-after': String(RETRY_AFTER_SECONDS) });

export interface AdmissionStats {
  /** Requests admitted and not yet answered. */
  active: number;
  /** Most requests admitted at once (0: no limit). */
  limit: number;
  /** Requests refused with 503 since the start. */
  rejected: number;
}

/**
 * Admission control for the work of the worker pool, per request rather than per task: a request
 * that needs the pool (a tile, a bbox image, a point, a mesh, a mosaic, a tile-cache render) is
 * admitted before it does any upstream I/O, or refused at once with 503 + Retry-After when `limit`
 * requests are already in progress. An admitted request's tasks are never refused for lack of room,
 * so no request fails half-way (a mosaic tile that has read and decoded three items is not turned
 * away at its blend) and no rendered meta-tile loses its cuts; the worker queue stays bounded by
 * `limit` times the tasks one request queues at once.
 */
export class Admission {
  private active = 0;
  private rejected = 0;

  constructor(private readonly limit: number) {}

  get stats(): AdmissionStats {
    return { active: this.active, limit: this.limit, rejected: this.rejected };
  }

  /** Admits one request or throws 503; the returned function ends it (calling it again does nothing). */
  enter(): () => void {
    if (this.limit > 0 && this.active >= this.limit) {
      this.rejected++;
      throw overloaded(`server busy: ${this.limit} requests in progress, retry later`);
    }
    this.active++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.active--;
    };
  }
}

/**
 * The routes whose requests use the worker pool. The tile cache admits its renders itself
 * (TileCache), since a tile read from S3 or taken from a render in flight needs no worker.
 */
const POOL_ROUTES = /^\/(cog\/(tiles|bbox|point)|stac\/mosaic\/(tiles|point)|mesh\/(tiles|cesium))\//;

/**
 * Admits every request of the pool routes in an onRequest hook, before validation and before any
 * upstream read, so a refused request costs next to nothing; the request leaves when its answer is
 * sent or its client goes away (its waiting tasks are dropped then, see task-queue.ts).
 */
export function admitPoolRoutes(app: FastifyInstance, admit: () => () => void) {
  const hook: onRequestHookHandler = async (_req, reply) => {
    const leave = admit();
    reply.raw.once('close', leave);
  };
  app.addHook('onRoute', (route) => {
    if (!POOL_ROUTES.test(route.url)) return;
    const own = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [hook, ...own];
  });
}
