import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parse } from '@loaders.gl/core';
import { NPYLoader } from '@loaders.gl/textures';
import { expect } from 'vitest';
import { buildApp } from '../../src/index.js';
import type { ServerConfig } from '../../src/config.js';

/** Where tests keep the COG fixtures, and a scratch directory (also an allowed source root). */
export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cog');
export const fixture = (name: string) => join(FIXTURES, name);
export const scratchDir = () => mkdtempSync(join(tmpdir(), 'krs-test-'));

/** A ready app for `inject()`, allowed to read the fixtures and `extraRoots`. Two workers: CI has 2 cores. */
export async function testApp(config: Partial<ServerConfig> = {}, extraRoots: string[] = []): Promise<FastifyInstance> {
  const app = buildApp({
    config: { sourceAllowlist: [FIXTURES + '/', ...extraRoots], workers: 2, allowPrivateAddresses: true, ...config },
  });
  await app.ready();
  return app;
}

export interface NpyTile {
  data: ArrayLike<number>;
  shape: number[];
  descr: string;
}

/** Parses an npy body the way kepler.gl does (loaders.gl's NPYLoader). */
export async function parseNpy(body: Buffer): Promise<NpyTile> {
  const copy = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const parsed = (await parse(copy, NPYLoader)) as { data: ArrayLike<number>; header: { descr: string; shape: number[] } };
  return { data: parsed.data, shape: parsed.header.shape, descr: parsed.header.descr };
}

export const q = (params: Record<string, string | number | Array<string | number>>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const item of Array.isArray(v) ? v : [v]) s.append(k, String(item));
  return s.toString();
};

/** The app answers `path` with the JSON error the server gives for failures: this status, `no-store`, a detail matching. */
export async function expectJsonError(app: FastifyInstance, path: string, status: number, detail: RegExp) {
  const res = await app.inject(path);
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.headers['cache-control']).toBe('no-store');
  expect(res.json().detail).toMatch(detail);
}
