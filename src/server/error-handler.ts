import type { FastifyError, FastifyInstance } from 'fastify';
import { redactText } from '../sources/redact.js';
import { HttpError } from './errors.js';
import { overloaded } from './overload.js';

/**
 * Every error leaves as TiTiler's `{"detail": "..."}` with a status that says whose fault it is.
 * Unexpected errors are logged with their stack and answered 500 without internals; the process
 * keeps serving either way. Details and logged messages pass through redactText once more, so a
 * message that forgot to redact a signed url or a password still does not carry it out.
 */
export function installErrorHandlers(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError | HttpError | Error, req, reply) => {
    reply.header('cache-control', 'no-store');
    // the request deadline (REQUEST_TIMEOUT_MS, Fastify's handlerTimeout): 503, retry later
    if ((err as FastifyError).code === 'FST_ERR_HANDLER_TIMEOUT') err = overloaded(err.message);
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
      const detail = redactText(err.detail);
      // 503 is the server shedding load or draining (not a failure): one warn per refused request would add to the load
      if (err.status >= 500 && err.status !== 503) req.log.warn({ status: err.status, detail }, 'upstream or source failure');
      return reply.status(err.status).send({ detail });
    }
    const fe = err as FastifyError;
    if (fe.validation) return reply.status(400).send({ detail: `invalid request: ${redactText(fe.message)}` });
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return reply.status(fe.statusCode).send({ detail: redactText(fe.message) });
    req.log.error({ err: { type: err.name, message: redactText(err.message), stack: redactText(err.stack ?? '') } }, 'unhandled error');
    return reply.status(500).send({ detail: 'internal server error' });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ detail: `not found: ${req.method} ${req.url.split('?')[0]}` });
  });
}
