import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Gives each request an AbortSignal that fires when the client goes away before the answer is
 * sent, so upstream reads and queued work for it can be dropped.
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
    req.abortSignal = controller.signal;
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
    });
  });
}
