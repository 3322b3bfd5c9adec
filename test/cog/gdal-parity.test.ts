import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { readCogHeader } from '../../src/cog/cog-header.js';
import { FileSource } from '../../src/sources/file-source.js';
import { chooseLevel } from '../../src/tiling/overview.js';
import { warpChunks, warpGeometry } from '../../src/tiling/warp-scale.js';
import { tileBoundsMercator } from '../../src/tiling/web-mercator.js';
import { compareTiles, describeWithGdal, gdalInfo, gdalReferenceTile, gdalwarpArgs, tileForLonLat } from '../helpers/gdal.js';
import { fixture, parseNpy, q, testApp } from '../helpers/app.js';

const execFileP = promisify(execFile);

/**
 * Our tiles against gdalwarp to the same 256x256 Web-Mercator grid, for every COG fixture at
 * several zooms, in the interior and at the edges of the data.
 */
const FIXTURES: Array<{ file: string; zooms: number[]; dem?: boolean; nearestOnly?: number[] }> = [
  // z5: up to 5 DN mean difference for bilinear/cubic, from the coordinates, not the filter: gdalwarp
  // runs its approximate transformer on every output row of each chunk, our grid interpolates between
  // node rows 16 apart (with a coordinate per row and per chunk the difference drops to 0.3 to 2 DN;
  // the 0.125-pixel approximation itself moves GDAL's own values by 7 DN here). Nearest only.
  { file: 'riotiler-cog_uint16_utm_ovr.tif', zooms: [5, 7, 9, 11], nearestOnly: [5] },
  { file: 'riotiler-rgb_uint16_utm.tif', zooms: [10, 12, 14] },
  { file: 'titiler-dem_float32_epsg2056.tif', zooms: [13, 15, 17], dem: true },
  { file: 'riotiler-cog_uint8_rgb_mask_4326.tif', zooms: [5, 7, 9] },
  { file: 'titiler-cog_with_nan_float32_4326.tif', zooms: [4, 6, 8], dem: true },
  { file: 'cogeotiff-rgba8_cog.tiff', zooms: [16, 18] },
];

let app: FastifyInstance;

async function ourTile(file: string, z: number, x: number, y: number, resampling: string) {
  const res = await app.inject(`/cog/tiles/WebMercatorQuad/${z}/${x}/${y}.npy?${q({ url: fixture(file), resampling })}`);
  if (res.statusCode !== 200) return { status: res.statusCode };
  const npy = await parseNpy(res.rawPayload);
  const [bands, h, w] = npy.shape;
  const n = h * w;
  const all = Array.from({ length: bands }, (_, b) => Array.prototype.slice.call(npy.data, b * n, (b + 1) * n) as number[]);
  return { status: 200, bands: all.slice(0, -1), mask: all[all.length - 1] };
}

/** Tiles over the centre and the four corners of the data, at zoom z. */
async function tilesOf(file: string, z: number) {
  const info = await gdalInfo(fixture(file));
  const ring: number[][] = info.wgs84Extent.coordinates[0];
  const lons = ring.map((p) => p[0]), lats = ring.map((p) => p[1]);
  const [w, e, s, n] = [Math.min(...lons), Math.max(...lons), Math.min(...lats), Math.max(...lats)];
  const points = [[(w + e) / 2, (s + n) / 2], [w, n], [e, s], [w, s], [e, n]];
  const seen = new Map<string, { z: number; x: number; y: number }>();
  for (const [lon, lat] of points) {
    const t = tileForLonLat(lon, lat, z);
    seen.set(`${t.x}/${t.y}`, t);
  }
  return [...seen.values()];
}

/** The chunks gdalwarp warps a tile in, as "Src=x,y,wxh Dst=x,y,wxh" (its CPL_DEBUG kernel lines), sorted. */
async function gdalwarpChunks(file: string, z: number, x: number, y: number, resampling: 'bilinear' | 'cubic'): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'gdalchunks-'));
  try {
    const args = gdalwarpArgs(fixture(file), z, x, y, { resampling }, join(dir, 'tile.tif'));
    const { stderr } = await execFileP('gdalwarp', args, { env: { ...process.env, CPL_DEBUG: 'ON' }, maxBuffer: 64 * 1024 * 1024 });
    return stderr.split('\n').map((l) => /GDALWarpKernel\(\)::\w+\(\) (Src=\S+ Dst=\S+)/.exec(l)?.[1]).filter((l) => l !== undefined).sort();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describeWithGdal('tiles match gdalwarp', () => {
  beforeAll(async () => { app = await testApp(); });
  afterAll(async () => { await app?.close(); });

  /** Fractions over a sliver of a few dozen pixels say nothing: compare values where at least this many are valid in both. */
  const MIN_VALID = 256;

  for (const { file, zooms, dem, nearestOnly = [] } of FIXTURES) {
    const limit = dem ? 0.5 : 1;
    it(`${file}: nearest equals GDAL; bilinear and cubic within ${dem ? '0.5 m' : '1 DN'}`, async () => {
      let compared = 0;
      for (const z of zooms) {
        for (const t of await tilesOf(file, z)) {
          const near = await gdalReferenceTile(fixture(file), t.z, t.x, t.y, { resampling: 'near' });
          const ours = await ourTile(file, t.z, t.x, t.y, 'nearest');
          const refHasData = near.mask.some((v) => v !== 0);
          if (ours.status === 404) {
            expect(refHasData, `${file} ${t.z}/${t.x}/${t.y}: 404 but GDAL has data`).toBe(false);
            continue;
          }
          expect(ours.status).toBe(200);
          const c = compareTiles({ bands: ours.bands!, mask: ours.mask! }, near);
          const where = `${file} ${t.z}/${t.x}/${t.y} (${near.command})`;
          expect(c.maskAgreement, `mask agreement ${where}`).toBeGreaterThanOrEqual(0.99);
          if (refHasData) compared++;
          if (c.validBoth >= MIN_VALID) expect(c.equalFraction, `equal pixels ${where}`).toBeGreaterThanOrEqual(0.99);
          if (nearestOnly.includes(t.z)) continue;

          // also where gdalwarp reduces: its stretched filters (scales from our model of its chunks)
          for (const method of ['bilinear', 'cubic'] as const) {
            const ref = await gdalReferenceTile(fixture(file), t.z, t.x, t.y, { resampling: method });
            const got = await ourTile(file, t.z, t.x, t.y, method);
            const cm = compareTiles({ bands: got.bands!, mask: got.mask! }, ref);
            expect(cm.maskAgreement, `${method} mask agreement ${where}`).toBeGreaterThanOrEqual(0.99);
            if (cm.validBoth >= MIN_VALID) expect(cm.meanAbsDiff, `${method} mean abs diff ${where}`).toBeLessThanOrEqual(limit);
          }
        }
      }
      expect(compared).toBeGreaterThan(0);
    }, 180_000);
  }

  // The scales of the stretched filters come from gdalwarp's chunks: our model must find the same
  // chunks and source windows as GDAL's CollectChunkListInternal / ComputeSourceWindow.
  it('warpChunks finds the chunks and source windows gdalwarp warps every tile in', async () => {
    let chunks = 0;
    for (const { file, zooms } of FIXTURES) {
      const header = await readCogHeader(new FileSource(fixture(file)));
      for (const z of zooms) {
        for (const t of await tilesOf(file, z)) {
          const bounds = tileBoundsMercator(t);
          const level = header.levels[chooseLevel(header, bounds, 256, 256).level]!;
          const methods = ['bilinear', 'cubic'] as const;
          const wanted = await Promise.all(methods.map((m) => gdalwarpChunks(file, t.z, t.x, t.y, m)));
          methods.forEach((method, i) => {
            const got = warpChunks(warpGeometry(header, level, bounds, 256, 256, method))
              .map((c) => `Src=${c.source.x},${c.source.y},${c.source.width}x${c.source.height} Dst=${c.x},${c.y},${c.width}x${c.height}`)
              .sort();
            expect(got, `${file} ${t.z}/${t.x}/${t.y} ${method}`).toEqual(wanted[i]);
            chunks += got.length;
          });
        }
      }
    }
    expect(chunks).toBeGreaterThan(100);
  }, 180_000);
});
