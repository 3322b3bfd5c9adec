import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bboxGeometry, geometriesIntersect, itemFootprint } from '../../src/stac/geometry.js';
import type { Geometry, StacItem, StacLink } from '../../src/stac/types.js';

/**
 * A real STAC API item search on 127.0.0.1, serving the items it is given (the real fixture items,
 * hrefs rewritten by the test as it needs) the way the public APIs do:
 *  - POST and GET `/v1/search` with `collections`, `ids`, `bbox`, `intersects` (polygon
 *    intersection with the item geometry, boundaries touching included: the server's own
 *    geometriesIntersect, unit-tested in test/stac/geometry.test.ts), `datetime` (an instant or an
 *    interval, `..` or empty for an open end), `limit`, sat-api `page` and stac-server `next`/`token`;
 *  - sorted as stac-server sorts (datetime, then id, then collection, all descending) and paged by
 *    a keyset token `<datetime>,<id>,<collection>` (Earth Search v1's form) or by page number;
 *  - `context {limit, matched, returned}` (+ `page` in sat-api style) and `numberMatched/numberReturned`;
 *  - `next` links in the styles of `nextStyle`;
 *  - 400 `{"code":"BadRequest","description":...}` for bbox with intersects or a bad datetime.
 */

export const STAC_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'stac');

export const readFixture = <T = unknown>(name: string): T => JSON.parse(readFileSync(join(STAC_FIXTURES, name), 'utf8')) as T;

/** The real items of the fixtures: Earth Search v1 (S2 + Landsat page, S2 item) and v0 (10-item page, COG item). */
export function fixtureItems() {
  const v1Page = readFixture<{ features: StacItem[] }>('earth-search-v1-search-page1-s2-l2a+landsat-c2-l2.json');
  const v0Page = readFixture<{ features: StacItem[] }>('earth-search-v0-search-page1-context-next-GET.json');
  return {
    v1S2: readFixture<StacItem>('earth-search-v1-sentinel-2-l2a-item-S2A_13TDE_20231008_0_L2A.json'),
    v1Landsat: v1Page.features[1]!,
    v1Page: v1Page.features,
    v0Page: v0Page.features,
    v0Cogs: readFixture<StacItem>('earth-search-v0-sentinel-s2-l2a-cogs-item-S2A_28QCH_20200714_0_L2A.json'),
  };
}

const shiftPositions = (value: unknown, dx: number, dy: number): unknown =>
  typeof (value as unknown[])[0] === 'number'
    ? [(value as number[])[0]! + dx, (value as number[])[1]! + dy, ...(value as number[]).slice(2)]
    : (value as unknown[]).map((v) => shiftPositions(v, dx, dy));

/** A deep copy of a real item with another id (self link too), geometry/bbox shifted, datetime or collection changed. */
export function cloneItem(
  item: StacItem,
  change: { id: string; dx?: number; dy?: number; datetime?: string; collection?: string },
): StacItem {
  const copy = structuredClone(item);
  const { dx = 0, dy = 0 } = change;
  copy.links = copy.links.map((link) => (link.rel === 'self' ? { ...link, href: link.href.replace(item.id, change.id) } : link));
  copy.id = change.id;
  if (copy.geometry && 'coordinates' in copy.geometry) {
    copy.geometry = { ...copy.geometry, coordinates: shiftPositions(copy.geometry.coordinates, dx, dy) } as Geometry;
  }
  if (copy.bbox) copy.bbox = copy.bbox.map((v, i) => v + (i % 2 === 0 ? dx : dy));
  if (change.datetime) copy.properties = { ...copy.properties, datetime: change.datetime };
  if (change.collection) copy.collection = change.collection;
  return copy;
}

/** Every asset href of the item through `rewrite` (to local files or servers). */
export function rewriteHrefs(item: StacItem, rewrite: (href: string, name: string) => string): StacItem {
  const copy = structuredClone(item);
  for (const [name, asset] of Object.entries(copy.assets)) asset.href = rewrite(asset.href, name);
  return copy;
}

/**
 * next-link styles:
 *  - 'post-full'    Earth Search v1: POST, merge false, body = the whole request body + `next` token;
 *  - 'post-merge'   STAC API paging extension: POST, merge true, body = `{next}` only;
 *  - 'post-replace' POST, merge false, body = `{next}` only (Earth Search v1 for CQL2 searches: a
 *                   client that replaces its body loses the filter; the server searches what it gets);
 *  - 'get'          Earth Search v0 / sat-api: GET `?page=N&limit=L` (the filters are not in it);
 *  - 'get-params'   a GET search url carrying every parameter plus `next`.
 */
export type NextStyle = 'post-full' | 'post-merge' | 'post-replace' | 'get' | 'get-params';

export interface StacApiFault {
  /** Answer this status with `body` (an object is sent as JSON, a string as text/plain). */
  status?: number;
  body?: unknown;
  /** 200 with a body cut in the middle of the JSON. */
  invalidJson?: boolean;
  /** 200 with JSON that is not an ItemCollection. */
  notFeatureCollection?: boolean;
  /** Only from this search request on (1-based; default 1). */
  from?: number;
  /** Only this many times (default: always). */
  times?: number;
}

export interface StacApiOptions {
  /** Default `limit` when the request has none (stac-server: 10). */
  pageSize?: number;
  /** Largest `limit` honoured. */
  maxLimit?: number;
  nextStyle?: NextStyle;
  fail?: StacApiFault;
  /** Wait this long before answering (keeps requests in flight). */
  delayMs?: number;
  /** Omit `context` and `numberMatched` (APIs without the context extension). */
  noCounts?: boolean;
  /** A next link on the last page too (Earth Search v1 does: see the fixture, matched 2, returned 2, next). */
  nextOnLastPage?: boolean;
  /** Replaces the next link of every page (undefined: none). */
  nextLink?: (link: StacLink | undefined) => StacLink | undefined;
  /** gzip the answer when the request accepts it. */
  gzip?: boolean;
  /** Loopback address to listen on (default 127.0.0.1). */
  host?: string;
}

export interface RecordedStacRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  headers: IncomingMessage['headers'];
}

export interface StacApi {
  /** The item-search endpoint, http://127.0.0.1:<port>/v1/search */
  url: string;
  /** The API root, http://127.0.0.1:<port>/v1 */
  root: string;
  requests: RecordedStacRequest[];
  /** Settable while running. */
  options: StacApiOptions;
  items: StacItem[];
  close(): Promise<void>;
}

class BadRequest extends Error {}

interface SearchParams {
  collections?: string[];
  ids?: string[];
  bbox?: number[];
  intersects?: Geometry;
  datetime?: string;
  limit?: number;
  page?: number;
  next?: string;
}

const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',').filter(Boolean) : undefined);

function paramsFromBody(body: Record<string, unknown>): SearchParams {
  return {
    collections: list(body.collections),
    ids: list(body.ids),
    bbox: body.bbox === undefined ? undefined : (list(body.bbox) ?? []).map(Number),
    intersects: (body.intersects ?? undefined) as Geometry | undefined,
    datetime: body.datetime === undefined ? undefined : String(body.datetime),
    limit: body.limit === undefined ? undefined : Number(body.limit),
    page: body.page === undefined ? undefined : Number(body.page),
    next: body.next !== undefined ? String(body.next) : body.token !== undefined ? String(body.token) : undefined,
  };
}

function paramsFromQuery(query: URLSearchParams): SearchParams {
  const body: Record<string, unknown> = Object.fromEntries(query);
  if (typeof body.intersects === 'string') {
    try {
      body.intersects = JSON.parse(body.intersects);
    } catch {
      throw new BadRequest('intersects is not GeoJSON');
    }
  }
  return paramsFromBody(body);
}

const itemDatetime = (item: StacItem) => String(item.properties.datetime ?? item.properties.start_datetime ?? '');
const sortKey = (item: StacItem) => [itemDatetime(item), item.id, item.collection ?? ''] as const;
/** stac-server's default order: datetime, id, collection, all descending. */
function compareItems(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? 1 : -1;
  return 0;
}

function datetimeFilter(value: string | undefined): (item: StacItem) => boolean {
  if (value === undefined || value === '') return () => true;
  const parse = (s: string) => {
    if (s === '' || s === '..') return undefined;
    const t = Date.parse(s);
    if (!Number.isFinite(t)) throw new BadRequest(`invalid datetime: ${value}`);
    return t;
  };
  const parts = value.split('/');
  if (parts.length > 2) throw new BadRequest(`invalid datetime: ${value}`);
  const [start, end] = parts.length === 1 ? [parse(parts[0]!), parse(parts[0]!)] : [parse(parts[0]!), parse(parts[1]!)];
  return (item) => {
    const begin = Date.parse(String(item.properties.start_datetime ?? item.properties.datetime));
    const finish = Date.parse(String(item.properties.end_datetime ?? item.properties.datetime));
    return (start === undefined || finish >= start) && (end === undefined || begin <= end);
  };
}

function search(items: StacItem[], p: SearchParams): StacItem[] {
  if (p.bbox && p.intersects) throw new BadRequest('Expected bbox OR intersects, not both');
  let area: Geometry | undefined = p.intersects;
  if (p.bbox) {
    area = bboxGeometry(p.bbox);
    if (!area) throw new BadRequest('invalid bbox');
  }
  const inTime = datetimeFilter(p.datetime);
  return items
    .filter((item) => !p.collections || p.collections.includes(item.collection ?? ''))
    .filter((item) => !p.ids || p.ids.includes(item.id))
    .filter(inTime)
    .filter((item) => {
      if (!area) return true;
      const footprint = itemFootprint(item);
      try {
        return footprint !== undefined && geometriesIntersect(footprint, area);
      } catch {
        throw new BadRequest('invalid intersects geometry');
      }
    })
    .sort((a, b) => compareItems(sortKey(a), sortKey(b)));
}

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export async function startStacApi(items: StacItem[], options: StacApiOptions = {}): Promise<StacApi> {
  const requests: RecordedStacRequest[] = [];
  let searches = 0;
  let failures = 0;
  let root = '';
  const api: StacApi = {
    url: '',
    root: '',
    requests,
    options,
    items,
    close: async () => {},
  };

  const acceptsGzip = new WeakSet<ServerResponse>();
  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/geo+json') => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    if (api.options.gzip && acceptsGzip.has(res)) {
      res.writeHead(status, { 'content-type': type, 'content-encoding': 'gzip' }).end(gzipSync(text));
    } else {
      res.writeHead(status, { 'content-type': type }).end(text);
    }
  };

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) acceptsGzip.add(res);
      const text = req.method === 'POST' ? await readBody(req) : '';
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // recorded as text
      }
      requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body, headers: req.headers });
      if (url.pathname !== '/v1/search') return send(res, 404, { code: 'NotFound', description: 'Not Found' }, 'application/json');
      const n = ++searches;
      const { delayMs, fail } = api.options;
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      if (fail && n >= (fail.from ?? 1) && (fail.times === undefined || failures < fail.times)) {
        failures++;
        if (fail.invalidJson) return send(res, 200, '{"type":"FeatureCollection","features":[{"type":"Feat');
        if (fail.notFeatureCollection) return send(res, 200, { type: 'Feature', id: 'x' });
        const type = typeof fail.body === 'string' ? 'text/plain' : 'application/json';
        return send(res, fail.status ?? 500, fail.body ?? '', type);
      }
      try {
        let params: SearchParams;
        if (req.method === 'POST') {
          if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequest('body must be a JSON object');
          params = paramsFromBody(body as Record<string, unknown>);
        } else {
          params = paramsFromQuery(url.searchParams);
        }
        send(res, 200, page(params, req.method === 'POST' ? (body as Record<string, unknown>) : undefined));
      } catch (error) {
        if (!(error instanceof BadRequest)) throw error;
        send(res, 400, { code: 'BadRequest', description: error.message }, 'application/json');
      }
    })().catch(() => res.destroy());
  });

  function page(params: SearchParams, postBody: Record<string, unknown> | undefined) {
    const { nextStyle = 'post-full', pageSize = 10, maxLimit = 10000, noCounts, nextOnLastPage, nextLink } = api.options;
    const matched = search(api.items, params);
    const limit = Math.min(params.limit !== undefined && params.limit > 0 ? params.limit : pageSize, maxLimit);
    let start = 0;
    if (params.next) {
      const [datetime = '', id = '', collection = ''] = params.next.split(',');
      const after = matched.findIndex((item) => compareItems(sortKey(item), [datetime, id, collection]) > 0);
      start = after === -1 ? matched.length : after;
    } else if (params.page !== undefined && params.page > 1) {
      start = (params.page - 1) * limit;
    }
    const features = matched.slice(start, start + limit);
    const links: StacLink[] = [{ rel: 'root', type: 'application/json', href: root }];
    if ((start + limit < matched.length || nextOnLastPage) && features.length > 0) {
      const last = features[features.length - 1]!;
      const token = sortKey(last).join(',');
      const pageNumber = Math.floor(start / limit) + 1;
      const post = (body: Record<string, unknown>, merge: boolean): StacLink => ({
        rel: 'next',
        title: 'Next page of Items',
        method: 'POST',
        type: 'application/geo+json',
        href: api.url,
        merge,
        body,
      });
      const { next: _drop, token: _dropToo, page: _page, ...rest } = postBody ?? {};
      if (nextStyle === 'post-full') links.push(post({ ...rest, next: token }, false));
      else if (nextStyle === 'post-merge') links.push(post({ next: token }, true));
      else if (nextStyle === 'post-replace') links.push(post({ next: token }, false));
      else if (nextStyle === 'get') links.push({ rel: 'next', title: 'Next page of results', href: `${api.url}?page=${pageNumber + 1}&limit=${limit}` });
      else {
        const query = new URLSearchParams();
        if (params.collections) query.set('collections', params.collections.join(','));
        if (params.ids) query.set('ids', params.ids.join(','));
        if (params.bbox) query.set('bbox', params.bbox.join(','));
        if (params.intersects) query.set('intersects', JSON.stringify(params.intersects));
        if (params.datetime) query.set('datetime', params.datetime);
        query.set('limit', String(limit));
        query.set('next', token);
        links.push({ rel: 'next', type: 'application/geo+json', href: `${api.url}?${query}` });
      }
    }
    if (nextLink) {
      const index = links.findIndex((link) => link.rel === 'next');
      const replaced = nextLink(index === -1 ? undefined : links[index]);
      if (index !== -1) links.splice(index, 1);
      if (replaced) links.push(replaced);
    }
    const counts = noCounts
      ? {}
      : {
          context: { ...(nextStyle === 'get' ? { page: Math.floor(start / limit) + 1 } : {}), limit, matched: matched.length, returned: features.length },
          numberMatched: matched.length,
          numberReturned: features.length,
        };
    return { type: 'FeatureCollection', stac_version: '1.0.0', stac_extensions: [], ...counts, features, links };
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((done) => server.listen(0, host, done));
  const { port } = server.address() as AddressInfo;
  root = `http://${host}:${port}/v1`;
  api.root = root;
  api.url = `${root}/search`;
  api.close = () =>
    new Promise<void>((done, fail) => {
      server.close((error) => (error ? fail(error) : done()));
      server.closeAllConnections();
    });
  return api;
}

export interface SasApi {
  /** The API base, as PC_SAS_API: http://127.0.0.1:<port>/api */
  url: string;
  /** Every token request: the path after /sas/v1/token/. */
  requests: string[];
  /** Lifetime of the tokens handed out (settable). */
  ttlSeconds: number;
  /** Answer this status and JSON instead (settable). */
  fail?: { status: number; body: unknown };
  close(): Promise<void>;
}

/**
 * A stand-in for Planetary Computer's SAS token API: `GET /api/sas/v1/token/{collection}` (or
 * `{account}/{container}`) answers `{"msft:expiry": <now + ttl, ISO>, "token": "<SAS query>"}` as the
 * real one does; the token's `sig` is the request's number, so tests can tell tokens apart.
 */
export async function startSasApi(ttlSeconds = 3600): Promise<SasApi> {
  const sas: SasApi = { url: '', requests: [], ttlSeconds, close: async () => {} };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const match = /^\/api\/sas\/v1\/token\/(.+)$/.exec(path);
    if (!match || req.method !== 'GET') return res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
    sas.requests.push(decodeURIComponent(match[1]!));
    if (sas.fail) return res.writeHead(sas.fail.status, { 'content-type': 'application/json' }).end(JSON.stringify(sas.fail.body));
    const expiry = new Date(Date.now() + sas.ttlSeconds * 1000);
    const se = expiry.toISOString().replace(/\.\d+Z$/, 'Z');
    const token = `st=2024-01-01T00%3A00%3A00Z&se=${encodeURIComponent(se)}&sp=rl&sv=2021-06-08&sr=c&skoid=c85c15d6&sktid=72f988bf&skt=2024-01-01T00%3A00%3A00Z&ske=${encodeURIComponent(se)}&sks=b&skv=2021-06-08&sig=token${sas.requests.length}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ 'msft:expiry': se, token }));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  sas.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  sas.close = () =>
    new Promise<void>((done, fail) => {
      server.close((error) => (error ? fail(error) : done()));
      server.closeAllConnections();
    });
  return sas;
}
