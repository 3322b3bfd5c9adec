import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { HttpError } from '../../src/server/errors.js';
import { itemIntersects, tilePolygon } from '../../src/stac/geometry.js';
import { parseStacQuery, searchItems } from '../../src/stac/search.js';
import type { StacItem } from '../../src/stac/types.js';
import { tileForLonLat, type TileIndex } from '../../src/tiling/web-mercator.js';
import { cloneItem, fixtureItems, startStacApi, type NextStyle, type StacApi } from '../helpers/stac-api.js';

/** What kepler.gl sends for a Collection + date range (kepler-client.md). */
const KEPLER_QUERY = { collections: ['sentinel-2-l2a'], datetime: '2023-10-01T00:00:00Z/2023-10-31T23:59:59Z' };
/** The z8 tile holding the point of the real Earth Search v1 search (-105.1019, 40.1672). */
const TILE: TileIndex = { z: 8, x: 53, y: 96 };
const tile = tilePolygon(TILE);

const { v1S2, v1Landsat, v1Page, v0Page, v0Cogs } = fixtureItems();
const hour = (i: number) => new Date(Date.UTC(2023, 9, 1) + i * 3_600_000).toISOString();

/** 25 Sentinel-2 items over the tile (clones of the real one, one an hour), plus items the query must not return. */
const S2 = Array.from({ length: 25 }, (_, i) => cloneItem(v1S2, { id: `S2A_13TDE_${i}_L2A`, datetime: hour(i) }));
const OTHERS = [
  ...Array.from({ length: 10 }, (_, i) => cloneItem(v1Landsat, { id: `LC08_${i}`, datetime: hour(i) })), // other collection
  ...Array.from({ length: 5 }, (_, i) => cloneItem(v1S2, { id: `S2A_far_${i}`, datetime: hour(i), dx: 20 })), // elsewhere
  cloneItem(v1S2, { id: 'S2A_september', datetime: '2023-09-30T12:00:00Z' }), // before the range
  ...v0Page,
  v0Cogs,
];
/** The real S2 item of 2023-10-08 is in the API too (with the real v1 page): it is the newest. */
const EXPECTED = [v1S2.id, ...[...S2].reverse().map((item) => item.id)];

const ids = (items: StacItem[]) => items.map((item) => item.id);
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as HttpError,
  );

describe('searchItems against a STAC API on loopback', () => {
  let api: StacApi;
  const configFor = (overrides: Partial<ServerConfig> = {}) =>
    loadConfig({ sourceAllowlist: [api.root + '/'], allowPrivateAddresses: true, stacParentZoomDelta: 0, ...overrides }, {});

  beforeAll(async () => {
    api = await startStacApi([...S2, ...OTHERS, ...v1Page]);
  });
  afterAll(() => api.close());
  afterEach(() => {
    api.requests.length = 0;
    api.options = {};
    vi.useRealTimers();
  });

  it('POSTs kepler’s query with the tile as intersects and a page limit; the real Earth Search v1 items come back in API order', async () => {
    const query = { collections: ['sentinel-2-l2a', 'landsat-c2-l2'], datetime: '2023-10-08T00:00:00Z/2023-10-08T23:59:59Z' };
    api.options = { nextOnLastPage: true }; // as the real answer: matched 2, returned 2, and still a next link
    const items = await searchItems(api.url, query, tile, { maxItems: 50 }, configFor());
    expect(ids(items)).toEqual(['S2A_13TDE_20231008_0_L2A', 'LC08_L2SP_033032_20231008_02_T1']);
    expect(items[0]).toEqual(v1S2); // the real item JSON, untouched
    expect(api.requests).toHaveLength(1); // numberMatched reached: the next link is not followed
    expect(api.requests[0]!.method).toBe('POST');
    expect(api.requests[0]!.headers['content-type']).toBe('application/json');
    expect(api.requests[0]!.body).toEqual({ ...query, intersects: tile, limit: 50 });
  });

  it.each<NextStyle>(['post-full', 'post-merge', 'post-replace', 'get', 'get-params'])(
    'follows %s next links across pages and keeps the filters',
    async (nextStyle) => {
      api.options = { nextStyle, maxLimit: 10 }; // the API caps pages at 10 items
      const items = await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor());
      expect(ids(items)).toEqual(EXPECTED);
      expect(api.requests).toHaveLength(3);
      const [first, second, third] = api.requests;
      expect(first!.body).toEqual({ ...KEPLER_QUERY, intersects: tile, limit: 100 });
      if (nextStyle === 'get-params') {
        // A GET link carrying the whole search is fetched as it is.
        expect([second!.method, third!.method]).toEqual(['GET', 'GET']);
        expect(second!.query.collections).toBe('sentinel-2-l2a');
        expect(second!.query.next).toBeDefined();
        return;
      }
      // Every later page is a POST of the original body plus the link's paging fields.
      for (const request of [second!, third!]) {
        expect(request.method).toBe('POST');
        expect(request.body).toMatchObject({ ...KEPLER_QUERY, intersects: tile });
      }
      if (nextStyle === 'get') {
        // sat-api's `?page=2&limit=10` GET link would drop every filter: the page goes into the body instead.
        expect(second!.path).toBe('/v1/search');
        expect(second!.query).toEqual({});
        expect([(second!.body as { page: number }).page, (third!.body as { page: number }).page]).toEqual([2, 3]);
        expect((second!.body as { limit: number }).limit).toBe(10);
      } else {
        expect((second!.body as { next: string }).next).toBe(`${hour(16)},S2A_13TDE_16_L2A,sentinel-2-l2a`);
      }
    },
  );

  it('post-replace links would lose the filter: their body is only the token, the original body is merged back', async () => {
    api.options = { nextStyle: 'post-replace', maxLimit: 10 };
    const seen: unknown[] = [];
    api.options.nextLink = (link) => (seen.push(link?.body), link);
    await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor());
    expect(Object.keys(seen[0] as object)).toEqual(['next']);
    expect(api.requests[1]!.body).toMatchObject(KEPLER_QUERY);
  });

  it('sat-api paging with the real Earth Search v0 items', async () => {
    const arctic = tilePolygon(tileForLonLat(-106, 81, 4));
    const newestFirst = (a: StacItem, b: StacItem) =>
      String(b.properties.datetime).localeCompare(String(a.properties.datetime)) || b.id.localeCompare(a.id);
    const expected = v0Page.filter((item) => itemIntersects(item, arctic)).sort(newestFirst).map((item) => item.id);
    expect(expected.length).toBeGreaterThan(3);
    api.options = { nextStyle: 'get', maxLimit: 3 };
    const items = await searchItems(api.url, { collections: ['sentinel-s2-l2a'] }, arctic, { maxItems: 100 }, configFor());
    expect(ids(items)).toEqual(expected);
    expect(api.requests).toHaveLength(Math.ceil(expected.length / 3));
  });

  it('stops at maxItems', async () => {
    api.options = { maxLimit: 10 };
    const items = await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 15 }, configFor());
    expect(ids(items)).toEqual(EXPECTED.slice(0, 15));
    expect(api.requests).toHaveLength(2);
    expect((api.requests[0]!.body as { limit: number }).limit).toBe(15);
  });

  it('respects a smaller limit of the query as the page size', async () => {
    const items = await searchItems(api.url, { ...KEPLER_QUERY, limit: 12 }, tile, { maxItems: 100 }, configFor());
    expect(ids(items)).toEqual(EXPECTED);
    expect(api.requests).toHaveLength(3);
  });

  it('stops at an empty page when the API gives no counts and always a next link', async () => {
    api.options = { maxLimit: 10, noCounts: true, nextOnLastPage: true };
    const items = await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor());
    expect(ids(items)).toEqual(EXPECTED);
    expect(api.requests).toHaveLength(4);
  });

  it('stops on a next link that leads back to items already seen', async () => {
    api.options = { maxLimit: 10, nextLink: () => ({ rel: 'next', method: 'POST', href: api.url, body: { next: 'same' } }) };
    const items = await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor());
    expect(ids(items)).toEqual(EXPECTED.slice(0, 10));
    expect(api.requests).toHaveLength(2);
  });

  it('reads gzip answers', async () => {
    api.options = { gzip: true, maxLimit: 10 };
    const items = await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor());
    expect(ids(items)).toEqual(EXPECTED);
    expect(api.requests[0]!.headers['accept-encoding']).toMatch(/gzip/);
  });

  it('the tile geometry wins over the query’s bbox/intersects, which filter the results locally', async () => {
    const config = configFor();
    const westOfGranule = [-110, 39, -107, 41];
    expect(await searchItems(api.url, { ...KEPLER_QUERY, bbox: westOfGranule }, tile, { maxItems: 100 }, config)).toEqual([]);
    expect(api.requests[0]!.body).toEqual({ ...KEPLER_QUERY, intersects: tile, limit: 100 }); // no bbox sent
    const point = { type: 'Point', coordinates: [-105.1019, 40.1672] };
    const items = await searchItems(api.url, { ...KEPLER_QUERY, intersects: point }, tile, { maxItems: 100 }, config);
    expect(ids(items)).toEqual(EXPECTED);
    expect(api.requests).toHaveLength(1); // the same search upstream: served from the cache, filtered differently
    await expect(searchItems(api.url, { bbox: [1, 2] }, tile, { maxItems: 10 }, config)).rejects.toMatchObject({ status: 400 });
    await expect(searchItems(api.url, { intersects: { type: 'Polygon' } }, tile, { maxItems: 10 }, config)).rejects.toMatchObject({ status: 400 });
  });

  it('follows redirects of the search: 307/308 resend the POST body, 301/302/303 turn it into a GET (as fetch does)', async () => {
    const redirector = createServer((req, res) => {
      const status = Number(new URL(req.url!, 'http://x').pathname.slice(1));
      req.resume();
      res.writeHead(status, { location: api.url }).end();
    });
    await new Promise<void>((done) => redirector.listen(0, '127.0.0.1', done));
    const base = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
    try {
      const config = configFor({ sourceAllowlist: [api.root + '/', base + '/'] });
      const items = await searchItems(`${base}/307`, KEPLER_QUERY, tile, { maxItems: 100 }, config);
      expect(ids(items)).toEqual(EXPECTED);
      expect(api.requests[0]).toMatchObject({ method: 'POST', body: { ...KEPLER_QUERY, intersects: tile } });
      api.requests.length = 0;
      await searchItems(`${base}/303`, KEPLER_QUERY, tile, { maxItems: 100 }, config);
      expect(api.requests[0]).toMatchObject({ method: 'GET', body: undefined });
      expect(api.requests[0]!.headers['content-length']).toBeUndefined();
      // A redirect out of SOURCE_ALLOWLIST is refused.
      const error = await failure(searchItems(`${base}/308`, KEPLER_QUERY, tile, { maxItems: 100 }, configFor({ sourceAllowlist: [base + '/'] })));
      expect(error.status).toBe(403);
    } finally {
      await new Promise<void>((done) => {
        redirector.close(() => done());
        redirector.closeAllConnections();
      });
    }
  });

  describe('cache', () => {
    it('a repeated search makes no request; the key is the url, the canonical query, the tile and maxItems', async () => {
      const config = configFor();
      const first = await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config);
      const reordered = { datetime: KEPLER_QUERY.datetime, collections: KEPLER_QUERY.collections };
      const second = await searchItems(api.url, reordered, tile, { maxItems: 100 }, config);
      expect(ids(second)).toEqual(ids(first));
      expect(api.requests).toHaveLength(1);
      await searchItems(api.url, KEPLER_QUERY, tilePolygon({ z: 8, x: 54, y: 96 }), { maxItems: 100 }, config);
      await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 99 }, config);
      await searchItems(api.url, { ...KEPLER_QUERY, collections: ['landsat-c2-l2'] }, tile, { maxItems: 100 }, config);
      expect(api.requests).toHaveLength(4);
      second.length = 0; // callers get their own array
      expect(await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config)).toHaveLength(EXPECTED.length);
    });

    it('entries expire after STAC_CACHE_TTL_SECONDS', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const config = configFor({ stacCacheTtlSeconds: 300 });
      await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config);
      vi.setSystemTime(Date.now() + 299_000);
      await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config);
      expect(api.requests).toHaveLength(1);
      vi.setSystemTime(Date.now() + 2_000);
      await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config);
      expect(api.requests).toHaveLength(2);
    });

    it('TTL 0 turns caching off; entries larger than STAC_CACHE_BYTES are not kept', async () => {
      for (const config of [configFor({ stacCacheTtlSeconds: 0 }), configFor({ stacCacheBytes: 1000 })]) {
        api.requests.length = 0;
        await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config);
        await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config);
        expect(api.requests).toHaveLength(2);
      }
    });

    it('identical searches in flight are made once; one caller giving up does not fail the others', async () => {
      api.options = { delayMs: 150 };
      const config = configFor();
      const quitter = new AbortController();
      const searches = [
        searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100, signal: quitter.signal }, config),
        searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config),
        searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config),
      ];
      quitter.abort(new Error('client went away'));
      await expect(searches[0]).rejects.toThrow('client went away');
      const [b, c] = await Promise.all(searches.slice(1));
      expect(ids(b!)).toEqual(EXPECTED);
      expect(ids(c!)).toEqual(EXPECTED);
      expect(api.requests).toHaveLength(1);
      await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config); // and it was cached
      expect(api.requests).toHaveLength(1);
      const aborted = AbortSignal.abort(new Error('already gone'));
      await expect(searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100, signal: aborted }, config)).rejects.toThrow('already gone');
    });

    it('reuses an ancestor tile’s search for its descendants when it was complete', async () => {
      // Granule clones on a grid around the z8 tile, so its z10 children see different subsets.
      const grid = [-1.2, -0.6, 0, 0.6, 1.2].flatMap((dx, i) =>
        [-0.6, 0, 0.6].map((dy, j) => cloneItem(v1S2, { id: `grid_${i}_${j}`, datetime: hour(i * 3 + j), dx, dy })),
      );
      const gridApi = await startStacApi(grid);
      try {
        const allow = { sourceAllowlist: [gridApi.root + '/'], allowPrivateAddresses: true };
        const reuse = loadConfig({ ...allow, stacParentZoomDelta: 2 }, {});
        const direct = loadConfig({ ...allow, stacParentZoomDelta: 0 }, {});
        const children = [0, 1, 2, 3].flatMap((dx) => [0, 1, 2, 3].map((dy) => ({ z: 10, x: 212 + dx, y: 384 + dy })));
        const results = new Set<string>();
        for (const child of children) {
          const viaParent = await searchItems(gridApi.url, {}, tilePolygon(child), { maxItems: 100, tile: child }, reuse);
          const own = await searchItems(gridApi.url, {}, tilePolygon(child), { maxItems: 100, tile: child }, direct);
          expect(ids(viaParent)).toEqual(ids(own));
          results.add(ids(own).join());
        }
        expect(results.size).toBeGreaterThan(3); // the children really differ
        const parentBodies = gridApi.requests.filter((r) => JSON.stringify((r.body as { intersects: unknown }).intersects) === JSON.stringify(tilePolygon(TILE)));
        expect(parentBodies).toHaveLength(1); // one search for the 16 children
        expect(gridApi.requests).toHaveLength(1 + 16);

        // A truncated ancestor search (maxItems reached) is not used: the children are searched directly.
        const own = [];
        for (const child of children.slice(0, 4)) {
          own.push(ids(await searchItems(gridApi.url, {}, tilePolygon(child), { maxItems: 4, tile: child }, direct)));
        }
        gridApi.requests.length = 0;
        const small = loadConfig({ ...allow, stacParentZoomDelta: 2 }, {});
        for (const [i, child] of children.slice(0, 4).entries()) {
          expect(ids(await searchItems(gridApi.url, {}, tilePolygon(child), { maxItems: 4, tile: child }, small))).toEqual(own[i]);
        }
        expect(gridApi.requests).toHaveLength(1 + 4); // the truncated ancestor result is cached too: one try
      } finally {
        await gridApi.close();
      }
    });
  });

  describe('failures', () => {
    it('an API error is a 502 with the API’s own message, and is not cached', async () => {
      const config = configFor();
      api.options = { fail: { status: 500, body: { code: 'InternalServerError', description: 'Elasticsearch cluster unavailable' } } };
      const error = await failure(searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config));
      expect(error).toBeInstanceOf(HttpError);
      expect(error.status).toBe(502);
      expect(error.detail).toContain('HTTP 500');
      expect(error.detail).toContain('Elasticsearch cluster unavailable');
      api.options = {};
      expect(ids(await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config))).toEqual(EXPECTED);
      expect(api.requests).toHaveLength(2);
    });

    it('the API’s 400 (a bad datetime) passes its message on as a 502', async () => {
      const error = await failure(searchItems(api.url, { datetime: 'yesterday' }, tile, { maxItems: 10 }, configFor()));
      expect(error.status).toBe(502);
      expect(error.detail).toContain('HTTP 400: invalid datetime: yesterday');
    });

    it('a failure on a later page fails the search, redacts credentials, and is not cached', async () => {
      const config = configFor();
      api.options = {
        maxLimit: 10,
        fail: { from: 2, status: 503, body: 'overloaded, retry https://admin:hunter2@internal.example/q?token=abc123 later' },
      };
      const error = await failure(searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config));
      expect(error.status).toBe(502);
      expect(error.detail).toContain('HTTP 503: overloaded, retry https://internal.example/q?<redacted> later');
      expect(error.detail).not.toMatch(/hunter2|abc123/);
      api.options = { maxLimit: 10 };
      api.requests.length = 0;
      expect(ids(await searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, config))).toEqual(EXPECTED);
      expect(api.requests).toHaveLength(3);
    });

    it('long messages are cut', async () => {
      api.options = { fail: { status: 500, body: { detail: 'x'.repeat(5000) } } };
      const error = await failure(searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor()));
      expect(error.detail.length).toBeLessThan(500);
    });

    it('invalid JSON or a body that is not a FeatureCollection is a 502 "malformed STAC response"', async () => {
      for (const fail of [{ invalidJson: true }, { notFeatureCollection: true }]) {
        api.options = { fail };
        const error = await failure(searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor()));
        expect(error.status).toBe(502);
        expect(error.detail).toMatch(/^malformed STAC response/);
      }
    });

    it('a url outside SOURCE_ALLOWLIST is 403, a private address 403, a non-http url 400, all before any request', async () => {
      let error = await failure(searchItems(api.url, {}, tile, { maxItems: 10 }, loadConfig({ sourceAllowlist: ['https://'], allowPrivateAddresses: true }, {})));
      expect(error.status).toBe(403);
      expect(error.detail).toContain('not in SOURCE_ALLOWLIST');
      error = await failure(searchItems(api.url, {}, tile, { maxItems: 10 }, loadConfig({ sourceAllowlist: [api.root + '/'], allowPrivateAddresses: false }, {})));
      expect(error.status).toBe(403);
      expect(error.detail).toContain('private address');
      error = await failure(searchItems('s3://bucket/search', {}, tile, { maxItems: 10 }, loadConfig({ sourceAllowlist: ['s3://'] }, {})));
      expect(error.status).toBe(400);
      error = await failure(searchItems('not a url', {}, tile, { maxItems: 10 }, configFor()));
      expect(error.status).toBe(400);
      expect(api.requests).toHaveLength(0);
    });

    it('a next link outside SOURCE_ALLOWLIST is 403', async () => {
      api.options = { maxLimit: 10, nextLink: () => ({ rel: 'next', method: 'POST', href: `${api.root}/elsewhere`, body: {} }) };
      const error = await failure(searchItems(api.url, KEPLER_QUERY, tile, { maxItems: 100 }, configFor({ sourceAllowlist: [api.url] })));
      expect(error.status).toBe(403);
      expect(api.requests).toHaveLength(1);
    });
  });
});

describe('parseStacQuery', () => {
  it('parses kepler’s query; absent or empty is {}', () => {
    const raw = '{"collections":["sentinel-2-l2a"],"datetime":"2023-10-01T00:00:00Z/2023-10-31T23:59:59Z"}';
    expect(parseStacQuery(raw)).toEqual(KEPLER_QUERY);
    expect(parseStacQuery(undefined)).toEqual({});
    expect(parseStacQuery('  ')).toEqual({});
  });

  it.each(['nope', '{"a":', '[1,2]', '"text"', 'null', '42'])('%s is a 400', (raw) => {
    let error: unknown;
    try {
      parseStacQuery(raw);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(400);
    expect((error as HttpError).detail).toMatch(/^invalid query parameter/);
  });
});
