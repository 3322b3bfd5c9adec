import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { tileForLonLat } from '../../src/tiling/web-mercator.js';
import { compareTiles, describeWithGdal, gdalReferenceTile } from '../helpers/gdal.js';
import { fixture, parseNpy, q, scratchDir, testApp } from '../helpers/app.js';

/**
 * Where TiTiler's users hit walls: a COG across the antimeridian, and a large COG without
 * overviews at a low zoom (read decimated, memory bounded). Test data is made here with GDAL.
 */
const run = promisify(execFile);
const dir = scratchDir();
const antimeridian = join(dir, 'antimeridian.tif');
const noOverviews = join(dir, 'no-overviews.tif');
let app: FastifyInstance;

async function npyTile(url: string, z: number, x: number, y: number, resampling = 'nearest') {
  const res = await app.inject(`/cog/tiles/WebMercatorQuad/${z}/${x}/${y}.npy?${q({ url, resampling })}`);
  expect(res.statusCode).toBe(200);
  const npy = await parseNpy(res.rawPayload);
  const n = npy.shape[1] * npy.shape[2];
  return { bands: [Array.prototype.slice.call(npy.data, 0, n) as number[]], mask: Array.prototype.slice.call(npy.data, n, 2 * n) as number[] };
}

describeWithGdal('edge cases', () => {
  beforeAll(async () => {
    // 175E..185E (= 175W), float32 with NaN nodata
    await run('gdal_translate', ['-q', '-a_srs', 'EPSG:4326', '-a_ullr', '175', '10', '185', '0', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE',
      fixture('titiler-cog_with_nan_float32_4326.tif'), antimeridian]);
    // 5000x5000 float32, no overviews
    await run('gdal_translate', ['-q', '-co', 'TILED=YES', '-co', 'COMPRESS=DEFLATE', '-co', 'BLOCKXSIZE=512', '-co', 'BLOCKYSIZE=512',
      '-outsize', '5000', '5000', '-r', 'bilinear', fixture('titiler-dem_float32_epsg2056.tif'), noOverviews]);
    app = await testApp({ blockCacheBytes: 32 * 1024 * 1024 }, [dir + '/']);
  }, 60_000);
  afterAll(async () => { await app?.close(); });

  it('serves a COG that crosses the antimeridian on both sides', async () => {
    const { stdout } = await run('gdallocationinfo', ['-valonly', '-geoloc', antimeridian, '182.3', '4.2']);
    const expected = Number(stdout.trim());
    const res = await app.inject(`/cog/point/-177.7,4.2?${q({ url: antimeridian })}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().values[0]).toBeCloseTo(expected, 4);
    for (const lon of [178, -178]) {
      const t = tileForLonLat(lon, 5, 5);
      const tile = await npyTile(antimeridian, t.z, t.x, t.y);
      expect(tile.mask.filter((v) => v > 0).length, `tile ${t.z}/${t.x}/${t.y}`).toBeGreaterThan(1000);
    }
  });

  it('reads a COG without overviews decimated at a low zoom, close to gdalwarp', async () => {
    const t = tileForLonLat(7.098, 45.922, 13);
    const ours = await npyTile(noOverviews, t.z, t.x, t.y);
    const ref = await gdalReferenceTile(noOverviews, t.z, t.x, t.y, { resampling: 'near' });
    const c = compareTiles(ours, ref);
    expect(c.validBoth).toBeGreaterThan(1000);
    expect(c.maskAgreement).toBeGreaterThanOrEqual(0.99);
    expect(c.meanAbsDiff).toBeLessThan(1); // metres: the decimated read picks a neighbouring 0.2 m pixel
  }, 60_000);
});
