import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse as InjectResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { COLORMAP_NAMES } from '../../src/tiling/colormaps.js';
import { FIXTURES, fixture, q, scratchDir, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';
import { FUJI_TILES, writeFujiTiles } from '../helpers/terrain-tiles.js';

/**
 * Property: whatever a client puts in the path or the query of a route, the answer is a 2xx, or a
 * 4xx/5xx (never a bare 500) whose body is JSON `{"detail": string}`; the server never crashes or
 * hangs, and still serves a good tile afterwards. The app runs against real upstreams on loopback:
 * COGs as files and over HTTP (Range), Terrarium PNGs over HTTP, a STAC API, s3rver, and a WMS that
 * answers an HTML page (so every tile-cache render is a clean 502).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
/** fast-check fails a run that takes longer than this (a hang), well before vitest's own timeout. */
const RUN_TIMEOUT_MS = 15_000;
const TEST_TIMEOUT_MS = 180_000;

const RGB = 'riotiler-cog_uint8_rgb_mask_4326.tif';
const DEM = 'titiler-dem_float32_epsg2056.tif';
const dir = scratchDir();
let http: RangeServer;
let stac: StacApi;
let s3: S3Fixture;
let app: FastifyInstance;

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
  copyFileSync(fixture(RGB), join(dir, RGB));
  writeFujiTiles(dir);
  http = await startRangeServer(dir, {
    onRequest: (req, res) => {
      if (!req.url?.startsWith('/wms')) return false;
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Service unavailable</body></html>');
      return true;
    },
  });
  const item = cloneItem(fixtureItems().v1S2, { id: 'rgb', datetime: '2023-10-09T00:00:00Z' });
  item.geometry = { type: 'Polygon', coordinates: [[[0, 0], [0, -2.56], [2.56, -2.56], [2.56, 0], [0, 0]]] };
  item.bbox = [0, -2.56, 2.56, 0];
  item.assets = { visual: { ...item.assets.visual, href: `${http.url}/${RGB}` } };
  stac = await startStacApi([item]);
  s3 = await startS3({ buckets: ['tiles'] });
  app = await testApp({
    terrariumUrlTemplate: `${http.url}/{z}/{x}/{y}.png`,
    upstreamTimeoutMs: 5000,
    tileCache: buildTileCacheConfig({
      bucket: 'tiles',
      s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
      wmsTimeoutMs: 5000,
      layers: [{ name: 'naip', wmsServer: `${http.url}/wms?map=x`, wmsLayers: 'rgb', prefix: '1.0.0/naip/', maxZoom: 18 }],
    }),
  }, [dir + '/', http.url + '/', stac.url]);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await Promise.all([http?.close(), stac?.close(), s3?.close()]);
  vi.unstubAllEnvs();
});

// ---------------------------------------------------------------- arbitraries

/** Strings a client might send where a number is expected. */
const NUMBERISH = [
  '0', '1', '7', '64', '-1', '-0', '1.5', '1e3', '0x10', '0b1', '+1', ' 1', '1 ', '', ' ', 'NaN', 'Infinity', '-Infinity',
  '9007199254740993', '99999999999999999999999999', '1e308', '1e309', '4294967296', '2147483648', '00000000000000000007',
  '١', '１', '7%00', '%', '%%', '..', '.', '%2e%2e', '\u0000', '😀', 'null', 'undefined', '[]', '{}',
];
const anyText = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(...NUMBERISH),
);
const numberish = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
  fc.double().map(String),
  fc.constantFrom(...NUMBERISH),
  anyText,
);

/** Mostly a valid value (so requests get past the parsers to the readers and workers), sometimes a weird one. */
const mostly = <T>(valid: fc.Arbitrary<T>, weird: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: weird });

/** A tile index: often a real one (so valid requests reach the readers and workers), often not. */
const validTile = fc.integer({ min: 0, max: 22 }).chain((z) =>
  fc.record({ z: fc.constant(z), x: fc.integer({ min: 0, max: 2 ** z - 1 }), y: fc.integer({ min: 0, max: 2 ** z - 1 }) }));
const nearData = fc.constantFrom({ z: 7, x: 64, y: 64 }, { z: 8, x: 128, y: 128 }, { z: 0, x: 0, y: 0 }, { z: 12, x: FUJI_TILES.x0, y: FUJI_TILES.y0 },
  { z: 15, x: 17030, y: 11667 });
const tileSegments = mostly(
  fc.oneof({ weight: 1, arbitrary: validTile }, { weight: 3, arbitrary: nearData }).map((t) => [String(t.z), String(t.x), String(t.y)]),
  fc.tuple(numberish, numberish, numberish),
);
const scaleSuffix = mostly(
  fc.constantFrom('', '', '@1x', '@2x', '@4x'),
  fc.oneof(
    fc.constantFrom('@3x', '@0x', '@5x', '@1.5x', '@-1x', '@99999999999999999999x', '@x', '@2X', '@2', '@@2x'),
    anyText.map((s) => `@${s}x`),
  ),
);
const extension = mostly(
  fc.constantFrom('', '.png', '.jpg', '.jpeg', '.webp', '.npy', '.terrain'),
  fc.oneof(fc.constantFrom('.tif', '.PNG', '.gif', '.', '..png', '.png.png', '.jpg%00.png'), anyText.map((s) => `.${s}`)),
);
/** The last path segment: `{y}[@{scale}x][.{format}]`, percent-encoded as a client would send it. */
const tilePath = fc.tuple(tileSegments, scaleSuffix, extension).map(([[z, x, y], scale, ext]) =>
  [z, x, y + scale + ext].map(encodeURIComponent).join('/'));

/** Source urls: allowed fixtures, traversal out of the roots, other schemes, private hosts, junk (built in a test: upstream urls). */
const sourceUrl = (good: string[]) => mostly(
  fc.constantFrom(...good),
  fc.oneof(fc.constantFrom(
    '', ' ', '.', '..', '/', '/etc/passwd', `${FIXTURES}/../../../../../../etc/passwd`, `${FIXTURES}/%2e%2e/%2e%2e/etc/passwd`,
    `${FIXTURES}/..%2f..%2fetc%2fpasswd`, `${FIXTURES}/${RGB}\u0000.png`, `${FIXTURES}`, `${FIXTURES}/`, `${FIXTURES}/missing.tif`,
    'file:///etc/passwd', 'file://remote/etc/passwd', `file://${fixture(RGB)}`, 'file:', 'http://', 'http://169.254.169.254/latest/meta-data/',
    'http://[::1]/x.tif', 'http://localhost/x.tif', 'https://example.com/x.tif', 'ftp://example.com/x.tif', 'gopher://x', 's3://', 's3://bucket',
    's3://bucket/../../etc/passwd', 's3://b/k/%2e%2e/x', 'javascript:alert(1)', 'data:image/png;base64,AAAA', '\\\\server\\share\\x.tif',
    'C:\\Windows\\win.ini', '~/.ssh/id_rsa', 'x'.repeat(10_000), `${FIXTURES}/${'é'.repeat(300)}.tif`, '%00', '\u0000',
    `${http.url}/../../../etc/passwd`, `${http.url}/%2e%2e/%2e%2e/etc/passwd`, `${http.url}/${RGB}#frag`, `${http.url}/${RGB}?a=1&b=2`,
  ), anyText),
);

const repeated = (arb: fc.Arbitrary<string>) => fc.oneof(arb, fc.array(arb, { minLength: 1, maxLength: 4 }));

/** The rendering parameters shared by /cog and /stac/mosaic, each often valid, often not, often absent. */
const renderQuery = {
  bidx: mostly(
    fc.constantFrom('1', '2', '3', '1,2,3', '3,2,1', '1,1', ['1', '2', '3']),
    repeated(fc.oneof(fc.constantFrom('4', '0', '-1', '1.5', '65536', '1,,2', ',', ' 1 '), numberish)),
  ),
  rescale: mostly(
    fc.constantFrom('0,255', '0,1000', '255,0', '-1e308,1e308', ['0,255', '0,100', '10,20'], ' 0 , 255 '),
    repeated(fc.oneof(
      fc.constantFrom('1,1', '1e309,0', 'NaN,1', '0', '0,1,2', ',', 'a,b', '0,255,'),
      fc.tuple(fc.double(), fc.double()).map(([a, b]) => `${a},${b}`),
      anyText,
    )),
  ),
  colormap_name: mostly(fc.constantFrom(...COLORMAP_NAMES, 'VIRIDIS'), fc.oneof(fc.constantFrom('jet', 'viridis_rr', '__proto__', 'constructor', 'toString'), anyText)),
  colormap: fc.oneof(fc.constantFrom('{"0":[0,0,0,255],"255":[255,255,255,255]}', '{', '[]', 'null', '{"__proto__":{"x":1}}'), fc.json()),
  expression: fc.oneof(fc.constantFrom('b1/b2', '(b1-b2)/(b1+b2)', 'b1;rm -rf /', 'process.exit()', ''), anyText),
  nodata: mostly(fc.constantFrom('nan', 'NaN', '0', '-9999', '255', '1e300'), fc.oneof(fc.constantFrom('1e400', 'inf', '-inf', 'none', ''), numberish)),
  resampling: mostly(fc.constantFrom('nearest', 'bilinear', 'cubic'), fc.oneof(fc.constantFrom('NEAREST', 'lanczos', 'average', ''), anyText)),
  return_mask: mostly(fc.constantFrom('true', 'false', '1', '0', 'yes', 'TRUE'), fc.oneof(fc.constantFrom('maybe', ''), anyText)),
};

const cogQuery = () => fc.record(
  { url: sourceUrl([fixture(RGB), fixture(RGB), fixture(DEM), `${http.url}/${RGB}`, `file://${fixture(RGB)}`]), ...renderQuery },
  { requiredKeys: ['url'] },
);

const stacQueryJson = mostly(
  fc.constantFrom(
    '{"collections":["sentinel-2-l2a"]}', '{"collections":["sentinel-2-l2a"],"datetime":"2023-01-01T00:00:00Z/2024-01-01T00:00:00Z"}',
    '{"datetime":"2023-10-09T00:00:00Z"}', '{"datetime":"../2024-01-01T00:00:00Z"}', '{"ids":["rgb"]}', '{}', '{"bbox":[0,-1,1,0]}',
  ),
  fc.oneof(fc.constantFrom('{"datetime":"not a date"}', '{"datetime":"2024-13-45"}',
    '{"datetime":"2024-01-01/2023-01-01"}', '{"collections":"sentinel-2-l2a"}', '{"collections":[1,2,3]}', '{"collections":[]}',
    '{"limit":-1}', '{"limit":1e9}', '{"bbox":[1,2,3]}', '{"bbox":[0,-1,1,0]}', '{"bbox":"x"}', '{"intersects":{"type":"Point","coordinates":[0]}}',
    '{"intersects":{"type":"Polygon","coordinates":[]}}', '{"intersects":null}', '{"ids":["rgb"]}', '{"__proto__":{"polluted":1}}',
    '{"constructor":{"prototype":{"x":1}}}', '{', '}', '[]', 'null', '"text"', '1', '', ' ', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    `{"collections":["${'x'.repeat(5000)}"]}`,
  ), fc.json({ maxDepth: 3 }), anyText),
);

const mosaicQuery = () => fc.record(
  {
    url: sourceUrl([stac.url, stac.url, `${stac.url}?collections=x`, `${http.url}/${RGB}`]),
    query: stacQueryJson,
    assets: mostly(fc.constantFrom('visual', 'visual,visual', ['visual', 'visual']), repeated(fc.oneof(fc.constantFrom('red', 'visual,red', '', ','), anyText))),
    pixel_selection: mostly(fc.constantFrom('first', 'highest', 'lowest', 'mean', 'median', 'stdev', 'count', 'lastbandlow', 'lastbandhight', 'FIRST'), fc.oneof(fc.constant('last'), anyText)),
    max_items: mostly(fc.constantFrom('1', '10', '1000'), numberish),
    ...renderQuery,
  },
  { requiredKeys: ['url', 'assets'] },
);

const meshQuery = () => fc.record(
  {
    url: sourceUrl(['terrarium', 'terrarium', `${http.url}/{z}/{x}/{y}.png`, `${http.url}/{z}/{x}/{-y}.png`, fixture(DEM), 'mapbox', '{z}/{x}/{y}',
      `${http.url}/{z}/{x}/{y}/{z}/{x}/{y}.png`, `${http.url}/{z}{x}{y}`]),
    encoding: mostly(fc.constantFrom('terrarium', 'mapbox'), fc.oneof(fc.constantFrom('TERRARIUM', 'other', ''), anyText)),
    mesh_max_error: mostly(fc.constantFrom('10', '1', '100', '0.5', '10000'), fc.oneof(fc.constantFrom('0', '-1', '0.001', '1e-300', '10001', '1e309', 'nan'), numberish)),
    mesh_quantizer: mostly(fc.constantFrom('martini', 'delatin'), fc.oneof(fc.constantFrom('MARTINI', 'other', ''), anyText)),
  },
  { requiredKeys: ['url'] },
);

const lonLat = mostly(
  fc.oneof(fc.constantFrom('1.28,-1.28', '0.5,-2'), fc.tuple(fc.double({ min: 0, max: 2.56, noNaN: true }), fc.double({ min: -2.56, max: 0, noNaN: true })).map(([a, b]) => `${a},${b}`)),
  fc.oneof(fc.tuple(fc.double({ min: -200, max: 200 }), fc.double({ min: -100, max: 100 })).map(([a, b]) => `${a},${b}`), fc.constantFrom('0,0', '180,90', '-180,-90', '180.0001,0', '1,2,3', '1', ',', '1,', 'NaN,NaN', 'Infinity,0', '1e400,0', '1;2'), anyText),
);

const inData = fc.tuple(fc.double({ min: 0, max: 1.2, noNaN: true }), fc.double({ min: -2.5, max: -1.3, noNaN: true }), fc.double({ min: 1.3, max: 2.5, noNaN: true }),
  fc.double({ min: -1.2, max: 0, noNaN: true })).map((b) => b.map(String));
const bboxPath = fc.oneof(
  fc.tuple(mostly(inData, fc.array(fc.oneof(fc.double({ min: -200, max: 200 }).map(String), numberish), { minLength: 4, maxLength: 4 })), fc.option(mostly(
    fc.tuple(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 600 })).map(([w, h]) => `${w}x${h}`),
    fc.oneof(
      fc.tuple(fc.integer({ min: -10, max: 5000 }), fc.integer({ min: -10, max: 5000 })).map(([w, h]) => `${w}x${h}`),
      fc.constantFrom('0x0', '4097x1', '99999999999x1', '1.5x2', 'x', '256'),
      anyText,
    ),
  ), { nil: undefined }), extension).map(([coords, size, ext]) =>
    size === undefined ? encodeURIComponent(coords.join(',') + ext) : `${encodeURIComponent(coords.join(','))}/${encodeURIComponent(size + ext)}`),
  fc.constantFrom('0,-2.56,2.56,0.png', '0,-2.56,2.56,0/64x64.npy', '0.5,-1,1,-0.5/4096x4096.jpg', '2.56,0,0,-2.56.png', '0,-2.56,2.56,0'),
);

const tileKey = fc.oneof(
  fc.tuple(fc.constantFrom('1.0.0/naip/', '', '1.0.0/other/', '../', '1.0.0/naip/../../'), tileSegments, fc.constantFrom('.png', '.jpg', '.jpeg', '.JPG', '.gif', ''))
    .map(([prefix, [z, x, y], ext]) => `${prefix}${z}/${x}/${y}${ext}`),
  anyText,
);

// ---------------------------------------------------------------- the property

/** 2xx (or 304), or an error status with `{"detail": string}`; a bare 500 means an unhandled exception. */
function expectCleanAnswer(res: InjectResponse, fullUrl: string) {
  const url = fullUrl.length > 300 ? `${fullUrl.slice(0, 300)}...` : fullUrl;
  if (res.statusCode < 400) {
    expect([200, 204, 304], url).toContain(res.statusCode);
    return;
  }
  expect(res.statusCode, `${url} -> ${res.body.slice(0, 300)}`).not.toBe(500);
  expect(res.headers['content-type'], url).toMatch(/^application\/json/);
  expect(typeof res.json().detail, url).toBe('string');
}

async function check(url: string) {
  const res = await app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, br' } });
  expectCleanAnswer(res, url);
}

/** Runs the property, then checks the server still serves a good tile. */
async function property(arb: fc.Arbitrary<string>, runs = RUNS) {
  await fc.assert(fc.asyncProperty(arb, check), { numRuns: runs, timeout: RUN_TIMEOUT_MS, interruptAfterTimeLimit: TEST_TIMEOUT_MS - 30_000 });
  const ok = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64.png?${q({ url: fixture(RGB) })}`);
  expect(ok.statusCode).toBe(200);
}

const withQuery = (path: fc.Arbitrary<string>, query: fc.Arbitrary<Record<string, string | string[]>>) =>
  fc.tuple(path, query).map(([p, qs]) => `${p}?${q(qs)}`);

describe('route parameters: always a clean answer', () => {
  it('/cog/tiles', () => property(withQuery(
    fc.tuple(fc.constantFrom('/cog/tiles/', '/cog/tiles/WebMercatorQuad/', '/cog/tiles/WorldCRS84Quad/', '/cog/tiles/%2e%2e/'), tilePath).map(([a, b]) => a + b),
    cogQuery(),
  )), TEST_TIMEOUT_MS);

  it('/cog/info, /cog/tilejson.json', () => property(withQuery(
    fc.constantFrom('/cog/info', '/cog/tilejson.json', '/cog/WebMercatorQuad/tilejson.json', '/cog/Other/tilejson.json'),
    fc.tuple(cogQuery(), fc.record({ minzoom: numberish, maxzoom: numberish, tile_format: anyText, tile_scale: numberish }, { requiredKeys: [] }))
      .map(([a, b]) => ({ ...a, ...b })),
  )), TEST_TIMEOUT_MS);

  it('/cog/point', () => property(withQuery(lonLat.map((p) => `/cog/point/${encodeURIComponent(p)}`), cogQuery())), TEST_TIMEOUT_MS);

  it('/cog/bbox', () => property(withQuery(
    bboxPath.map((p) => `/cog/bbox/${p}`),
    fc.tuple(cogQuery(), fc.record({ coord_crs: fc.oneof(fc.constantFrom('EPSG:4326', 'EPSG:3857', 'EPSG:2056', 'EPSG:0', 'EPSG:99999999', 'epsg:4326',
      'http://www.opengis.net/def/crs/EPSG/0/3857', 'OGC:CRS84', '+proj=merc'), anyText), dst_crs: fc.oneof(fc.constantFrom('EPSG:4326', 'EPSG:3857', 'EPSG:32631'), anyText) },
    { requiredKeys: [] })).map(([a, b]) => ({ ...a, ...b })),
  ), 100), TEST_TIMEOUT_MS);

  it('/stac/mosaic', () => property(withQuery(
    fc.oneof(
      fc.tuple(fc.constantFrom('/stac/mosaic/tiles/', '/stac/mosaic/tiles/WebMercatorQuad/'), tilePath).map(([a, b]) => a + b),
      lonLat.map((p) => `/stac/mosaic/point/${encodeURIComponent(p)}`),
    ),
    mosaicQuery(),
  )), TEST_TIMEOUT_MS);

  it('/mesh', () => property(withQuery(
    fc.oneof(
      fc.tuple(fc.constantFrom('/mesh/tiles/', '/mesh/cesium/'), tilePath).map(([a, b]) => a + b),
      fc.constant('/mesh/layer.json'),
    ),
    meshQuery(),
  )), TEST_TIMEOUT_MS);

  it('/tms, /xyz and /?tile=', () => property(fc.oneof(
    fc.tuple(fc.constantFrom('/tms/1.0.0/naip/', '/xyz/naip/', '/tms/1.0.0/other/', '/tms/1.0.0/%2e%2e/'), tilePath).map(([a, b]) => a + b),
    fc.constantFrom('/tms/1.0.0/naip', '/tms/1.0.0', '/tms/1.0.0/', '/heartbeat'),
    fc.tuple(tileKey, fc.boolean()).map(([key, test]) => `/?${q({ tile: key })}${test ? '&test' : ''}`),
  )), TEST_TIMEOUT_MS);

  it('raw paths: traversal, NUL bytes, over-long segments', async () => {
    const raw = [
      '/cog/tiles/../../../etc/passwd', '/cog/tiles/1/2/..%2f..%2f..%2fetc%2fpasswd', '/cog/tiles/%00/%00/%00', '/cog/tiles/1/2/3.png%00.jpg',
      `/cog/tiles/WebMercatorQuad/7/64/${'6'.repeat(400)}.png?url=${encodeURIComponent(fixture(RGB))}`,
      `/cog/info?url=${'%2e%2e%2f'.repeat(500)}etc%2fpasswd`, '/cog/info?url=%E0%A4%A', '/cog/info?url=%ff%fe', '/cog/info?url[]=x&url[x]=y',
      '/cog/info?url=a&url=b&url=', `/cog/tiles/7/64/64.png?${'bidx=1&'.repeat(40)}url=${encodeURIComponent(fixture(RGB))}`,
      '/mesh/tiles/12/3630/1612.terrain?url=%7Bz%7D%2F%7Bx%7D%2F%7By%7D', '/stac/mosaic/tiles/0/0/0.png?url=&assets=', '/?tile=%00&test', '/?tile=&tile=x',
      '/xyz/naip/99/0/0.png', '/xyz/naip/1/1/1.png.png', '/tms/1.0.0/naip/1/1/-1.png',
    ];
    for (const url of raw) await check(url);
  });

  it('what the properties found (each was a 500): now a 400 naming the parameter, or a 204', async () => {
    const rgb = fixture(RGB);
    const cases: Array<[string, number, RegExp]> = [
      [`/cog/tiles/7/64/64.png?${q({ url: rgb, bidx: 1, rescale: ['0,255', '0,100', '10,20'] })}`, 400, /rescale: 3 ranges for 1 band/],
      [`/cog/tiles/7/64/64.png?${q({ url: rgb, rescale: ['0,255', '0,100'] })}`, 400, /rescale: 2 ranges for 3 band/],
      [`/cog/tiles/7/64/64.png?${q({ url: rgb, bidx: '1,2,3,1,2' })}`, 400, /png cannot hold 5 band/],
      [`/cog/tiles/7/64/64.jpg?${q({ url: rgb, bidx: '1,2' })}`, 400, /jpg cannot hold 2 band/],
      [`/cog/tiles/7/64/64.webp?${q({ url: rgb, bidx: '1,2' })}`, 400, /webp cannot hold 2 band/],
      [`/cog/bbox/0,-2.56,2.56,0/64x64.jpeg?${q({ url: rgb, bidx: '1,2,3,1' })}`, 400, /jpeg cannot hold 4 band/],
      [`/stac/mosaic/tiles/7/64/64.png?${q({ url: stac.url, assets: 'visual', rescale: ['0,1', '0,2'], bidx: 1 })}`, 400, /rescale: 2 ranges for 1 band/],
      [`/stac/mosaic/tiles/7/64/64?${q({ url: stac.url, assets: 'visual', pixel_selection: 'lastbandlow', bidx: 1 })}`, 400, /lastbandlow .* needs at least 2 bands/],
      [`/stac/mosaic/point/1,-1?${q({ url: stac.url, assets: 'visual', query: `{"a":${'['.repeat(1000)}${']'.repeat(1000)}}` })}`, 400, /nested deeper than 32 levels/],
      // an asset name the item lacks: no data (204), named in X-Assets, percent-encoded
      [`/stac/mosaic/tiles/7/64/64.png?${q({ url: stac.url, assets: 'vis\u0000ual\n' })}`, 204, /^rgb\/vis%00ual \(missing\)$/],
    ];
    for (const [url, status, detail] of cases) {
      const res = await app.inject(url);
      expect(res.statusCode, `${url.slice(0, 200)} -> ${res.body.slice(0, 300)}`).toBe(status);
      if (status === 400) expect(res.json().detail).toMatch(detail);
      else expect(res.headers['x-assets']).toMatch(detail);
    }
  });
});
