import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { HttpError } from '../../src/server/errors.js';
import { checkAllowlist } from '../../src/sources/allowlist.js';
import { parseSourceUrl } from '../../src/sources/source-url.js';

/** The status checkAllowlist gives a url under a list (no I/O for URLs: the address rules come later). */
async function verdict(url: string, allowlist: string[]): Promise<number | string> {
  try {
    await checkAllowlist(parseSourceUrl(url), url, allowlist);
    return 200;
  } catch (e) {
    return e instanceof HttpError ? e.status : String(e);
  }
}

describe('SOURCE_ALLOWLIST defaults', () => {
  const defaults = loadConfig({}, {}).sourceAllowlist;

  it('is the demo data folder, any https:// URL and any s3:// object', () => {
    expect(defaults).toEqual([DEMO_DATA_DIR, 'https://', 's3://']);
  });

  it('allows those and nothing else: no plain http, no other local file', async () => {
    expect(await verdict(`${DEMO_DATA_DIR}/cogeotiff-rgba8_cog.tiff`, defaults)).toBe(200);
    expect(await verdict('https://example.com/a.tif', defaults)).toBe(200);
    expect(await verdict('s3://any-bucket/a.tif', defaults)).toBe(200);
    for (const url of ['http://example.com/a.tif', '/etc/passwd', 'file:///etc/passwd', `${DEMO_DATA_DIR}/../package.json`, `${DEMO_DATA_DIR.replace(/\/$/, '')}-other/a.tif`]) {
      expect(await verdict(url, defaults), url).toBe(403);
    }
  });

  it('a list in the environment replaces the defaults entirely', () => {
    expect(loadConfig({}, { SOURCE_ALLOWLIST: 'https://data.example.com/cogs/, /srv/cogs' }).sourceAllowlist).toEqual(['https://data.example.com/cogs/', '/srv/cogs']);
  });
});

describe('URL prefixes match on URL boundaries', () => {
  const list = ['https://example.com', 'https://data.example.org/cogs', 's3://bucket/cogs'];

  it('a host prefix is that host only', async () => {
    expect(await verdict('https://example.com/a.tif', list)).toBe(200);
    expect(await verdict('https://EXAMPLE.com:443/a.tif', list)).toBe(200);
    for (const url of [
      'https://example.com.evil.net/a.tif',
      'https://example.com%2eevil.net/a.tif',
      'https://example.com@evil.net/a.tif',
      'https://example.com:pw@evil.net/a.tif',
      'https://user@example.com/a.tif', // userinfo is not part of any allowed prefix
      'https://example.community/a.tif',
      'https://example.com:8443/a.tif',
      'http://example.com/a.tif',
      'https://evil.net/https://example.com/a.tif',
      'https://evil.net/?https://example.com',
      'https://evil.net#https://example.com',
    ]) {
      expect(await verdict(url, list), url).toBe(403);
    }
    // WHATWG URL parsing reads a backslash as a slash: this is example.com with the path /@evil.net/a.tif
    expect(await verdict('https://example.com\\@evil.net/a.tif', list)).toBe(200);
  });

  it('a path prefix ends on a segment boundary, after dot segments are folded', async () => {
    expect(await verdict('https://data.example.org/cogs/a.tif', list)).toBe(200);
    expect(await verdict('https://data.example.org/cogs?x=1', list)).toBe(200);
    for (const url of [
      'https://data.example.org/cogs-secret/a.tif',
      'https://data.example.org/cogsx',
      'https://data.example.org/cogs/../secret/a.tif',
      'https://data.example.org/cogs/%2e%2e/secret/a.tif',
      'https://data.example.org/Cogs/a.tif',
    ]) {
      expect(await verdict(url, list), url).toBe(403);
    }
  });

  it('s3 prefixes: bucket and key prefix on boundaries, no dot segments', async () => {
    expect(await verdict('s3://bucket/cogs/a.tif', list)).toBe(200);
    expect(await verdict('s3://bucket/cogs-secret/a.tif', list)).toBe(403);
    expect(await verdict('s3://bucket-secret/cogs/a.tif', list)).toBe(403);
    expect(await verdict('s3://bucket/cogs/../secret/a.tif', list)).toBe(400);
  });

  it('a malformed or relative entry allows nothing', async () => {
    for (const entry of ['cogs/', '~/cogs', 'https//example.com', '']) {
      expect(await verdict('https://example.com/a.tif', [entry]), entry).toBe(403);
    }
  });
});
