/**
 * A url as it may appear in an error message or log line: no user:password@ and no query string
 * (signed URLs carry their signature and credentials there). Works on strings that do not parse.
 */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, '$1').replace(/[?#].*$/s, (rest) =>
    rest.startsWith('?') ? '?<redacted>' : '',
  );
}
