import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildGrid, mosaicHeights, tileEdge } from '../../src/mesh/elevation-grid.js';
import { tileBoundsLonLat } from '../../src/tiling/web-mercator.js';
import { fixture, q, scratchDir, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { decodeTerrain, gridXY, trueError, type Bounds } from '../helpers/mesh-check.js';
import { FUJI_TILES, writeFujiTiles } from '../helpers/terrain-tiles.js';

/**
 * /mesh as kepler.gl asks for it, against Terrarium tiles made from real data (Mt Fuji, 2x2 tiles)
 * served over HTTP: heights, true error at every source pixel, seams between neighbours,
 * orientation for kepler and for Cesium, error cases.
 */
const dir = scratchDir();
const tiles = writeFujiTiles(dir);
const { z, x0, y0 } = FUJI_TILES;
let server: RangeServer;
let app: FastifyInstance;

const heightsOf = (x: number, y: number) => tiles.find((t) => t.x === x && t.y === y)?.heights;
/** The 257 grid of a tile as the server builds it: the tile plus its neighbours' first row/column. */
const edgeOf = (x: number, y: number, part: 'column' | 'row') => { const h = heightsOf(x, y); return h && tileEdge(h, 256, part); };
const gridOf = (x: number, y: number) => buildGrid(heightsOf(x, y)!, 256, {
  eastColumn: edgeOf(x + 1, y, 'column'), southRow: edgeOf(x, y + 1, 'row'), corner: heightsOf(x + 1, y + 1)?.[0],
});
const boundsOf = (x: number, y: number) => tileBoundsLonLat({ z, x, y }) as Bounds;

beforeAll(async () => {
  server = await startRangeServer(dir);
  app = await testApp({ terrariumUrlTemplate: `${server.url}/{z}/{x}/{y}.png` }, [server.url + '/']);
});
afterAll(async () => { await app?.close(); await server?.close(); });

const meshPath = (x: number, y: number, params: Record<string, string | number> = {}, prefix = '/mesh/tiles') =>
  `${prefix}/${z}/${x}/${y}.terrain?${q({ url: 'terrarium', mesh_max_error: 15.05, ...params })}`;

describe('/mesh/tiles for kepler.gl', () => {
  for (const quantizer of ['delatin', 'martini']) {
    it(`${quantizer}: every vertex on the source heights, true error within mesh_max_error everywhere`, async () => {
      const res = await app.inject(meshPath(x0, y0, { mesh_quantizer: quantizer }));
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('application/vnd.quantized-mesh');
      expect(res.headers['access-control-allow-origin']).toBe('*');
      const bounds = boundsOf(x0, y0);
      const mesh = await decodeTerrain(res.rawPayload, bounds, 'kepler');
      const grid = gridOf(x0, y0);
      const heights = Array.from(grid);
      const step = (Math.max(...heights) - Math.min(...heights)) / 32767;
      expect(mesh.positions.length / 3).toBeGreaterThan(100);
      for (let i = 0; i < mesh.positions.length; i += 3) {
        const [gx, gy] = gridXY(mesh.positions[i], mesh.positions[i + 1], bounds, 256).map(Math.round);
        expect(Math.abs(mesh.positions[i + 2] - grid[gy * 257 + gx])).toBeLessThanOrEqual(step + 1e-3);
      }
      const { maxError, covered } = trueError(mesh, grid, 256, bounds);
      expect(covered).toBe(257 * 257);
      expect(maxError).toBeLessThanOrEqual(15.05 + step + 1e-3);
    });

    it(`${quantizer}: neighbours have the same vertices along their shared edges`, async () => {
      const decoded = new Map<string, Float32Array>();
      for (const [x, y] of [[x0, y0], [x0 + 1, y0], [x0, y0 + 1]]) {
        const res = await app.inject(meshPath(x, y, { mesh_quantizer: quantizer }));
        expect(res.statusCode).toBe(200);
        decoded.set(`${x},${y}`, (await decodeTerrain(res.rawPayload, boundsOf(x, y), 'kepler')).positions);
      }
      const edge = (p: Float32Array, pick: (lon: number, lat: number) => boolean) => {
        const out: string[] = [];
        for (let i = 0; i < p.length; i += 3) if (pick(p[i], p[i + 1])) out.push(`${p[i + 1].toFixed(4)}/${p[i].toFixed(4)}:${p[i + 2].toFixed(1)}`);
        return out.sort();
      };
      const [, , east] = boundsOf(x0, y0);
      const [, south] = boundsOf(x0, y0);
      const near = (a: number, b: number) => Math.abs(a - b) < 1e-6;
      // east edge of (x0, y0) = west edge of (x0 + 1, y0)
      expect(edge(decoded.get(`${x0},${y0}`)!, (lon) => near(lon, east))).toEqual(edge(decoded.get(`${x0 + 1},${y0}`)!, (lon) => near(lon, east)));
      // south edge of (x0, y0) = north edge of (x0, y0 + 1)
      const a = edge(decoded.get(`${x0},${y0}`)!, (_, lat) => near(lat, south));
      expect(a.length).toBeGreaterThan(2);
      expect(a).toEqual(edge(decoded.get(`${x0},${y0 + 1}`)!, (_, lat) => near(lat, south)));
    });
  }

  it('@2x: a 513 grid from the four child tiles, exact', async () => {
    const res = await app.inject(`/mesh/tiles/${z - 1}/${x0 / 2}/${y0 / 2}@2x.terrain?${q({ url: 'terrarium', mesh_max_error: 30.1 })}`);
    expect(res.statusCode).toBe(200);
    const bounds = tileBoundsLonLat({ z: z - 1, x: x0 / 2, y: y0 / 2 }) as Bounds;
    const mesh = await decodeTerrain(res.rawPayload, bounds, 'kepler');
    // the children side by side, no neighbours: the last row/column repeat
    const center = mosaicHeights([heightsOf(x0, y0), heightsOf(x0 + 1, y0), heightsOf(x0, y0 + 1), heightsOf(x0 + 1, y0 + 1)], 2, 256);
    const grid = buildGrid(center, 512, {});
    const { maxError, covered } = trueError(mesh, grid, 512, bounds);
    expect(covered).toBe(513 * 513);
    expect(maxError).toBeLessThanOrEqual(30.1 + 0.2);
  });

  it('layer.json describes the Cesium route, whose tiles decode in the spec orientation', async () => {
    const layer = await app.inject(`/mesh/layer.json?${q({ url: 'terrarium', mesh_max_error: 15.05 })}`);
    expect(layer.statusCode).toBe(200);
    const tj = layer.json();
    expect(tj).toMatchObject({ format: 'quantized-mesh-1.0', scheme: 'slippyMap', projection: 'EPSG:3857' });
    const path = '/mesh/' + tj.tiles[0].replace('{z}', z).replace('{x}', x0).replace('{y}', y0);
    const res = await app.inject({ url: path, headers: { accept: 'application/vnd.quantized-mesh;extensions=octvertexnormals-metadata' } });
    expect(res.statusCode).toBe(200);
    const bounds = boundsOf(x0, y0);
    const mesh = await decodeTerrain(res.rawPayload, bounds, 'spec');
    expect(trueError(mesh, gridOf(x0, y0), 256, bounds).maxError).toBeLessThanOrEqual(15.1);
  });

  it('serves a DEM COG through the COG pipeline', async () => {
    const t = { z: 15, x: 17030, y: 11667 };
    const res = await app.inject(`/mesh/tiles/${t.z}/${t.x}/${t.y}.terrain?${q({ url: fixture('titiler-dem_float32_epsg2056.tif'), mesh_max_error: 2 })}`);
    expect(res.statusCode).toBe(200);
    const mesh = await decodeTerrain(res.rawPayload, tileBoundsLonLat(t) as Bounds, 'kepler');
    const h = Array.from(mesh.positions.filter((_, i) => i % 3 === 2));
    expect(Math.min(...h)).toBeGreaterThan(1500);
    expect(Math.max(...h)).toBeLessThan(2100);
  });
});

describe('/mesh errors', () => {
  it.each([
    ['missing tile', `/mesh/tiles/${z}/0/0.terrain?url=terrarium`, 404],
    ['bad z/x/y', `/mesh/tiles/${z}/99999/0.terrain?url=terrarium`, 400],
    ['bad quantizer', `/mesh/tiles/${z}/${x0}/${y0}.terrain?url=terrarium&mesh_quantizer=x`, 400],
    ['bad max error', `/mesh/tiles/${z}/${x0}/${y0}.terrain?url=terrarium&mesh_max_error=-1`, 400],
    ['wrong extension', `/mesh/tiles/${z}/${x0}/${y0}.png?url=terrarium`, 400],
    ['forbidden template', `/mesh/tiles/${z}/${x0}/${y0}.terrain?${q({ url: 'http://169.254.169.254/{z}/{x}/{y}.png' })}`, 403],
  ])('%s', async (_name, path, status) => {
    const res = await app.inject(path);
    expect(res.statusCode).toBe(status);
    expect(res.json().detail).toEqual(expect.any(String));
  });

  it('a corrupt PNG is 502, nothing is cached, and the tile works once the PNG is fixed', async () => {
    const y = y0 + 5;
    const file = join(dir, String(z), String(x0), `${y}.png`);
    writeFileSync(file, Buffer.from('\x89PNG\r\n\x1a\nnot really a png'));
    const path = `/mesh/tiles/${z}/${x0}/${y}.terrain?url=terrarium`;
    const bad = await app.inject(path);
    expect(bad.statusCode).toBe(502);
    expect(bad.json().detail).toMatch(/PNG/);
    expect(bad.headers['cache-control']).toBe('no-store');
    copyFileSync(join(dir, String(z), String(x0), `${y0}.png`), file);
    const good = await app.inject(path);
    expect(good.statusCode).toBe(200);
  });
});
