/** The `user:password@` of a URL, after its scheme. */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;

/**
 * A url as it may appear in an error message or log line: no user:password@ and no query string
 * (signed URLs carry their signature and credentials there). Works on strings that do not parse.
 */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, '$1').replace(/[?#].*$/s, (rest) =>
    rest.startsWith('?') ? '?<redacted>' : '',
  );
}

/** `name=value` pairs whose value is a credential: SAS `sig`, S3 `X-Amz-*`, tokens, keys, passwords. */
const SECRET_PARAMS = /\b(sig|signature|x-amz-[a-z-]*|token|access_token|api[_-]?key|key|password|secret|credential)=[^&\s"',;]+/gi;

/** Credentials a free text (an upstream's error message, a stack) might echo: URL userinfo and query strings, key=value secrets, Authorization values. */
export function redactText(text: string): string {
  return text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+(?:<redacted>)?/gi, (url) => redactUrl(url)) // idempotent: a redacted url stays as it is
    .replace(SECRET_PARAMS, '$1=<redacted>')
    .replace(/\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}/gi, '$1 <redacted>');
}

/**
 * A URL the operator configured (a WMS endpoint), to show: userinfo and the values of credential
 * parameters (`apikey=`, `token=`, ...) redacted, every other parameter kept.
 */
export function redactCredentials(url: string): string {
  return url.replace(USERINFO, '$1').replace(SECRET_PARAMS, '$1=<redacted>');
}
