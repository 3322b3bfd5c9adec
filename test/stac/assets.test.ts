import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { HttpError } from '../../src/server/errors.js';
import { openSource } from '../../src/sources/open-source.js';
import { assetHref, itemAssets } from '../../src/stac/assets.js';
import { tilePolygon } from '../../src/stac/geometry.js';
import { searchItems } from '../../src/stac/search.js';
import type { StacItem } from '../../src/stac/types.js';
import { FIXTURES } from '../helpers/app.js';
import { startRangeServer } from '../helpers/http-range-server.js';
import { cloneItem, fixtureItems, readFixture, rewriteHrefs, startSasApi, startStacApi, type SasApi } from '../helpers/stac-api.js';

const { v1S2, v1Landsat, v0Cogs } = fixtureItems();
const noSas = loadConfig({ pcSasApi: '' }, {});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as HttpError,
  );

/**
 * A Planetary Computer style item: the real Earth Search S2 item with its COG hrefs moved to the
 * storage account and container the real PC sentinel-2-l2a collection names.
 */
function pcItem(): StacItem {
  const collection = readFixture<{ 'msft:storage_account': string; 'msft:container': string }>('planetary-computer-sentinel-2-l2a-collection.json');
  const base = `https://${collection['msft:storage_account']}.blob.core.windows.net/${collection['msft:container']}`;
  const item = rewriteHrefs(v1S2, (href) => href.replace('https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs', base));
  expect(item.assets.red!.href).toBe(`${base}/13/T/DE/2023/10/S2A_13TDE_20231008_0_L2A/B04.tif`);
  return item;
}

describe('itemAssets', () => {
  it('lists which asked assets the item has; missing ones are reported, not errors', () => {
    expect(itemAssets(v1S2, ['red', 'green', 'blue', 'B04', 'visual-jp2'])).toEqual({ found: ['red', 'green', 'blue', 'visual-jp2'], missing: ['B04'] });
    expect(itemAssets(v0Cogs, ['B04', 'B03', 'B02', 'red'])).toEqual({ found: ['B04', 'B03', 'B02'], missing: ['red'] });
    expect(itemAssets({ ...v1S2, assets: undefined } as unknown as StacItem, ['red'])).toEqual({ found: [], missing: ['red'] });
    expect(itemAssets(v1S2, ['toString', '__proto__'])).toEqual({ found: [], missing: ['toString', '__proto__'] });
  });
});

describe('assetHref', () => {
  it('keeps absolute https and s3 hrefs', async () => {
    expect(await assetHref(v1S2, 'red', noSas)).toBe(
      'https://sentinel-cogs.s3.us-west-2.amazonaws.com/sentinel-s2-l2a-cogs/13/T/DE/2023/10/S2A_13TDE_20231008_0_L2A/B04.tif',
    );
    expect(await assetHref(v1S2, 'red-jp2', noSas)).toBe('s3://sentinel-s2-l2a/tiles/13/T/DE/2023/10/8/0/B04.jp2');
    // Landsat on Earth Search v1: requester-pays s3:// hrefs, kept for the S3 source (S3_REQUESTER_PAYS).
    expect(await assetHref(v1Landsat, 'red', noSas)).toMatch(/^s3:\/\/usgs-landsat\/collection02\/.*_SR_B4\.TIF$/);
  });

  it('resolves relative hrefs against the self link (https, s3, a path)', async () => {
    const relative = rewriteHrefs(v1S2, (href) => './' + href.split('/').pop());
    expect(await assetHref(relative, 'red', noSas)).toBe('https://earth-search.aws.element84.com/v1/collections/sentinel-2-l2a/items/B04.tif');
    const up = rewriteHrefs(v1S2, () => '../assets/B04.tif');
    expect(await assetHref(up, 'red', noSas)).toBe('https://earth-search.aws.element84.com/v1/collections/sentinel-2-l2a/assets/B04.tif');
    // The odc-stac v0 item's self link is an s3:// url.
    const cogs = rewriteHrefs(v0Cogs, (href) => href.split('/').pop()!);
    expect(await assetHref(cogs, 'B04', noSas)).toBe('s3://sentinel-cogs/sentinel-s2-l2a-cogs/2020/S2A_28QCH_20200714_0_L2A/B04.tif');
    const local = { ...relative, links: [{ rel: 'self', href: '/data/stac/items/x.json' }] };
    expect(await assetHref(local, 'red', noSas)).toBe('/data/stac/items/B04.tif');
  });

  it('a relative href without a self link is a 502; an unknown asset a 404', async () => {
    const orphan = { ...rewriteHrefs(v1S2, () => 'B04.tif'), links: [] };
    expect((await failure(assetHref(orphan, 'red', noSas))).status).toBe(502);
    const error = await failure(assetHref(v1S2, 'B04', noSas));
    expect(error.status).toBe(404);
    expect(error.detail).toBe('asset B04 not found in item S2A_13TDE_20231008_0_L2A');
  });

  it('hrefs of items found by a search are readable through openSource', async () => {
    const files = await startRangeServer(FIXTURES);
    const name = 'riotiler-cog_uint8_rgb_mask_4326.tif';
    // The real item, its self link on the local server and its visual asset relative to it.
    const item = {
      ...rewriteHrefs(v1S2, (href, asset) => (asset === 'visual' ? `./${name}` : href)),
      links: [{ rel: 'self', href: `${files.url}/S2A_13TDE_20231008_0_L2A.json` }],
    };
    const api = await startStacApi([item]);
    try {
      const config = loadConfig({ sourceAllowlist: [api.root + '/', files.url + '/'], allowPrivateAddresses: true, pcSasApi: '' }, {});
      const [found] = await searchItems(api.url, { collections: ['sentinel-2-l2a'] }, tilePolygon({ z: 8, x: 53, y: 96 }), { maxItems: 10 }, config);
      const href = await assetHref(found!, 'visual', config);
      expect(href).toBe(`${files.url}/${name}`);
      const source = await openSource(href, config);
      expect(Buffer.from(await source.read({ offset: 0, length: 4 }))).toEqual(Buffer.from([0x49, 0x49, 0x2a, 0x00])); // II*\0
      expect(files.requests.some((r) => r.path === `/${name}`)).toBe(true);
    } finally {
      await api.close();
      await files.close();
    }
  });

  it('S3_REQUESTER_PAYS reaches the S3 settings', () => {
    expect(loadConfig({}, { S3_REQUESTER_PAYS: '1' }).s3.requesterPays).toBe(true);
    expect(loadConfig({}, {}).s3.requesterPays).toBe(false);
    expect(loadConfig({}, {}).pcSasApi).toBe('https://planetarycomputer.microsoft.com/api');
    expect(loadConfig({}, { PC_SAS_API: 'http://proxy.local/api/' }).pcSasApi).toBe('http://proxy.local/api');
  });
});

describe('Planetary Computer SAS signing', () => {
  let sas: SasApi;
  let config: ServerConfig;
  const item = pcItem();

  // A new token API (new url, so an empty token cache) for each test.
  beforeEach(async () => {
    sas = await startSasApi(3600);
    config = loadConfig({ pcSasApi: sas.url, allowPrivateAddresses: true }, {});
  });
  afterEach(async () => {
    vi.useRealTimers();
    await sas.close();
  });

  it('appends the collection’s token to blob hrefs, fetched once however many ask at once', async () => {
    const hrefs = await Promise.all(['red', 'green', 'blue', 'red', 'nir'].map((name) => assetHref(item, name, config)));
    expect(sas.requests).toEqual(['sentinel-2-l2a']);
    for (const [i, name] of ['red', 'green', 'blue', 'red', 'nir'].entries()) {
      const url = new URL(hrefs[i]!);
      expect(url.origin + url.pathname).toBe(item.assets[name]!.href);
      expect(url.searchParams.get('sig')).toBe('token1');
      expect(url.searchParams.get('sp')).toBe('rl');
    }
    await assetHref(item, 'swir16', config);
    expect(sas.requests).toHaveLength(1);
  });

  it('reuses the token until msft:expiry (less a minute), then fetches a new one', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    expect(await assetHref(item, 'red', config)).toMatch(/[?&]sig=token1$/);
    vi.setSystemTime(start + 30 * 60_000);
    expect(await assetHref(item, 'red', config)).toMatch(/[?&]sig=token1$/);
    expect(sas.requests).toHaveLength(1);
    vi.setSystemTime(start + 59 * 60_000 + 30_000); // 30 s before expiry
    expect(await assetHref(item, 'red', config)).toMatch(/[?&]sig=token2$/);
    vi.setSystemTime(start + 61 * 60_000);
    expect(await assetHref(item, 'green', config)).toMatch(/[?&]sig=token2$/); // token2 lives until +119.5 min
    expect(sas.requests).toHaveLength(2);
  });

  it('leaves alone what needs no token: signed blobs, other hosts, s3, and everything when PC_SAS_API is empty', async () => {
    const signed = rewriteHrefs(item, (href) => `${href}?st=x&se=y&sig=already`);
    expect(await assetHref(signed, 'red', config)).toBe(`${item.assets.red!.href}?st=x&se=y&sig=already`);
    expect(await assetHref(v1S2, 'red', config)).toBe(v1S2.assets.red!.href);
    expect(await assetHref(v1S2, 'red-jp2', config)).toBe(v1S2.assets['red-jp2']!.href);
    expect(await assetHref(item, 'red', { ...config, pcSasApi: '' })).toBe(item.assets.red!.href);
    expect(sas.requests).toHaveLength(0);
    const withQuery = rewriteHrefs(item, (href) => `${href}?download=1`);
    expect(await assetHref(withQuery, 'red', config)).toMatch(/\?download=1&st=.*&sig=token1$/);
  });

  it('an item without a collection is signed by storage account and container', async () => {
    const orphan = { ...cloneItem(item, { id: 'no-collection' }), collection: undefined };
    expect(await assetHref(orphan, 'red', config)).toMatch(/[?&]sig=token1$/);
    expect(sas.requests).toEqual(['sentinel2l2a01/sentinel2-l2']);
  });

  it('a token API failure is a 502 with its message and is not cached; a body without a token is malformed', async () => {
    sas.fail = { status: 429, body: { detail: 'Rate limit exceeded for anonymous users' } };
    let error = await failure(assetHref(item, 'red', config));
    expect(error.status).toBe(502);
    expect(error.detail).toContain('SAS token API answered HTTP 429: Rate limit exceeded for anonymous users');
    sas.fail = { status: 200, body: { 'msft:expiry': '2030-01-01T00:00:00Z' } };
    error = await failure(assetHref(item, 'red', config));
    expect(error.detail).toMatch(/^malformed SAS token API response/);
    sas.fail = undefined;
    expect(await assetHref(item, 'red', config)).toMatch(/[?&]sig=token3$/);
    expect(sas.requests).toHaveLength(3);
  });

  it('the token API is reached only under the private-address rule like any upstream', async () => {
    const strict = loadConfig({ pcSasApi: sas.url, allowPrivateAddresses: false }, {});
    const error = await failure(assetHref(item, 'red', strict));
    expect(error.status).toBe(403);
    expect(sas.requests).toHaveLength(0);
  });
});
