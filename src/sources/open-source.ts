import { LRUCache } from 'lru-cache';
import type { ServerConfig } from '../config.js';
import { checkAllowlist } from './allowlist.js';
import type { ByteSource } from './byte-source.js';
import { FileSource } from './file-source.js';
import { HttpSource } from './http-source.js';
import { assertPublicHost } from './private-address.js';
import { redactUrl } from './redact.js';
import { S3Source } from './s3-source.js';
import { countUpstreamError } from './upstream-errors.js';
import { locationId, parseSourceUrl, type SourceLocation } from './source-url.js';

/** Sources hold only small state (header chunk, in-flight reads, learned size): a few hundred is cheap. */
const MAX_CACHED_SOURCES = 512;

// Per config object, because a source keeps the config it was made with (timeouts, S3 endpoint,
// private-address rule); a server has one config, tests make several.
const caches = new WeakMap<ServerConfig, LRUCache<string, ByteSource>>();

/**
 * The byte source a `url` parameter names. A malformed url or unsupported form is a 400; then,
 * before any upstream I/O, a url outside SOURCE_ALLOWLIST is a 403 and so is an http(s) host
 * resolving to a private address ALLOW_PRIVATE_ADDRESSES does not allow. The same url returns the same
 * instance while cached, so concurrent requests share its in-flight reads and header chunk.
 */
export async function openSource(url: string, config: ServerConfig): Promise<ByteSource> {
  const location = await checkAllowlist(parseSourceUrl(url), url, config.sourceAllowlist);
  const id = locationId(location);
  let cache = caches.get(config);
  if (!cache) caches.set(config, (cache = new LRUCache({ max: MAX_CACHED_SOURCES })));
  // Checked once per new source; every later connection is re-checked by publicOnlyLookup.
  if (location.kind === 'http' && !cache.has(id)) {
    // a private address is a 403 (not counted); a name that does not resolve is the upstream's 502
    await assertPublicHost(location.url.hostname, redactUrl(url), config).catch((error: unknown) => {
      throw countUpstreamError('http', error);
    });
  }
  // No await between get and set: concurrent first opens end up with one instance.
  const cached = cache.get(id);
  if (cached) return cached;
  const source = createSource(location, config);
  cache.set(id, source);
  return source;
}

/**
 * Drops `source` from the cache, so the next openSource of its url makes a new one: a source keeps
 * what it read first (the header chunk, the size), and when that was a faulty upstream's short
 * answer (the COG header did not parse) it must not be reused once the upstream answers in full.
 */
export function forgetSource(source: ByteSource, config: ServerConfig): void {
  const cache = caches.get(config);
  if (cache?.peek(source.url) === source) cache.delete(source.url);
}

function createSource(location: SourceLocation, config: ServerConfig): ByteSource {
  switch (location.kind) {
    case 'file':
      return new FileSource(location.path);
    case 'http':
      return new HttpSource(location.url, config);
    case 's3':
      return new S3Source(location.bucket, location.key, config);
  }
}
