import { copyFile, mkdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, scratchDir, testApp } from '../helpers/app.js';

/**
 * Local files through the routes: only what lies under a configured data root is read. Every other
 * spelling of a path outside it is 400 (not a path or URL we take) or 403 (outside the roots), and
 * never the secret's bytes. The secret is a real COG, so a leak would be a 200.
 */
const tmp = scratchDir();
const root = join(tmp, 'data', 'cogs'); // allowed, given without a trailing slash
const secret = join(tmp, 'data', 'cogs-secret', 'x.tif'); // a sibling sharing the root's prefix
const outside = join(tmp, 'outside', 'y.tif');
let app: FastifyInstance;

beforeAll(async () => {
  const cog = fixture('cogeotiff-rgba8_cog.tiff');
  for (const dir of [root, join(tmp, 'data', 'cogs-secret'), join(tmp, 'outside')]) await mkdir(dir, { recursive: true });
  await copyFile(cog, join(root, 'a.tif'));
  await copyFile(cog, secret);
  await copyFile(cog, outside);
  await symlink(outside, join(root, 'file-link.tif'));
  await symlink(join(tmp, 'outside'), join(root, 'dir-link'));
  await symlink(join(tmp, 'data', 'cogs-secret'), join(root, 'sibling-link'));
  app = await testApp({ sourceAllowlist: [root] });
});
afterAll(async () => {
  await app?.close();
  await rm(tmp, { recursive: true, force: true });
});

/** The status and detail of /cog/info for a raw `url` value (percent-encoded once, as a client sends it). */
async function info(url: string) {
  const res = await app.inject(`/cog/info?url=${encodeURIComponent(url)}`);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return { status: res.statusCode, detail: (res.json() as { detail?: string }).detail };
}

describe('local files: only under the data roots', () => {
  it('serves a file under the root (the baseline the refusals are measured against)', async () => {
    expect((await info(join(root, 'a.tif'))).status).toBe(200);
    expect((await info(`file://${root}/a.tif`)).status).toBe(200);
    expect((await info(`${root}/./sub/../a.tif`)).status).toBe(200);
  });

  it('refuses absolute paths and file:// URLs outside the roots with 403', async () => {
    for (const url of [secret, outside, '/etc/passwd', `file://${secret}`, 'file:///etc/passwd', `file://localhost${outside}`, tmp, '/']) {
      const { status, detail } = await info(url);
      expect(status, url).toBe(403);
      expect(detail).toMatch(/not in SOURCE_ALLOWLIST/);
    }
  });

  it('respects the directory boundary: /data/cogs does not allow /data/cogs-secret', async () => {
    expect((await info(secret)).status).toBe(403);
    expect((await info(`${root}-secret/x.tif`)).status).toBe(403);
    expect((await info(`${root}/../cogs-secret/x.tif`)).status).toBe(403);
  });

  it('refuses .. traversal, raw and percent-encoded in file:// URLs', async () => {
    for (const url of [
      `${root}/../cogs-secret/x.tif`,
      `${root}/../../outside/y.tif`,
      `${root}/a.tif/../../../outside/y.tif`,
      `file://${root}/../cogs-secret/x.tif`,
      `file://${root}/%2e%2e/cogs-secret/x.tif`,
      `file://${root}/%2E%2E/%2e%2e/outside/y.tif`,
      `file://${root}/.%2e/cogs-secret/x.tif`,
    ]) {
      expect((await info(url)).status, url).toBe(403);
    }
    // an encoded slash could hide a segment from the folding: refused outright
    expect((await info(`file://${root}/..%2fcogs-secret/x.tif`)).status).toBe(400);
  });

  it('takes raw paths literally: a percent-encoded .. in a path is a file name, not a way out', async () => {
    // `url` double-encoded by the client arrives as `%2e%2e`: a missing file inside the root
    for (const url of [`${root}/%2e%2e/cogs-secret/x.tif`, `${root}/..%2fcogs-secret%2fx.tif`, `${root}/..\\..\\outside\\y.tif`]) {
      const { status, detail } = await info(url);
      expect(status, url).toBe(404);
      expect(detail).toMatch(/^not found/);
    }
  });

  it('refuses symlinks inside a root that point outside it (checked on the real path)', async () => {
    for (const url of [join(root, 'file-link.tif'), join(root, 'dir-link', 'y.tif'), join(root, 'sibling-link', 'x.tif'), join(root, 'dir-link', 'missing.tif')]) {
      expect((await info(url)).status, url).toBe(403);
    }
  });

  it('answers 400 for ~, relative, Windows-style and remote-host paths and for NUL bytes', async () => {
    for (const url of [
      '~/a.tif',
      '~root/.ssh/id_rsa',
      'a.tif',
      '../etc/passwd',
      'C:\\Windows\\win.ini',
      'C:/Windows/win.ini',
      'c:a.tif',
      '\\\\server\\share\\a.tif',
      '..\\..\\etc\\passwd',
      'file://server/share/a.tif',
      `${root}/a.tif\0.png`,
      `file://${root}/a.tif%00.png`,
      '\0',
    ]) {
      const { status, detail } = await info(url);
      expect(status, JSON.stringify(url)).toBe(400);
      expect(detail).toMatch(/unsupported source url/);
    }
  });

  it('a directory under the root is not a file', async () => {
    expect((await info(root)).status).toBe(404);
    expect((await info(`${root}/`)).status).toBe(404);
  });

  it("the viewer's static files cannot reach outside their directories", async () => {
    for (const path of [
      '/wasm/js/src/browser/../../../../package.json',
      '/wasm/js/src/browser/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd.js',
      '/wasm/js/src/browser/..%2f..%2f..%2fconfig.js',
      '/wasm/js/src/viewer/../config.js',
      '/wasm/js/src/kernels/load-node.js',
      '/wasm/js/src//etc/passwd.js',
      '/viewer/maplibre-gl.%2e%2e%2fpackage.json',
    ]) {
      const res = await app.inject(path);
      expect(res.statusCode, path).toBe(404);
      expect(res.json().detail).toMatch(/^not found/);
    }
  });
});
