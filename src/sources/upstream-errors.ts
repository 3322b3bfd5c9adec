import { HttpError } from '../server/errors.js';

/** Where an upstream failure came from: a byte source's kind, a STAC API (or its token API), a WMS. */
export type UpstreamKind = 'http' | 's3' | 'file' | 'stac' | 'wms';

/**
 * Upstream failures of this process by kind, read by `/metrics` at scrape time (src/server/metrics.ts).
 * Process-wide rather than per app: sources are shared and one process is one scrape target.
 */
export const upstreamErrors: Record<UpstreamKind, number> = { http: 0, s3: 0, file: 0, stac: 0, wms: 0 };

/**
 * Counts `error` against `kind` when the upstream is at fault: a 5xx (it failed, timed out or sent a
 * bad answer) or an unexpected error. Not a 4xx (a missing object or a refusal is an answer) and
 * not the caller's own abort. Returns the error, for `throw countUpstreamError(...)`.
 */
export function countUpstreamError(kind: UpstreamKind, error: unknown, callerSignal?: AbortSignal): unknown {
  const upstreamFault = error instanceof HttpError ? error.status >= 500 : !callerSignal?.aborted;
  if (upstreamFault) upstreamErrors[kind]++;
  return error;
}
