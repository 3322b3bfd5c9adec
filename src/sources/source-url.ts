import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { badRequest } from '../server/errors.js';
import { redactUrl } from './redact.js';

/** Where a `url` parameter points, normalised; the three kinds of source there are. */
export type SourceLocation =
  | { kind: 'file'; path: string }
  | { kind: 'http'; url: URL }
  | { kind: 's3'; bucket: string; key: string };

/**
 * Parses a source url: an absolute path, file://, http(s):// or s3://bucket/key. Anything else
 * (relative paths, other schemes, malformed urls) is a 400. No I/O happens here.
 */
export function parseSourceUrl(raw: string): SourceLocation {
  const bad = (why: string) => badRequest(`unsupported source url (${why}): ${redactUrl(raw)}`);
  if (raw.includes('\0')) throw bad('NUL byte');
  // path.resolve folds `.` and `..` so the allowlist sees the path that will be opened.
  if (raw.startsWith('/')) return { kind: 'file', path: resolve(raw) };
  if (/^s3:\/\//i.test(raw)) return parseS3(raw, bad);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('not an absolute path or URL');
  }
  switch (url.protocol) {
    case 'file:':
      return parseFileUrl(url, bad);
    case 'http:':
    case 'https:':
      if (url.hostname === '') throw bad('no host');
      url.hash = '';
      return { kind: 'http', url };
    default:
      throw bad(`scheme ${url.protocol} is not supported`);
  }
}

/** file:///path or file://localhost/path; `..` and `%2e%2e` segments are folded, `%2f` and `%00` refused. */
function parseFileUrl(url: URL, bad: (why: string) => Error): SourceLocation {
  if (url.host !== '' && url.host !== 'localhost') throw bad('file:// URL names a remote host');
  let path: string;
  try {
    path = resolve(fileURLToPath(url));
  } catch {
    throw bad('invalid file:// URL');
  }
  if (path.includes('\0')) throw bad('NUL byte'); // %00 decodes to one
  return { kind: 'file', path };
}

/**
 * s3://bucket/key, taken literally (S3 keys are not percent-decoded). Keys with `.` or `..`
 * segments are refused: an S3-compatible server may fold them, which would let a key escape the
 * allowlist prefix it was checked against.
 */
function parseS3(raw: string, bad: (why: string) => Error): SourceLocation {
  const match = /^s3:\/\/([^/?#]+)\/([^?#]+)$/i.exec(raw);
  if (!match) throw bad('expected s3://bucket/key');
  const [, bucket, key] = match as unknown as [string, string, string];
  if (!/^[a-z0-9][a-z0-9._-]{1,254}$/i.test(bucket)) throw bad('invalid bucket name');
  if (key.split('/').some((segment) => segment === '.' || segment === '..')) throw bad('dot segment in key');
  return { kind: 's3', bucket, key };
}

/** The normalised string form of a location: the source's `url` and cache key. */
export function locationId(location: SourceLocation): string {
  switch (location.kind) {
    case 'file':
      return location.path;
    case 'http':
      return location.url.href;
    case 's3':
      return `s3://${location.bucket}/${location.key}`;
  }
}
