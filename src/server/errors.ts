/**
 * One error type for every failure a route can answer with. Anything thrown below the routes that
 * is not an HttpError becomes a 500; routes and sources throw HttpError to choose the status and
 * the message the client sees as `{"detail": "..."}` (TiTiler's error body).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

export const badRequest = (detail: string) => new HttpError(400, detail);
export const forbidden = (detail: string) => new HttpError(403, detail);
export const notFound = (detail: string) => new HttpError(404, detail);
/** The source exists but cannot be understood (corrupt or unsupported TIFF). */
export const unprocessable = (detail: string) => new HttpError(422, detail);
/** Something upstream (HTTP server, S3, WMS, STAC API) failed. */
export const badGateway = (detail: string) => new HttpError(502, detail);
