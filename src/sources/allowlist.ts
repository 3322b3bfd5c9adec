import { realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, isAbsolute, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { forbidden } from '../server/errors.js';
import { redactUrl } from './redact.js';
import { locationId, type SourceLocation } from './source-url.js';

/** An allowlist entry, parsed: a local directory root, a whole scheme, or a URL prefix. */
type Entry =
  | { kind: 'root'; path: string }
  | { kind: 'scheme'; scheme: string }
  | { kind: 'prefix'; prefix: string };

function parseEntry(entry: string): Entry | undefined {
  if (entry.startsWith('/')) return { kind: 'root', path: resolve(entry) };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/$/i.exec(entry);
  if (scheme) return { kind: 'scheme', scheme: scheme[1]!.toLowerCase() };
  if (/^file:/i.test(entry)) {
    try {
      return { kind: 'root', path: resolve(fileURLToPath(entry)) };
    } catch {
      return undefined;
    }
  }
  if (/^s3:\/\//i.test(entry)) return { kind: 'prefix', prefix: 's3://' + entry.slice(5) };
  try {
    // Lower-cases scheme and host, drops default ports and folds dot segments, like the request.
    return { kind: 'prefix', prefix: new URL(entry).href };
  } catch {
    return undefined; // a malformed entry allows nothing
  }
}

/** A URL prefix matches on a path-segment boundary: `https://h/data` does not allow `https://h/database`. */
function matchesPrefix(id: string, prefix: string): boolean {
  if (!id.startsWith(prefix)) return false;
  return prefix.endsWith('/') || id.length === prefix.length || '/?'.includes(id[prefix.length]!);
}

const isInside = (path: string, root: string) => {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel));
};

/**
 * The path with every symlink resolved. A path that does not exist yet is resolved through its
 * nearest existing ancestor, so a symlinked directory cannot smuggle a missing file outside.
 */
export async function realpathLenient(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    const parent = dirname(path);
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || parent === path) return path;
    return join(await realpathLenient(parent), basename(path));
  }
}

/** True when a normalised http(s) or s3 id is allowed by a scheme or URL-prefix entry. */
export function isUrlAllowed(id: string, allowlist: string[]): boolean {
  const scheme = id.slice(0, id.indexOf(':')).toLowerCase();
  return allowlist.some((raw) => {
    const entry = parseEntry(raw);
    if (entry?.kind === 'scheme') return entry.scheme === scheme;
    return entry?.kind === 'prefix' && matchesPrefix(id, entry.prefix);
  });
}

async function isPathAllowed(path: string, allowlist: string[]): Promise<boolean> {
  for (const raw of allowlist) {
    const entry = parseEntry(raw);
    if (entry?.kind === 'scheme' && entry.scheme === 'file') return true;
    if (entry?.kind === 'root' && isInside(path, await realpathLenient(entry.path))) return true;
  }
  return false;
}

export const notAllowedError = (url: string) => forbidden(`source not allowed: ${redactUrl(url)} is not in SOURCE_ALLOWLIST`);

/**
 * Throws 403 unless the location lies inside an allowlist entry. Returns the location that was
 * checked, local paths with symlinks resolved: open that one, not the original.
 */
export async function checkAllowlist(location: SourceLocation, raw: string, allowlist: string[]): Promise<SourceLocation> {
  if (location.kind === 'file') {
    const path = await realpathLenient(location.path);
    if (!(await isPathAllowed(path, allowlist))) throw notAllowedError(raw);
    return { kind: 'file', path };
  }
  if (!isUrlAllowed(locationId(location), allowlist)) throw notAllowedError(raw);
  return location;
}
