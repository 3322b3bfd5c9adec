import type { FastifyInstance } from 'fastify';
import type { DrainState } from '../drain.js';
import { overloaded } from '../overload.js';

/**
 * `/healthz`: the process is alive (a liveness probe). `/readyz`: it takes traffic: the worker pool
 * is up (these routes exist only once it is) and the server is not draining (a readiness probe or a
 * load balancer's health check; 503 from the moment a SIGTERM starts the drain).
 */
export function healthRoutes(app: FastifyInstance, opts: { drain: DrainState }) {
  const hide = { schema: { hide: true } };
  app.get('/healthz', hide, async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));
  app.get('/readyz', hide, async (_req, reply) => {
    if (opts.drain.draining) throw overloaded('draining: the server is shutting down');
    return reply.header('cache-control', 'no-store').send({ status: 'ready' });
  });
}
