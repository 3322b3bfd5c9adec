import type { FastifyInstance } from 'fastify';
import { overloaded } from './overload.js';

export interface DrainState {
  /** True from the moment `app.close()` starts: the instance is going away. */
  readonly draining: boolean;
}

/**
 * Graceful shutdown on top of Fastify's close(), which stops listening, waits for the requests in
 * progress and then runs the onClose hooks (tile-cache S3 writes flushed, worker pool closed; see
 * app.ts). From the moment close() starts, /readyz answers 503 (the load balancer stops sending),
 * a new request on a keep-alive connection that is still open gets 503 JSON with Retry-After, and
 * every answer closes its connection, so idle keep-alive connections do not hold the close up.
 * /healthz stays 200 (the process is alive until it exits).
 */
/** Answered by their own handlers while draining (health-routes.ts). */
const HEALTH_ROUTES = new Set(['/healthz', '/readyz']);

export function installDrain(app: FastifyInstance): DrainState {
  const state = { draining: false };
  app.addHook('preClose', async () => {
    state.draining = true;
  });
  app.addHook('onRequest', async (req) => {
    if (state.draining && !HEALTH_ROUTES.has(req.routeOptions.url ?? '')) throw overloaded('the server is shutting down');
  });
  app.addHook('onSend', async (_req, reply) => {
    if (state.draining) reply.header('connection', 'close');
  });
  return state;
}
