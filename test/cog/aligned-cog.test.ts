import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { readCogHeader } from '../../src/cog/cog-header.js';
import { FileSource } from '../../src/sources/file-source.js';
import { planTile } from '../../src/tiling/tile-plan.js';
import { tileForLonLat } from '../../src/tiling/web-mercator.js';
import { compareTiles, describeWithGdal, gdalReferenceTile } from '../helpers/gdal.js';
import { fixture, parseNpy, q, scratchDir, testApp } from '../helpers/app.js';

/**
 * A COG already on the WebMercatorQuad grid (GDAL's COG driver, TILING_SCHEME=GoogleMapsCompatible)
 * is served by copying blocks, not resampling (titiler#431), and equals gdalwarp exactly.
 */
const dir = scratchDir();
const aligned = join(dir, 'aligned.tif');
let app: FastifyInstance;

describeWithGdal('COGs on the WebMercatorQuad grid', () => {
  beforeAll(async () => {
    await promisify(execFile)('gdal_translate', ['-q', '-of', 'COG', '-co', 'TILING_SCHEME=GoogleMapsCompatible', '-co', 'COMPRESS=DEFLATE',
      fixture('riotiler-rgb_uint16_utm.tif'), aligned]);
    app = await testApp({}, [dir + '/']);
  });
  afterAll(async () => { await app?.close(); });

  it('plans a block copy at the native zoom and resamples at others', async () => {
    const header = await readCogHeader(new FileSource(aligned));
    const t = tileForLonLat(-80.07, 33.17, 7);
    expect(planTile(header, t, 256, 'bilinear')?.copy).toBeDefined();
    expect(planTile(header, tileForLonLat(-80.07, 33.17, 8), 256, 'nearest')?.copy).toBeUndefined();
  });

  it('copies the pixels gdalwarp gives, for every resampling method', async () => {
    const t = tileForLonLat(-80.07, 33.17, 7);
    const ref = await gdalReferenceTile(aligned, t.z, t.x, t.y, { resampling: 'near' });
    for (const resampling of ['nearest', 'bilinear', 'cubic']) {
      const res = await app.inject(`/cog/tiles/WebMercatorQuad/${t.z}/${t.x}/${t.y}.npy?${q({ url: aligned, resampling })}`);
      expect(res.statusCode).toBe(200);
      const npy = await parseNpy(res.rawPayload);
      const n = 256 * 256;
      const bands = [0, 1, 2].map((b) => Array.prototype.slice.call(npy.data, b * n, (b + 1) * n) as number[]);
      const mask = Array.prototype.slice.call(npy.data, 3 * n, 4 * n) as number[];
      const c = compareTiles({ bands, mask }, ref);
      expect(c.maskAgreement).toBe(1);
      expect(c.equalFraction).toBe(1);
      expect(c.validBoth).toBeGreaterThan(1000);
    }
  });
});
