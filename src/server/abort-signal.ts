import type { FastifyInstance, FastifyRequest } from 'fastify';

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
    const controller = new AbortController();
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
    });
    // Fastify's req.signal fires at the deadline (handlerTimeout); it exists only when one is set
    req.abortSignal = req.routeOptions.handlerTimeout > 0 ? AbortSignal.any([controller.signal, req.signal]) : controller.signal;
  });
}
