import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import type { Socket } from 'node:net';
import { badRequest } from './errors.js';

/**
 * Limits on what a request may be, each answered with a JSON `{"detail"}` like every other error
 * (Fastify's and Node's own answers to these are in other shapes).
 */
/** Longest request target (path + query). Node refuses request lines + headers over 16 KiB itself (431). */
export const MAX_URL_LENGTH = 8192;
/** Longest single path parameter (a bbox, a lon,lat, a tile's `{y}@{scale}x.{format}`). */
export const MAX_PARAM_LENGTH = 500;
/** Request bodies: no route takes one; anything larger is 413 before it is read. */
export const MAX_BODY_BYTES = 1024 * 1024;

const json = (detail: string) => JSON.stringify({ detail });

/** The Fastify options that carry these limits and answer their errors in JSON. */
export const requestLimitOptions: FastifyServerOptions = {
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  bodyLimit: MAX_BODY_BYTES,
  // The router's own refusals: a path parameter over MAX_PARAM_LENGTH (414), a malformed percent-encoding (400).
  frameworkErrors: (error, _req, res) => {
    const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
    (res as FastifyReply)
      .status(tooLong ? 414 : 400)
      .header('cache-control', 'no-store')
      .send({ detail: tooLong ? `a path parameter is longer than ${MAX_PARAM_LENGTH} characters` : 'malformed url (invalid percent-encoding)' });
  },
  // Requests Node cannot parse (headers over 16 KiB, garbage), answered on the raw socket.
  clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, text, detail] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'request line and headers are larger than 16 KiB']
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'Request Timeout', 'request timeout']
          : [400, 'Bad Request', 'malformed HTTP request'];
    const body = json(detail);
    if (socket.writable) {
      socket.write(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    }
    socket.destroy(error);
  },
};

/** Refuses request targets over MAX_URL_LENGTH with 414 before any route work. */
export function installRequestLimits(app: FastifyInstance) {
  app.addHook('onRequest', async (req, reply) => {
    if (req.url.length > MAX_URL_LENGTH) {
      return reply.status(414).header('cache-control', 'no-store').send({ detail: `url longer than ${MAX_URL_LENGTH} characters` });
    }
  });
}

/** Most bands one answer carries: `bidx` entries, a dataset's bands when `bidx` is absent, a mosaic's assets x bands. */
export const MAX_BANDS = 64;
/**
 * Most samples (width x height x bands) a request holds: a 4096 x 4096 RGBA /cog/bbox, a 1024 px
 * tile of 64 bands, or the item tiles one mosaic tile blends (e.g. 50 items of 3 bands at 512 px).
 */
export const MAX_OUTPUT_SAMPLES = 4096 * 4096 * 4;

/** 400 when an image of this size and band count would exceed MAX_OUTPUT_SAMPLES. */
export function checkOutputSize(width: number, height: number, bands: number): void {
  if (width * height * bands > MAX_OUTPUT_SAMPLES) {
    throw badRequest(`output too large: ${width}x${height} pixels x ${bands} bands is over ${MAX_OUTPUT_SAMPLES} samples (use a smaller size or fewer bands)`);
  }
}
