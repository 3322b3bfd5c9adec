import type { FastifyError, FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import { overloaded } from './overload.js';

/**
 * Every error leaves as TiTiler's `{"detail": "..."}` with a status that says whose fault it is.
 * Unexpected errors are logged with their stack and answered 500 without internals; the process
 * keeps serving either way.
 */
export function installErrorHandlers(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | HttpError | Error, req, reply) => {
    reply.header('cache-control', 'no-store');
    // the request deadline (REQUEST_TIMEOUT_MS, Fastify's handlerTimeout): 503, retry later
    if ((err as FastifyError).code === 'FST_ERR_HANDLER_TIMEOUT') err = overloaded(err.message);
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      // 503 is the server shedding load or draining (not a failure): one warn per refused request would add to the load
      if (err.status >= 500 && err.status !== 503) req.log.warn({ status: err.status, detail: err.detail }, 'upstream or source failure');
      return reply.status(err.status).send({ detail: err.detail });
    }
    const fe = err as FastifyError;
    if (fe.validation) return reply.status(400).send({ detail: `invalid request: ${fe.message}` });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return reply.status(fe.statusCode).send({ detail: fe.message });
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send({ detail: 'internal server error' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ detail: `not found: ${req.method} ${req.url.split('?')[0]}` });
  });
}
