import { HttpError } from '../server/errors.js';
import { LinkedAbort } from '../server/linked-abort.js';

/**
 * Runs one upstream operation under config.upstreamTimeoutMs. The operation gets a signal that
 * fires on the caller's abort or on the timeout; a timeout becomes a 504 "timed out", a caller's
 * abort rethrows the caller's reason. The result is raced against the signal too, so a client that
 * ignores its signal (a stuck body stream) still cannot hold the caller past the timeout.
 */
export async function withUpstreamTimeout<T>(
  timeoutMs: number,
  what: string,
  signal: AbortSignal | undefined,
  operation: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const linked = new LinkedAbort(signal);
  const timer = setTimeout(() => linked.abort(new HttpError(504, `upstream timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  const combined = linked.signal;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(combined.reason);
    combined.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => {});
  const result = operation(combined);
  result.catch(() => {}); // when the abort wins the race, the operation's late failure is expected
  try {
    return await Promise.race([result, aborted]);
  } catch (error) {
    if (combined.aborted) throw combined.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    combined.removeEventListener('abort', onAbort!);
    linked.release();
  }
}
