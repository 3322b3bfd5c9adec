import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_NGINX } from '../helpers/nginx.js';
import { describeWithSystemTool } from '../helpers/system-tool.js';
import { startStaticTiles, type StaticTiles } from './static-tiles.js';

/**
 * The mesh HTTP benchmark's tile servers (nginx, and tile-server.ts where nginx is missing) serve a
 * folder as the server's ranged reads expect, and count exactly the requests they answered (the
 * benchmark's PNG reads per tile), not their own status reads.
 */
const root = mkdtempSync(join(tmpdir(), 'static-tiles-test-'));
const png = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
mkdirSync(join(root, '11', '5'), { recursive: true });
writeFileSync(join(root, '11', '5', '9.png'), png);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function servesTheFolder(kind: 'nginx' | 'node') {
  let tiles: StaticTiles;
  beforeAll(async () => {
    tiles = await startStaticTiles(root, kind === 'nginx');
  });
  afterAll(() => tiles?.close());

  it(`is the ${kind} tile server`, () => {
    expect(tiles.kind).toBe(kind);
  });

  it('answers ranged reads, a range past the end clamped, and 404 for a missing file; counting only those', async () => {
    const before = await tiles.stats();
    const whole = await fetch(`${tiles.url}/11/5/9.png`, { headers: { range: 'bytes=0-8388607' } });
    expect(whole.status).toBe(206);
    expect(whole.headers.get('content-range')).toBe('bytes 0-999/1000');
    expect(Buffer.from(await whole.arrayBuffer())).toEqual(png);
    const part = await fetch(`${tiles.url}/11/5/9.png`, { headers: { range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(png.subarray(10, 20));
    const missing = await fetch(`${tiles.url}/11/5/10.png`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();
    const after = await tiles.stats();
    expect(after.requests - before.requests).toBe(3);
    if (process.platform === 'linux') expect(after.cpuMs).toBeGreaterThanOrEqual(before.cpuMs);
  });
}

describe('bench tile server: tile-server.ts (Node)', { timeout: 20_000 }, () => servesTheFolder('node'));

describeWithSystemTool(
  { name: 'nginx', available: HAS_NGINX, missingMessage: 'nginx is not installed (Debian: apt-get install nginx-light)' },
  'bench tile server: nginx',
  () => servesTheFolder('nginx'),
  { timeout: 20_000 },
);
