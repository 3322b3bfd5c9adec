import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { StacItem } from '../../src/stac/types.js';
import { FIXTURES, q, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';

/**
 * Server-side request forgery, end to end through the routes, with private addresses refused (the
 * default). The target is a real server on 127.0.0.1 that must never see a request. A second
 * loopback address, 127.0.0.2, stands for a "public" host: ALLOW_PRIVATE_ADDRESSES lists it alone,
 * so the STAC API and the redirecting server on it are reachable while 127.0.0.1 is not.
 */
const COG = 'cogeotiff-rgba8_cog.tiff';
const WORLD = { type: 'Polygon', coordinates: [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]] } as StacItem['geometry'];

let target: RangeServer; // 127.0.0.1: must stay untouched
let origin: RangeServer; // 127.0.0.2: allowed, redirects to the target
let api: StacApi; // 127.0.0.2: a STAC API whose items point at the target
let app: FastifyInstance;
let port: string;

function item(id: string, href: string): StacItem {
  const copy = cloneItem(fixtureItems().v1S2, { id, datetime: '2023-10-09T00:00:00Z' });
  copy.geometry = WORLD;
  copy.bbox = [-180, -85, 180, 85];
  copy.assets = { visual: { ...copy.assets.visual, href } };
  return copy;
}

beforeAll(async () => {
  target = await startRangeServer(FIXTURES);
  port = new URL(target.url).port;
  origin = await startRangeServer(FIXTURES, {
    host: '127.0.0.2',
    onRequest: (req, res) => {
      const to = new URL(req.url!, 'http://x').searchParams.get('to');
      if (!to) return false;
      res.writeHead(302, { location: to }).end();
      return true;
    },
  });
  api = await startStacApi([item('to-target', `${target.url}/${COG}`), item('to-localhost', `http://localhost:${port}/${COG}`)], { host: '127.0.0.2' });
  app = await testApp({
    sourceAllowlist: ['http://', 'https://', FIXTURES],
    allowPrivateAddresses: false,
    allowedPrivateNetworks: ['127.0.0.2'],
    pcSasApi: `${target.url}/api`,
  });
});
afterAll(async () => {
  await app?.close();
  await Promise.all([target?.close(), origin?.close(), api?.close()]);
});

const expectRefused = async (path: string, status = 403) => {
  const res = await app.inject(path);
  expect(res.statusCode, `${path}: ${res.body}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.json().detail).toEqual(expect.any(String));
  return res.json().detail as string;
};
const info = (url: string) => `/cog/info?${q({ url })}`;

describe('SSRF: private, loopback and link-local addresses are refused by default', () => {
  it('refuses loopback in every spelling: names, decimal, hex, short, IPv4-mapped, unspecified', async () => {
    for (const host of [
      '127.0.0.1', 'localhost', 'LOCALHOST', '2130706433', '0x7f.0.0.1', '0x7f000001', '0177.0.0.1', '127.1',
      '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::]', '0.0.0.0', '0', '[::127.0.0.1]', '[64:ff9b::127.0.0.1]',
    ]) {
      const detail = await expectRefused(info(`http://${host}:${port}/${COG}`));
      expect(detail, host).toMatch(/private address/);
    }
    expect(target.requests).toEqual([]);
  });

  it('refuses metadata, link-local, private and unique-local addresses without connecting', async () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://[fd00:ec2::254]/latest/meta-data/',
      'http://100.100.100.200/latest/meta-data/', // Alibaba (CGNAT range)
      'http://192.0.0.192/opc/v1/instance/', // Oracle
      'http://[fe80::1]/x.tif',
      'http://10.0.0.1/x.tif',
      'http://172.16.5.4/x.tif',
      'http://192.168.1.1/x.tif',
      'http://[fc00::1]/x.tif',
      'http://[2002:a9fe:a9fe::1]/x.tif', // 6to4 around 169.254.169.254
      'http://224.0.0.1/x.tif',
    ]) {
      expect(await expectRefused(info(url)), url).toMatch(/private address/);
    }
    // a zone id is not a valid URL host
    await expectRefused(info('http://[fe80::1%25eth0]/x.tif'), 400);
  });

  it('refuses on /mesh templates and DEM urls', async () => {
    await expectRefused(`/mesh/tiles/1/0/0.terrain?${q({ url: `http://localhost:${port}/{z}/{x}/{y}.png`, encoding: 'terrarium' })}`);
    await expectRefused(`/mesh/tiles/1/0/0.terrain?${q({ url: `http://127.0.0.1:${port}/${COG}` })}`);
    expect(target.requests).toEqual([]);
  });

  it('refuses STAC API urls on loopback', async () => {
    const search = `http://localhost:${port}/v1/search`;
    await expectRefused(`/stac/mosaic/tiles/1/0/0.npy?${q({ url: search, assets: 'visual' })}`);
    await expectRefused(`/stac/mosaic/point/0,0?${q({ url: `http://[::1]:${port}/v1/search`, assets: 'visual' })}`);
    expect(target.requests).toEqual([]);
  });

  it('refuses STAC asset hrefs on loopback, though the (allowed) API is read', async () => {
    const before = api.requests.length;
    const query = (id: string) => JSON.stringify({ ids: [id] });
    for (const id of ['to-target', 'to-localhost']) {
      const detail = await expectRefused(`/stac/mosaic/tiles/1/0/0.npy?${q({ url: api.url, assets: 'visual', query: query(id) })}`);
      expect(detail).toMatch(/private address/);
    }
    expect(api.requests.length).toBeGreaterThan(before);
    expect(target.requests).toEqual([]);
  });

  it('refuses a STAC next link that leads to loopback', async () => {
    api.options.nextLink = () => ({ rel: 'next', href: `http://127.0.0.1:${port}/v1/search`, method: 'GET' });
    api.options.maxLimit = 1; // one item a page: the search needs the next page
    try {
      const detail = await expectRefused(`/stac/mosaic/tiles/1/0/0.npy?${q({ url: api.url, assets: 'visual', max_items: 5, pixel_selection: 'mean' })}`);
      expect(detail).toMatch(/\/v1\/search resolves to a private address/);
    } finally {
      api.options.nextLink = undefined;
      api.options.maxLimit = undefined;
    }
    expect(target.requests).toEqual([]);
  });

  it('a next link cannot inject headers into the next request (invalid ones are dropped)', async () => {
    api.options.nextLink = (link) => link && { ...link, headers: { 'x-ok': 'fine', 'x-bad': 'a\r\nInjected: 1', 'bad name': 'x' } };
    api.options.maxLimit = 1;
    const before = api.requests.length;
    try {
      // the search follows the link; the items then point at the target: 403
      await expectRefused(`/stac/mosaic/tiles/1/0/0.npy?${q({ url: api.url, assets: 'visual', max_items: 2, pixel_selection: 'mean' })}`);
    } finally {
      api.options.nextLink = undefined;
      api.options.maxLimit = undefined;
    }
    const followed = api.requests.slice(before).filter((r) => r.headers['x-ok'] === 'fine');
    expect(followed.length).toBe(1);
    expect(followed[0]!.headers).not.toHaveProperty('injected');
    expect(followed[0]!.headers).not.toHaveProperty('x-bad');
    expect(target.requests).toEqual([]);
  });

  it('refuses a Planetary Computer SAS token API on loopback', async () => {
    const blob = 'https://sentinel2l2a01.blob.core.windows.net/sentinel2-l2/a.tif';
    api.items.push(item('blob', blob));
    try {
      const detail = await expectRefused(`/stac/mosaic/tiles/1/0/0.npy?${q({ url: api.url, assets: 'visual', query: JSON.stringify({ ids: ['blob'] }) })}`);
      expect(detail).toMatch(/private address/);
    } finally {
      api.items.pop();
    }
    expect(target.requests).toEqual([]);
  });
});

describe('SSRF: redirects are followed only to allowed, public targets', () => {
  const via = (to: string) => `${origin.url}/r?${q({ to })}`;

  it('the allowed host is served (the address list lets 127.0.0.2 through)', async () => {
    const res = await app.inject(info(`${origin.url}/${COG}`));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().width).toBeGreaterThan(0);
    const followed = await app.inject(info(via(`${origin.url}/${COG}`)));
    expect(followed.statusCode, followed.body).toBe(200);
  });

  it('a redirect to loopback, in any spelling, is 403 and the target sees nothing', async () => {
    for (const to of [`${target.url}/${COG}`, `http://localhost:${port}/${COG}`, `http://2130706433:${port}/${COG}`, `http://[::ffff:127.0.0.1]:${port}/${COG}`, 'http://169.254.169.254/latest/meta-data/']) {
      const detail = await expectRefused(info(via(to)));
      expect(detail, to).toMatch(/redirect from .* private address/);
    }
    expect(target.requests).toEqual([]);
  });

  it('a redirect to a host or scheme outside SOURCE_ALLOWLIST is 403 before any request', async () => {
    const narrow = await testApp({ sourceAllowlist: [`${origin.url}/`], allowPrivateAddresses: true });
    try {
      for (const to of [`${target.url}/${COG}`, `${origin.url.replace('127.0.0.2', '127.0.0.3')}/${COG}`, `file://${FIXTURES}/${COG}`]) {
        const res = await narrow.inject(info(via(to)));
        expect(res.statusCode, `${to}: ${res.body}`).toBe(403);
        expect(res.json().detail).toMatch(/not in SOURCE_ALLOWLIST/);
      }
    } finally {
      await narrow.close();
    }
    expect(target.requests).toEqual([]);
  });
});

describe('ALLOW_PRIVATE_ADDRESSES', () => {
  it('is off by default, "1" allows everything, a list allows those networks only', () => {
    expect(loadConfig({}, {})).toMatchObject({ allowPrivateAddresses: false, allowedPrivateNetworks: [] });
    expect(loadConfig({}, { ALLOW_PRIVATE_ADDRESSES: '1' })).toMatchObject({ allowPrivateAddresses: true });
    expect(loadConfig({}, { ALLOW_PRIVATE_ADDRESSES: '10.0.3.0/24, fd00::/8,127.0.0.2' })).toMatchObject({
      allowPrivateAddresses: false,
      allowedPrivateNetworks: ['10.0.3.0/24', 'fd00::/8', '127.0.0.2'],
    });
    expect(() => loadConfig({}, { ALLOW_PRIVATE_ADDRESSES: '10.0.0.0/33' })).toThrow(/ALLOW_PRIVATE_ADDRESSES/);
    expect(() => loadConfig({}, { ALLOW_PRIVATE_ADDRESSES: 'intranet.local' })).toThrow(/ALLOW_PRIVATE_ADDRESSES/);
  });
});
