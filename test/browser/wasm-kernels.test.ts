import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithChromium, launchChromium, type LaunchedBrowser } from '../helpers/chromium.js';
import { scratchDir, testApp } from '../helpers/app.js';
import { FUJI_TILES, writeFujiTiles } from '../helpers/terrain-tiles.js';
import { KERNELS_WASM } from '../../src/paths.js';
import { firstByteDifference } from '../kernels/fixtures.js';

/**
 * The browser build (`kepler-raster-server/wasm`, served under /wasm/) run in Chromium: the meshes
 * it makes from Terrarium PNGs decoded by the browser equal the server's /mesh answers byte for byte.
 */
/**
 * Byte for byte, header included: the glue takes its sines, cosines and Mercator latitudes from the
 * kernels' own libm (src/kernels/libm.ts), not from Math.sin/cos/atan/exp, whose last bits differ
 * between Node 20's V8 and Chromium's.
 */
function expectSameMesh(browser: Uint8Array, server: Uint8Array) {
  expect(browser.byteLength).toBeGreaterThan(1000);
  expect(browser.byteLength).toBe(server.byteLength);
  expect(firstByteDifference(browser, server), 'first differing byte').toBe(-1);
}

const TERRAIN_FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'terrain');

describeWithChromium('WASM kernels in Chromium', () => {
  let app: FastifyInstance;
  let base: string;
  let chrome: LaunchedBrowser;
  let page: Page;
  let root: string;
  const errors: string[] = [];

  beforeAll(async () => {
    root = scratchDir();
    writeFujiTiles(root);
    // the bundled demo tile of /viewer/mesh-example, as a one-tile pyramid the server can read
    mkdirSync(join(root, '11', '385'), { recursive: true });
    copyFileSync(join(TERRAIN_FIXTURES, 'pymartini_terrarium_11_385_803.png'), join(root, '11', '385', '803.png'));
    app = await testApp({}, [root + '/']);
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    chrome = await launchChromium();
    page = await chrome.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.url()}`); });
    await page.goto(`${base}/viewer/mesh-example`);
    await page.waitForSelector('body[data-meshed=true]', { timeout: 30_000 });
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await app?.close();
  });

  const serverMesh = async (path: string, z: number, x: number, y: number, query: string) => {
    const url = encodeURIComponent(`${root}/{z}/{x}/{y}.png`);
    const res = await fetch(`${base}/mesh/${path}/${z}/${x}/${y}.terrain?url=${url}&${query}`);
    expect(res.status).toBe(200);
    return new Uint8Array(await res.arrayBuffer());
  };

  /** The page meshes tile z/x/y from PNG bytes we hand it (the tile and its E, S, SE neighbours when they exist). */
  const browserMesh = async (z: number, x: number, y: number, opts: { maxError: number; quantizer: string; orientation: string }) => {
    const png = (tx: number, ty: number) => {
      try {
        return Array.from(readFileSync(join(root, String(z), String(tx), `${ty}.png`)));
      } catch {
        return null;
      }
    };
    const tiles = { center: png(x, y), east: png(x + 1, y), south: png(x, y + 1), southEast: png(x + 1, y + 1) };
    const out = await page.evaluate(async ({ tiles, tile, opts }) => {
      // a real dynamic import in the page (vitest would rewrite a literal import() in this function)
      const wasm = await new Function('u', 'return import(u)')('/wasm/js/src/browser/index.js');
      const k = await wasm.loadKernels();
      const heights = async (bytes: number[] | null) => {
        if (!bytes) return undefined;
        const img = await wasm.decodeImage(new Uint8Array(bytes));
        return k.decodeTerrarium(img.rgba, img.width, img.height, 4) as Float32Array;
      };
      const [center, east, south, southEast] = await Promise.all([tiles.center, tiles.east, tiles.south, tiles.southEast].map(heights));
      const r = k.meshTerrainTile(tile, { center, east, south, southEast }, opts);
      return Array.from(r.quantizedMesh as Uint8Array);
    }, { tiles, tile: { z, x, y }, opts });
    return new Uint8Array(out);
  };

  it('serves the same .wasm the server loads', async () => {
    const served = new Uint8Array(await (await fetch(`${base}/wasm/kernels.wasm`)).arrayBuffer());
    expect(Buffer.from(served).equals(readFileSync(KERNELS_WASM))).toBe(true);
    expect((await fetch(`${base}/wasm/js/src/kernels/load-node.js`)).status).toBe(404);
    expect((await fetch(`${base}/wasm/js/src/server/app.js`)).status).toBe(404);
  });

  const { z, x0, y0 } = FUJI_TILES;
  const cases: Array<[string, number, number, { maxError: number; quantizer: string; orientation: string }]> = [
    ['Martini, NW tile (E, S, SE neighbours)', x0, y0, { maxError: 10, quantizer: 'martini', orientation: 'kepler' }],
    ['Martini, fine error, NE tile (S neighbour only)', x0 + 1, y0, { maxError: 1, quantizer: 'martini', orientation: 'kepler' }],
    ['Delatin, SW tile (E neighbour only)', x0, y0 + 1, { maxError: 5, quantizer: 'delatin', orientation: 'kepler' }],
    ['Martini, SE tile (no neighbours), Cesium orientation', x0 + 1, y0 + 1, { maxError: 10, quantizer: 'martini', orientation: 'spec' }],
  ];
  for (const [name, x, y, opts] of cases) {
    it(`mesh equals the server's byte for byte: ${name}`, async () => {
      const path = opts.orientation === 'spec' ? 'cesium' : 'tiles';
      const server = await serverMesh(path, z, x, y, `mesh_max_error=${opts.maxError}&mesh_quantizer=${opts.quantizer}`);
      const browser = await browserMesh(z, x, y, opts);
      expect(browser.byteLength).toBeGreaterThan(1000);
      expectSameMesh(browser, server);
    });
  }

  it('the example page meshes the demo Terrarium tile as the server does, and draws it', async () => {
    const server = await serverMesh('tiles', 11, 385, 803, 'mesh_max_error=10');
    const browser = new Uint8Array(await page.evaluate(async () => {
      const ex = (window as any).meshExample;
      const r = await ex.meshTile(ex.kernels, '/viewer/demo/terrarium/{z}/{x}/{y}.png', { z: 11, x: 385, y: 803 }, 10, 'martini');
      return Array.from(r.result.quantizedMesh as Uint8Array);
    }));
    expectSameMesh(browser, server);
    expect(await page.textContent('#status')).toMatch(/^11\/385\/803: \d+ vertices, \d+ triangles/);
    // the canvas shows the wireframe: many colours, little white
    const counts = await page.evaluate(() => {
      const c = document.getElementById('mesh') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      const colours = new Set<number>();
      let white = 0;
      for (let i = 0; i < d.length; i += 4 * 13) {
        colours.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
        if (d[i] === 255 && d[i + 1] === 255 && d[i + 2] === 255) white++;
      }
      return { colours: colours.size, white: white / (d.length / 4 / 13) };
    });
    expect(counts.colours).toBeGreaterThan(50);
    expect(counts.white).toBeLessThan(0.05);
    // the demo tile's neighbours are not bundled: 404s are expected there, nothing else fails
    expect(errors.filter((e) => !/\/viewer\/demo\/terrarium\/11\/(385|386)\/(803|804)\.png$/.test(e))).toEqual([]);
  });
});
