import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { decode } from 'fast-png';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMPILED_JS, KERNELS_WASM, PACKAGE_ROOT } from '../../src/paths.js';
import { scratchDir, testApp } from '../helpers/app.js';
import { FUJI_TILES, writeFujiTiles } from '../helpers/terrain-tiles.js';

/**
 * The browser build (`kepler-raster-server/wasm`) without a browser: the package export, a module
 * graph free of Node imports, the routes that serve it, and (in Node, same engine as the server)
 * meshes identical to /mesh byte for byte.
 */
const BROWSER_ENTRY = join(COMPILED_JS, 'src', 'browser', 'index.js');

/** Every module the entry imports, transitively, by relative specifier; throws on anything else. */
function moduleGraph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (!spec.startsWith('.')) throw new Error(`${file} imports ${spec}: the browser build must only import relative modules`);
      visit(resolve(dirname(file), spec));
    }
  };
  visit(entry);
  return [...seen];
}

describe('browser build (kepler-raster-server/wasm)', () => {
  let app: FastifyInstance;
  let root: string;
  beforeAll(async () => {
    root = scratchDir();
    writeFujiTiles(root);
    app = await testApp({}, [root + '/']);
  });
  afterAll(() => app?.close());

  it('is the package export ./wasm, with types', async () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    expect(pkg.exports['./wasm'].default).toBe('./build/js/src/browser/index.js');
    const mod = await import('kepler-raster-server/wasm');
    expect(typeof mod.loadKernels).toBe('function');
    expect(new URL(mod.DEFAULT_WASM_URL).pathname).toBe(KERNELS_WASM);
  });

  it('imports nothing but its own relative modules (no node:, no packages)', () => {
    const files = moduleGraph(BROWSER_ENTRY).map((f) => f.slice(COMPILED_JS.length + 1));
    expect(files).toContain('src/kernels/kernels.js');
    expect(files.every((f) => /^src\/(browser|kernels|mesh|tiling)\//.test(f))).toBe(true);
    expect(files).not.toContain('src/kernels/load-node.js');
  });

  it('the viewer routes serve the pages, MapLibre from node_modules, the .wasm and the modules, nothing else', async () => {
    const viewer = await app.inject('/viewer');
    expect(viewer.statusCode).toBe(200);
    expect(viewer.body).toContain('/viewer/maplibre-gl.js');
    expect(viewer.body).toContain('riotiler-cog_uint8_rgb_mask_4326.tif');
    const js = await app.inject('/viewer/maplibre-gl.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.rawPayload.byteLength).toBeGreaterThan(100_000);
    expect((await app.inject('/viewer/maplibre-gl.css')).statusCode).toBe(200);
    const wasm = await app.inject('/wasm/kernels.wasm');
    expect(wasm.headers['content-type']).toBe('application/wasm');
    expect(wasm.rawPayload.equals(readFileSync(KERNELS_WASM))).toBe(true);
    expect((await app.inject('/wasm/js/src/browser/index.js')).headers['content-type']).toMatch(/javascript/);
    expect((await app.inject('/wasm/js/src/viewer/viewer.js')).statusCode).toBe(200);
    for (const bad of ['/wasm/js/src/server/app.js', '/wasm/js/src/kernels/load-node.js', '/wasm/js/src/browser/../../../../package.json',
      '/wasm/js/src/browser/%2e%2e/%2e%2e/%2e%2e/%2e%2e/package.json', '/wasm/js/src/browser/index.d.ts', '/viewer/maplibre-gl.txt']) {
      expect((await app.inject(bad)).statusCode, bad).toBe(404);
    }
    const demo = await app.inject('/viewer/demo/terrarium/11/385/803.png');
    expect(demo.headers['content-type']).toBe('image/png');
    expect((await app.inject('/viewer/mesh-example')).body).toContain('/wasm/js/src/viewer/mesh-example.js');
  });

  it('meshTerrainTile in Node equals /mesh byte for byte (Martini and Delatin, both orientations)', async () => {
    const { loadKernels } = await import('kepler-raster-server/wasm');
    const k = await loadKernels(readFileSync(KERNELS_WASM));
    const { z, x0, y0 } = FUJI_TILES;
    const heights = (x: number, y: number) => {
      try {
        const png = decode(readFileSync(join(root, String(z), String(x), `${y}.png`)));
        return k.decodeTerrarium(png.data as Uint8Array, png.width, png.height, png.channels as 3 | 4);
      } catch {
        return undefined;
      }
    };
    for (const [x, y, maxError, quantizer, orientation] of [
      [x0, y0, 10, 'martini', 'kepler'], [x0 + 1, y0, 2, 'martini', 'spec'], [x0, y0 + 1, 5, 'delatin', 'kepler'], [x0 + 1, y0 + 1, 10, 'delatin', 'spec'],
    ] as const) {
      const res = await app.inject(`/mesh/${orientation === 'kepler' ? 'tiles' : 'cesium'}/${z}/${x}/${y}.terrain?url=${encodeURIComponent(`${root}/{z}/{x}/{y}.png`)}&mesh_max_error=${maxError}&mesh_quantizer=${quantizer}`);
      expect(res.statusCode).toBe(200);
      const mine = k.meshTerrainTile({ z, x, y }, { center: heights(x, y)!, east: heights(x + 1, y), south: heights(x, y + 1), southEast: heights(x + 1, y + 1) }, { maxError, quantizer, orientation });
      expect(Buffer.from(mine.quantizedMesh).equals(res.rawPayload), `${x}/${y} ${quantizer} ${orientation}`).toBe(true);
    }
  });
});
