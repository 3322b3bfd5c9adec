import { mkdtemp, mkdir, rm, symlink, writeFile, realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { HttpError } from '../../src/server/errors.js';
import { isUrlAllowed } from '../../src/sources/allowlist.js';
import { openSource } from '../../src/sources/open-source.js';

const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 200,
    (e: unknown) => (e instanceof HttpError ? e.status : String(e)),
  );

describe('allowlist: local paths', () => {
  let tmp: string;
  let root: string;
  let config: ServerConfig;
  beforeAll(async () => {
    tmp = await realpath(await mkdtemp(join(tmpdir(), 'allowlist-')));
    root = join(tmp, 'data');
    await mkdir(join(root, 'sub'), { recursive: true });
    await mkdir(join(tmp, 'data-secret'));
    await mkdir(join(tmp, 'outside'));
    await writeFile(join(root, 'sub', 'a.tif'), 'inside');
    await writeFile(join(tmp, 'data-secret', 'b.tif'), 'sibling');
    await writeFile(join(tmp, 'outside', 'c.tif'), 'outside');
    await symlink(join(tmp, 'outside', 'c.tif'), join(root, 'file-link.tif'));
    await symlink(join(tmp, 'outside'), join(root, 'dir-link'));
    await symlink(join(root, 'sub', 'a.tif'), join(tmp, 'outside', 'link-in.tif'));
    config = loadConfig({ sourceAllowlist: [root] }, {}); // no trailing slash: still a directory root
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('allows files inside a root, by path and file:// URL forms', async () => {
    const file = join(root, 'sub', 'a.tif');
    for (const url of [file, pathToFileURL(file).href, `file://localhost${file}`, `${root}/sub/../sub/a.tif`]) {
      const source = await openSource(url, config);
      expect(source.url).toBe(file);
      expect(new TextDecoder().decode(await source.read({ offset: 0, length: 100 }))).toBe('inside');
    }
  });

  it('allows a missing file inside a root (the read is then a 404)', async () => {
    const source = await openSource(join(root, 'nope.tif'), config);
    expect(await statusOf(source.size())).toBe(404);
  });

  it('refuses paths outside the roots with 403 naming the url', async () => {
    const outside = join(tmp, 'outside', 'c.tif');
    const error = await openSource(outside, config).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 403, detail: `source not allowed: ${outside} is not in SOURCE_ALLOWLIST` });
    expect(await statusOf(openSource('/etc/passwd', config))).toBe(403);
    expect(await statusOf(openSource(join(tmp, 'data-secret', 'b.tif'), config))).toBe(403); // prefix, not a child
    expect(await statusOf(openSource(tmp, config))).toBe(403);
  });

  it('refuses .. traversal in paths and file:// URLs', async () => {
    for (const url of [
      `${root}/../outside/c.tif`,
      `${root}/sub/../../outside/c.tif`,
      `file://${root}/../outside/c.tif`,
      `file://${root}/%2e%2e/outside/c.tif`,
    ]) {
      expect(await statusOf(openSource(url, config)), url).toBe(403);
    }
  });

  it('refuses symlinks that escape a root, to files and through directories', async () => {
    expect(await statusOf(openSource(join(root, 'file-link.tif'), config))).toBe(403);
    expect(await statusOf(openSource(join(root, 'dir-link', 'c.tif'), config))).toBe(403);
    expect(await statusOf(openSource(join(root, 'dir-link', 'missing.tif'), config))).toBe(403);
    // A link from outside into a root is fine: what counts is where the bytes are.
    const source = await openSource(join(tmp, 'outside', 'link-in.tif'), loadConfig({ sourceAllowlist: [root] }, {}));
    expect(source.url).toBe(join(root, 'sub', 'a.tif'));
  });

  it('accepts roots given as file:// URLs and through symlinks', async () => {
    await symlink(root, join(tmp, 'root-link'));
    for (const entry of [pathToFileURL(root).href, join(tmp, 'root-link') + '/']) {
      const source = await openSource(join(root, 'sub', 'a.tif'), loadConfig({ sourceAllowlist: [entry] }, {}));
      expect(source.url).toBe(join(root, 'sub', 'a.tif'));
    }
  });

  it('answers 400 for relative paths, other schemes and malformed urls', async () => {
    const everything = loadConfig({ sourceAllowlist: ['/', 'https://', 'http://', 's3://', 'ftp://'] }, {});
    for (const url of [
      'sub/a.tif',
      './a.tif',
      '../a.tif',
      'ftp://example.com/a.tif',
      'data:application/octet-stream;base64,AAAA',
      'gs://bucket/a.tif',
      'http://',
      'https://exa mple.com/a.tif',
      'file://otherhost/etc/passwd',
      's3://bucket',
      's3://bucket/a/../b.tif',
      '',
    ]) {
      expect(await statusOf(openSource(url, everything)), url).toBe(400);
    }
  });
});

describe('allowlist: URL prefixes', () => {
  it('matches on the normalised URL and on path-segment boundaries', () => {
    const list = ['https://Example.COM/data', 'HTTP://other.org:80/', 's3://bucket/cogs/'];
    const allowed = (url: string) => isUrlAllowed(new URL(url).href, list);
    expect(allowed('https://example.com/data/a.tif')).toBe(true);
    expect(allowed('HTTPS://EXAMPLE.com:443/data/a.tif')).toBe(true);
    expect(allowed('https://example.com/data')).toBe(true);
    expect(allowed('https://example.com/database/a.tif')).toBe(false);
    expect(allowed('https://example.com/data/../secret/a.tif')).toBe(false);
    expect(allowed('https://example.com.evil.org/data/a.tif')).toBe(false);
    expect(allowed('https://example.com@evil.org/data/a.tif')).toBe(false);
    expect(allowed('http://example.com/data/a.tif')).toBe(false);
    expect(allowed('http://other.org/x.tif')).toBe(true);
    expect(allowed('http://other.org:8080/x.tif')).toBe(false);
    expect(isUrlAllowed('s3://bucket/cogs/a.tif', list)).toBe(true);
    expect(isUrlAllowed('s3://bucket/other/a.tif', list)).toBe(false);
    expect(isUrlAllowed('s3://bucket2/cogs/a.tif', list)).toBe(false);
  });

  it('treats a bare scheme as any URL of that scheme', () => {
    expect(isUrlAllowed('https://anything.example/x', ['https://'])).toBe(true);
    expect(isUrlAllowed('http://anything.example/x', ['https://'])).toBe(false);
    expect(isUrlAllowed('s3://any/x', ['S3://'])).toBe(true);
  });

  it('refuses urls outside the list with 403 and never echoes credentials or queries', async () => {
    const config = loadConfig({ sourceAllowlist: ['https://example.com/data/'] }, {});
    const error = (await openSource('https://user:pw@example.com/secret.tif?X-Amz-Signature=abc', config).catch((e: unknown) => e)) as HttpError;
    expect(error.status).toBe(403);
    expect(error.detail).toBe('source not allowed: https://example.com/secret.tif?<redacted> is not in SOURCE_ALLOWLIST');
    expect(await statusOf(openSource('s3://bucket/a.tif', config))).toBe(403);
    expect(await statusOf(openSource('/etc/passwd', config))).toBe(403);
  });
});
