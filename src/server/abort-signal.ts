import type { FastifyInstance, FastifyRequest } from 'fastify';
import { LinkedAbort } from './linked-abort.js';

/**
 * Gives each request an AbortSignal that fires when the client goes away before the answer is
 * sent, or when the request deadline passes (REQUEST_TIMEOUT_MS), so upstream reads and waiting
 * worker tasks for it are dropped.
 */
declare module 'fastify' {
  interface FastifyRequest {
    abortSignal: AbortSignal;
  }
}

export function installAbortSignals(app: FastifyInstance) {
  app.decorateRequest('abortSignal', undefined as unknown as AbortSignal);
  app.addHook('onRequest', async (req: FastifyRequest, reply) => {
    // Fastify's req.signal fires at the deadline (handlerTimeout); it exists only when one is set.
    // Both live as long as the request: nothing to release.
    const linked = new LinkedAbort(req.routeOptions.handlerTimeout > 0 ? req.signal : undefined);
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) linked.abort(new Error('client closed the connection'));
    });
    req.abortSignal = linked.signal;
  });
}
