import { validateHeaderName, validateHeaderValue } from 'node:http';
import { LRUCache } from 'lru-cache';
import { countLookup, newCacheStats, type CacheStats } from '../cache-stats.js';
import type { ServerConfig } from '../config.js';
import { badGateway, badRequest } from '../server/errors.js';
import { checkAllowlist } from '../sources/allowlist.js';
import { redactUrl } from '../sources/redact.js';
import { parseSourceUrl } from '../sources/source-url.js';
import { isValidTile, tileBoundsLonLat, type TileIndex } from '../tiling/web-mercator.js';
import { bboxGeometry, checkGeometry, geometryBbox, itemIntersects, tilePolygon } from './geometry.js';
import { raceAbort } from '../server/in-flight.js';
import { requestJson } from './http-json.js';
import type { Geometry, Polygon, StacItem, StacItemCollection, StacLink } from './types.js';

/**
 * STAC API item search for one mosaic tile (the I/O half of `/stac/mosaic`).
 *
 * The request is the client's `query` with the tile's geometry as `intersects` and a page size as
 * `limit`, POSTed to the search url. The query's own `bbox`/`intersects` are not sent (the STAC
 * API spec forbids both at once, and the tile's must win): they are applied to the results as a
 * local filter instead, so an item must meet both. Pages are followed through `next` links:
 *  - POST links: the ORIGINAL body overlaid with `link.body`, whatever `merge` says, because
 *    Earth Search v1 drops a CQL2 `filter` from its next bodies (pystac-client's "bad next link
 *    autofix"); the link's `headers` are sent too;
 *  - GET links to the search endpoint itself with only paging parameters (sat-api / Earth Search
 *    v0: `?page=2&limit=10`): the original body plus those parameters is POSTed, since GETting the
 *    href would drop every filter of the search (what sat-api does when paged by body, and what
 *    cogeo-mosaic's `page += 1` does); any other GET link is fetched as it is.
 * It stops at maxItems, at an empty page, when `numberMatched`/`context.matched` is reached, when
 * there is no next link, and when a next request repeats one already made or a page brings no new
 * item (loops). Every page url passes SOURCE_ALLOWLIST and the private-address rule, under
 * UPSTREAM_TIMEOUT_MS each.
 *
 * Results are cached (STAC_CACHE_TTL_SECONDS, STAC_CACHE_BYTES of JSON) by url + canonical query +
 * geometry + maxItems; identical searches in flight are made once; failures are not cached. With
 * `options.tile`, the search is made once for the tile's ancestor STAC_PARENT_ZOOM_DELTA levels up
 * and its items filtered by intersection with each descendant tile: a viewport of ~20 tiles then
 * costs a few searches. That is only used when the ancestor's search was complete (it ended without
 * reaching maxItems), so the result is the one a search for the tile itself would give; otherwise
 * the tile is searched directly.
 */

export type StacSearchConfig = Pick<
  ServerConfig,
  'sourceAllowlist' | 'allowPrivateAddresses' | 'allowedPrivateNetworks' | 'upstreamTimeoutMs' | 'stacCacheTtlSeconds' | 'stacCacheBytes' | 'stacParentZoomDelta'
>;

export interface SearchOptions {
  /** At most this many items (the first ones in the API's order). */
  maxItems: number;
  /** The caller's abort: it stops waiting; a search shared with other callers goes on for them (and the cache). */
  signal?: AbortSignal;
  /** The tile `tileGeometry` is the polygon of (tilePolygon(tile)): enables the ancestor-tile search reuse. */
  tile?: TileIndex;
}

/** Page size asked of the API when the query does not set a smaller `limit`. */
export const MAX_PAGE_SIZE = 100;
/** `next` GET-link parameters that only page (sat-api: page, limit; others: token, next). */
const PAGING_PARAMS = new Set(['page', 'limit', 'token', 'next']);
/** Link headers never passed on: the request's own framing. */
const UNSAFE_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'accept-encoding']);

interface SearchResult {
  items: StacItem[];
  /** The search ended by itself (no more pages), not at maxItems or on a loop. */
  complete: boolean;
  /** JSON bytes received: the cache's size measure. */
  bytes: number;
}

interface PageRequest {
  method: 'GET' | 'POST';
  url: URL;
  body?: Record<string, unknown>;
  headers?: Record<string, string>;
}

interface SearchState {
  cache: LRUCache<string, { result: SearchResult; expires: number }> | undefined;
  inflight: Map<string, Promise<SearchResult>>;
  /** Lookups of the cache (a search shared with one in flight is a miss). */
  counts: CacheStats;
}

// Per config object, as the sources are: a server has one config, tests make several.
const states = new WeakMap<StacSearchConfig, SearchState>();

function stateFor(config: StacSearchConfig): SearchState {
  let state = states.get(config);
  if (!state) {
    const caching = config.stacCacheTtlSeconds > 0 && config.stacCacheBytes > 0;
    state = {
      cache: caching ? new LRUCache({ maxSize: config.stacCacheBytes }) : undefined,
      inflight: new Map(),
      counts: newCacheStats(),
    };
    states.set(config, state);
  }
  return state;
}

/** Hits and misses of the search cache of this config (what /metrics reports). */
export const searchCacheStats = (config: StacSearchConfig): CacheStats => stateFor(config).counts;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `query` parameter: absent or empty is `{}`; anything but a JSON object is a 400. */
export function parseStacQuery(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined || raw.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw badRequest(`invalid query parameter: not JSON (${(error as Error).message.slice(0, 120)})`);
  }
  if (!isObject(value)) throw badRequest('invalid query parameter: expected a JSON object');
  if (depthOver(value, MAX_QUERY_DEPTH)) throw badRequest(`invalid query parameter: nested deeper than ${MAX_QUERY_DEPTH} levels`);
  return value;
}

/** A query is walked recursively (canonical key, geometry checks): bound its depth, not the stack. */
const MAX_QUERY_DEPTH = 32;

/** Whether `value` nests arrays/objects more than `limit` levels deep (stops at the first level past it). */
function depthOver(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (limit === 0) return true;
  return Object.values(value).some((v) => depthOver(v, limit - 1));
}

/** JSON with object keys sorted at every level: equal queries, equal keys. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The search url as a URL: http(s) only (400), inside SOURCE_ALLOWLIST (403). No I/O. */
async function checkSearchUrl(url: string, config: StacSearchConfig): Promise<URL> {
  const location = parseSourceUrl(url);
  if (location.kind !== 'http') throw badRequest(`STAC API url must be http(s): ${redactUrl(url)}`);
  await checkAllowlist(location, url, config.sourceAllowlist);
  return location.url;
}

/**
 * Items of the STAC API at `url` matching `query` that intersect `tileGeometry`, at most
 * `maxItems`, in the API's order. The items are shared with the cache: read them, do not modify them.
 */
export async function searchItems(
  url: string,
  query: object,
  tileGeometry: Polygon,
  options: SearchOptions,
  config: StacSearchConfig,
): Promise<StacItem[]> {
  const { maxItems } = options;
  if (!Number.isSafeInteger(maxItems) || maxItems < 1) throw badRequest(`invalid max items: ${maxItems}`);
  const searchUrl = await checkSearchUrl(url, config);
  checkGeometry(tileGeometry, 'tile geometry');
  const { bbox, intersects, ...body } = query as Record<string, unknown>;
  const filters: Geometry[] = [];
  if (bbox !== undefined && bbox !== null) {
    const geometry = bboxGeometry(bbox);
    if (!geometry) throw badRequest('invalid bbox in query: expected [west, south, east, north]');
    filters.push(geometry);
  }
  if (intersects !== undefined && intersects !== null) filters.push(checkGeometry(intersects, 'intersects in query'));
  const keep = (item: StacItem) => filters.every((geometry) => itemIntersects(item, geometry));
  const search = (geometry: Polygon) => raceAbort(cachedSearch(searchUrl, body, geometry, maxItems, config), options.signal);

  const ancestor = ancestorPolygon(options.tile, tileGeometry, config.stacParentZoomDelta);
  if (ancestor) {
    const wide = await search(ancestor);
    if (wide.complete) return wide.items.filter((item) => itemIntersects(item, tileGeometry) && keep(item)).slice(0, maxItems);
  }
  return (await search(tileGeometry)).items.filter(keep);
}

/** The polygon of the tile's ancestor `delta` levels up, when the tile geometry lies inside it. */
function ancestorPolygon(tile: TileIndex | undefined, tileGeometry: Polygon, delta: number): Polygon | undefined {
  if (!tile || !isValidTile(tile) || delta <= 0 || tile.z === 0) return undefined;
  const z = Math.max(0, tile.z - delta);
  const factor = 2 ** (tile.z - z);
  const parent = { z, x: Math.floor(tile.x / factor), y: Math.floor(tile.y / factor) };
  const [w, s, e, n] = geometryBbox(tileGeometry);
  const [pw, ps, pe, pn] = tileBoundsLonLat(parent);
  const eps = 1e-9;
  if (w < pw - eps || s < ps - eps || e > pe + eps || n > pn + eps) return undefined; // not that tile's geometry
  return tilePolygon(parent);
}

function cachedSearch(
  url: URL,
  body: Record<string, unknown>,
  geometry: Polygon,
  maxItems: number,
  config: StacSearchConfig,
): Promise<SearchResult> {
  const state = stateFor(config);
  const key = canonicalJson([url.href, body, geometry, maxItems]);
  const hit = state.cache?.get(key);
  const fresh = hit !== undefined && hit.expires > Date.now();
  countLookup(state.counts, fresh);
  if (fresh) return Promise.resolve(hit.result);
  if (hit) state.cache!.delete(key);
  let pending = state.inflight.get(key);
  if (!pending) {
    // The shared search runs under the upstream timeout only: one caller's abort must not fail the others.
    pending = runSearch(url, body, geometry, maxItems, config)
      .then((result) => {
        state.cache?.set(key, { result, expires: Date.now() + config.stacCacheTtlSeconds * 1000 }, { size: Math.max(1, result.bytes) });
        return result;
      })
      .finally(() => state.inflight.delete(key));
    state.inflight.set(key, pending);
  }
  return pending;
}

async function runSearch(
  url: URL,
  query: Record<string, unknown>,
  geometry: Polygon,
  maxItems: number,
  config: StacSearchConfig,
): Promise<SearchResult> {
  const asked = query.limit;
  const userLimit = typeof asked === 'number' && Number.isSafeInteger(asked) && asked > 0 ? asked : Infinity;
  const original: Record<string, unknown> = { ...query, intersects: geometry, limit: Math.min(maxItems, MAX_PAGE_SIZE, userLimit) };
  const items: StacItem[] = [];
  const seen = new Set<string>();
  const requestsMade = new Set<string>();
  let bytes = 0;
  let request: PageRequest | undefined = { method: 'POST', url, body: original };
  for (;;) {
    const signature = `${request.method} ${request.url.href} ${request.body ? canonicalJson(request.body) : ''}`;
    if (requestsMade.has(signature)) return { items, complete: false, bytes }; // the same next twice
    requestsMade.add(signature);
    const page = await fetchPage(request, config);
    bytes += page.bytes;
    let fresh = 0;
    let overflow = false;
    for (const item of page.collection.features) {
      const id = `${item.collection ?? ''}\u0000${item.id}`;
      if (seen.has(id)) continue;
      if (items.length >= maxItems) {
        overflow = true;
        break;
      }
      seen.add(id);
      items.push(item);
      fresh++;
    }
    if (page.collection.features.length === 0) return { items, complete: true, bytes };
    const matched = numberMatched(page.collection);
    if (matched !== undefined && items.length >= matched && !overflow) return { items, complete: true, bytes };
    const next = (page.collection.links ?? []).find((link) => isObject(link) && link.rel === 'next' && typeof link.href === 'string');
    if (!next) return { items, complete: !overflow, bytes };
    if (items.length >= maxItems || fresh === 0) return { items, complete: false, bytes };
    request = nextRequest(next, original, request.url, url);
    if (!request) return { items, complete: false, bytes };
  }
}

function numberMatched(page: StacItemCollection): number | undefined {
  const matched = page.numberMatched ?? (isObject(page.context) ? page.context.matched : undefined);
  return typeof matched === 'number' && Number.isFinite(matched) ? matched : undefined;
}

/** The request a `next` link asks for; undefined for a method we cannot follow. */
function nextRequest(link: StacLink, original: Record<string, unknown>, current: URL, searchUrl: URL): PageRequest | undefined {
  let href: URL;
  try {
    href = new URL(link.href, current);
  } catch {
    throw badGateway(`malformed STAC response (invalid next link): ${redactUrl(current.href)}`);
  }
  href.hash = '';
  const method = typeof link.method === 'string' ? link.method.toUpperCase() : 'GET';
  if (method === 'POST') {
    const overlay = isObject(link.body) ? link.body : {};
    return { method: 'POST', url: href, body: { ...original, ...overlay }, headers: linkHeaders(link.headers) };
  }
  if (method !== 'GET') return undefined;
  const params = [...href.searchParams];
  const sameEndpoint = href.origin === searchUrl.origin && href.pathname === searchUrl.pathname;
  if (sameEndpoint && params.length > 0 && params.every(([name]) => PAGING_PARAMS.has(name))) {
    const overlay = Object.fromEntries(
      params.map(([name, value]) => [name, (name === 'page' || name === 'limit') && /^\d+$/.test(value) ? Number(value) : value]),
    );
    const endpoint = new URL(href);
    endpoint.search = '';
    return { method: 'POST', url: endpoint, body: { ...original, ...overlay } };
  }
  return { method: 'GET', url: href };
}

function linkHeaders(headers: unknown): Record<string, string> | undefined {
  if (!isObject(headers)) return undefined;
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (UNSAFE_HEADERS.has(name.toLowerCase())) continue;
    const text = typeof value === 'string' ? value : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value.join(', ') : undefined;
    if (text !== undefined && isValidHeader(name, text)) kept[name] = text;
  }
  return kept;
}

/** Whether Node would send this header: a link from the API must not break (or split) our request. */
function isValidHeader(name: string, value: string): boolean {
  try {
    validateHeaderName(name);
    validateHeaderValue(name, value);
    return true;
  } catch {
    return false;
  }
}

async function fetchPage(
  request: PageRequest,
  config: StacSearchConfig,
): Promise<{ collection: StacItemCollection; bytes: number }> {
  const where = redactUrl(request.url.href);
  // Next links may point anywhere: each page url passes the same rules as the first (the
  // private-address rule in requestJson).
  await checkAllowlist({ kind: 'http', url: request.url }, request.url.href, config.sourceAllowlist);
  const { json, bytes } = await requestJson(
    request.url,
    { method: request.method, body: request.body, headers: request.headers, allowlist: config.sourceAllowlist, what: 'STAC API', malformed: 'STAC' },
    config,
  );
  if (!isObject(json) || json.type !== 'FeatureCollection' || !Array.isArray(json.features)) {
    throw badGateway(`malformed STAC response (not a FeatureCollection): ${where}`);
  }
  if (!json.features.every((feature) => isObject(feature) && typeof feature.id === 'string')) {
    throw badGateway(`malformed STAC response (a feature without an id): ${where}`);
  }
  const collection = json as StacItemCollection;
  if (collection.links !== undefined && !Array.isArray(collection.links)) collection.links = undefined;
  return { collection, bytes };
}
