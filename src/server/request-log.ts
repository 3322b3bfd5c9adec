import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { redactUrl } from '../sources/redact.js';

/**
 * Structured request logs: every request has an id (a sane incoming `X-Request-Id`, else a fresh
 * UUID), sent back as `X-Request-Id` and carried as `reqId` by every line logged through
 * `req.log`; each finished request is one JSON line with its route, status and duration. Urls are
 * logged redacted: query strings carry signed source urls (SAS `sig=`, `X-Amz-Signature`) and
 * `user:password@`.
 */

/** What an id taken from a client may look like: short, no spaces or control characters (log and header safe). */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:/+=-]{1,128}$/;

/** The request's id: the client's (or load balancer's) `X-Request-Id` when sane, else a new UUID. */
export function requestId(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** The route pattern a request matched (`/cog/tiles/:z/:x/:tail`), or `unmatched`: a bounded label, never the raw url. */
export function routeOf(req: FastifyRequest): string {
  return req.routeOptions.url ?? 'unmatched';
}

/** Fastify's two lines a request (incoming, completed) replaced by one line when it is finished. */
class OneLinePerRequest extends LogController {
  override incomingRequest() {}

  override requestCompleted(error: Error | null | undefined, req: FastifyRequest, reply: FastifyReply) {
    const line = {
      method: req.method,
      url: redactUrl(req.url),
      route: routeOf(req),
      status: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ...(error ? { err: error } : {}),
    };
    if (error || reply.statusCode >= 500) reply.log.warn(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}

/** The Fastify options of the request log, given buildApp's `logger` option (false, true or pino options). */
export function requestLogOptions(logger: boolean | object = false): FastifyServerOptions {
  const serializers = {
    // for any line that logs a request object: no query string, no credentials
    req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, url: redactUrl(req.url ?? ''), id: req.id }),
  };
  return {
    logger: logger === false ? false : { ...(logger === true ? {} : logger), serializers: { ...serializers, ...(logger as { serializers?: object }).serializers } },
    genReqId: requestId,
    requestIdHeader: false, // genReqId reads (and checks) the header itself
    logController: new OneLinePerRequest(),
  };
}

/** Sends the request id back as `X-Request-Id` (on every answer, errors and 404s included). */
export function installRequestIds(app: FastifyInstance) {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
}
