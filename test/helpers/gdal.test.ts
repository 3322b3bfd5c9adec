import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fromArrayBuffer } from 'geotiff';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import {
  compareTiles,
  describeWithGdal,
  gdalInfo,
  gdalReferenceTile,
  gdalRequirement,
  gdalwarpAutoOverview,
  gdalwarpCommand,
  gdalwarpTargetRatio,
  HAS_GDAL,
  mercatorTileBounds,
  MISSING_GDAL_MESSAGE,
  ORIGIN,
  predictGdalwarpOverview,
  tileForLonLat,
} from './gdal.js';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/cog/${name}`, import.meta.url));
const RGBA_3857 = fixture('cogeotiff-rgba8_cog.tiff');
const UTM_OVR = fixture('riotiler-cog_uint16_utm_ovr.tif');
const MASK_4326 = fixture('riotiler-cog_uint8_rgb_mask_4326.tif');
const NAN_4326 = fixture('titiler-cog_with_nan_float32_4326.tif');

describe('gdal harness: pure helpers', () => {
  it('mercatorTileBounds gives exact XYZ bounds', () => {
    expect(mercatorTileBounds(0, 0, 0)).toEqual([-ORIGIN, -ORIGIN, ORIGIN, ORIGIN]);
    expect(mercatorTileBounds(1, 0, 0)).toEqual([-ORIGIN, 0, 0, ORIGIN]);
    expect(mercatorTileBounds(1, 1, 1)).toEqual([0, -ORIGIN, ORIGIN, 0]);
    expect(() => mercatorTileBounds(1, 2, 0)).toThrow();
    expect(tileForLonLat(0.001, -0.001, 18)).toEqual({ z: 18, x: 131072, y: 131072 });
  });

  it('gdalRequirement: run with GDAL, skip without, fail without when required', () => {
    expect(gdalRequirement(true, false)).toBe('run');
    expect(gdalRequirement(true, true)).toBe('run');
    expect(gdalRequirement(false, false)).toBe('skip');
    expect(gdalRequirement(false, true)).toBe('fail');
  });

  it('describeWithGdal throws at collection when REQUIRE_SYSTEM_TESTS=1 and gdalwarp is missing', async () => {
    const helper = fileURLToPath(new URL('./gdal.ts', import.meta.url));
    const script =
      `const m = await import(${JSON.stringify(helper)});` +
      `if (m.HAS_GDAL) { console.log('HAS_GDAL'); process.exit(3); }` +
      `try { m.describeWithGdal('x', () => {}); console.log('NO THROW'); process.exit(4); }` +
      `catch (e) { console.log(e.message); }`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, PATH: '/nonexistent', REQUIRE_SYSTEM_TESTS: '1' },
    });
    expect(stdout.trim()).toBe(MISSING_GDAL_MESSAGE);
  }, 30_000);

  it('compareTiles: masks, equality, mean abs diff, NaN-aware', () => {
    const ref = { bands: [new Float32Array([1, 2, NaN, 4, 5, 6])], mask: new Uint8Array([255, 255, 255, 255, 0, 255]) };
    const ours = { bands: [new Float32Array([1, 3, NaN, NaN, 9, 6])], mask: new Uint8Array([255, 255, 255, 255, 255, 0]) };
    const c = compareTiles(ours, ref);
    expect(c.maskAgreement).toBeCloseTo(4 / 6);
    expect(c.validBoth).toBe(4);
    // equal: pixel 0 (1==1) and pixel 2 (NaN==NaN); pixel 1 differs by 1; pixel 3 NaN vs 4
    expect(c.equalFraction).toBeCloseTo(2 / 4);
    expect(c.nanMismatch).toBe(1);
    expect(c.meanAbsDiff).toBeCloseTo(1 / 2); // samples: |1-1|, |3-2|
    expect(c.maxAbsDiff).toBe(1);
    expect(compareTiles(ours, ref, 1).equalFraction).toBeCloseTo(3 / 4);
    const inf = { bands: [new Float64Array([Infinity, -Infinity])], mask: new Uint8Array([1, 1]) };
    expect(compareTiles(inf, inf).equalFraction).toBe(1);
    const empty = { bands: [new Uint8Array(2)], mask: new Uint8Array(2) };
    expect(compareTiles(empty, empty)).toMatchObject({ maskAgreement: 1, equalFraction: 1, validBoth: 0, meanAbsDiff: 0 });
    expect(() => compareTiles({ bands: [], mask: new Uint8Array(2) }, empty)).toThrow(/band counts/);
  });

  it('gdalwarpAutoOverview follows the GDAL 3.6 loop', () => {
    const w = 2658;
    const ovr = [1329, 665, 333, 167]; // ratios 2, 3.997, 7.98, 15.92
    expect(gdalwarpAutoOverview(0.5, w, ovr)).toBe(-1);
    expect(gdalwarpAutoOverview(1.99, w, ovr)).toBe(-1);
    expect(gdalwarpAutoOverview(2, w, ovr)).toBe(0);
    expect(gdalwarpAutoOverview(3.95, w, ovr)).toBe(0); // within 0.1 below 3.997: still level 0
    expect(gdalwarpAutoOverview(3.99, w, ovr)).toBe(0);
    expect(gdalwarpAutoOverview(3.997, w, ovr)).toBe(1); // just above 2658 / 665 = 3.99699
    expect(gdalwarpAutoOverview(w / 665, w, ovr)).toBe(1); // exactly equal
    expect(gdalwarpAutoOverview(7, w, ovr)).toBe(1);
    expect(gdalwarpAutoOverview(14, w, ovr)).toBe(2);
    expect(gdalwarpAutoOverview(100, w, ovr)).toBe(3);
    expect(gdalwarpAutoOverview(100, w, [])).toBe(-1);
    // ratio from the 10x10 grid: a pure scale of 3 source pixels per destination pixel
    expect(gdalwarpTargetRatio((x, y) => [3 * x, 2 * y], 256, 256)).toBeCloseTo(3);
    expect(gdalwarpTargetRatio((x, y) => [3 * x, 2 * y], 256, 256, true)).toBeCloseTo(2);
  });

  it('gdalwarpCommand shows the exact command', () => {
    const cmd = gdalwarpCommand('/data/a b.tif', 1, 1, 0, { resampling: 'bilinear', size: 512, ovr: 'NONE' });
    expect(cmd).toBe(
      `gdalwarp -q -t_srs EPSG:3857 -te 0 0 ${ORIGIN} ${ORIGIN} -ts 512 512 -r bilinear -dstalpha -of GTiff -ovr NONE '/data/a b.tif' out.tif`,
    );
  });
});

/** Element-wise identity (Object.is, so NaN == NaN). */
function sameArray(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

async function readSource(file: string, level = 0) {
  const buf = await readFile(file);
  const tiff = await fromArrayBuffer(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  const image = await tiff.getImage(level);
  return { image, rasters: (await image.readRasters({ interleave: false })) as unknown as ArrayLike<number>[] };
}

describeWithGdal('gdal harness: gdalwarp reference tiles', () => {
  it('GDAL is available', () => {
    expect(HAS_GDAL).toBe(true);
  });

  it('3857 fixture: nearest reference equals a direct read of the source, mask 0 outside the data', async () => {
    // 64x64 px of 1 m at the origin (0..64, -64..0); z18 tile 131072/131072 covers 0..152.87 m.
    const { image, rasters } = await readSource(RGBA_3857);
    const [ox, oy] = image.getOrigin();
    const [rx, ry] = image.getResolution();
    expect([ox, oy, rx, ry]).toEqual([0, 0, 1, -1]);
    const sw = image.getWidth(), sh = image.getHeight();

    const ref = await gdalReferenceTile(RGBA_3857, 18, 131072, 131072, { resampling: 'near' });
    expect(ref).toMatchObject({ width: 256, height: 256, dtype: 'uint8', overview: -1 });
    expect(ref.bands).toHaveLength(3); // the source alpha becomes the mask
    const [tminx, tminy, tmaxx, tmaxy] = mercatorTileBounds(18, 131072, 131072);
    expect([tminx, tmaxy]).toEqual([0, 0]);
    expect(ref.command).toContain(`-te 0 ${tminy} ${tmaxx} 0 -ts 256 256 -r near`);

    const [minx, , , maxy] = mercatorTileBounds(18, 131072, 131072);
    const res = (2 * ORIGIN) / 2 ** 18 / 256;
    let inside = 0, checked = 0;
    const mismatches: string[] = [];
    for (let j = 0; j < 256; j++) {
      for (let i = 0; i < 256; i++) {
        const sx = (minx + (i + 0.5) * res - ox) / rx; // source pixel coordinates of the centre
        const sy = (maxy - (j + 0.5) * res - oy) / ry;
        const p = j * 256 + i;
        // skip centres (almost) on a source pixel edge, where nearest is ambiguous
        if (Math.abs(sx - Math.round(sx)) < 1e-6 || Math.abs(sy - Math.round(sy)) < 1e-6) continue;
        checked++;
        const c = Math.floor(sx), r = Math.floor(sy);
        if (c < 0 || r < 0 || c >= sw || r >= sh) {
          if (ref.mask[p] !== 0) mismatches.push(`pixel ${i},${j} outside the data but valid`);
          continue;
        }
        inside++;
        const s = r * sw + c;
        if (ref.mask[p] !== (rasters[3][s] > 0 ? 255 : 0)) mismatches.push(`mask ${i},${j}`);
        for (let b = 0; b < 3; b++) {
          if (ref.bands[b][p] !== rasters[b][s]) mismatches.push(`band ${b + 1} ${i},${j}: ${ref.bands[b][p]} != ${rasters[b][s]}`);
        }
      }
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(60000);
    expect(inside).toBeGreaterThan(10000); // ~107x107 output pixels fall on the data
  });

  it('UTM fixture: the whole dataset inside one z3 tile, mask 0 away from its footprint', async () => {
    const info = await gdalInfo(UTM_OVR);
    const ring: [number, number][] = info.wgs84Extent.coordinates[0];
    const merc = ring.map(([lon, lat]) => proj4('EPSG:4326', 'EPSG:3857', [lon, lat]));
    const bx = [Math.min(...merc.map((p) => p[0])), Math.max(...merc.map((p) => p[0]))];
    const by = [Math.min(...merc.map((p) => p[1])), Math.max(...merc.map((p) => p[1]))];
    const t = tileForLonLat(-57, 73.5, 3);
    expect(t).toEqual({ z: 3, x: 2, y: 1 });
    const ref = await gdalReferenceTile(UTM_OVR, t.z, t.x, t.y, { resampling: 'near' });
    expect(ref.dtype).toBe('uint16');
    expect(ref.overview).toBe(3);
    const [minx, , , maxy] = mercatorTileBounds(t.z, t.x, t.y);
    const res = (2 * ORIGIN) / 8 / 256;
    let valid = 0, validOutside = 0;
    for (let j = 0; j < 256; j++) {
      for (let i = 0; i < 256; i++) {
        const mx = minx + (i + 0.5) * res, my = maxy - (j + 0.5) * res;
        const outside = mx < bx[0] - res || mx > bx[1] + res || my < by[0] - res || my > by[1] + res;
        if (ref.mask[j * 256 + i]) valid++;
        if (outside && ref.mask[j * 256 + i]) validOutside++;
      }
    }
    expect(validOutside).toBe(0);
    // the footprint is about ((bx1-bx0)/res) x ((by1-by0)/res) output pixels
    const box = ((bx[1] - bx[0]) / res) * ((by[1] - by[0]) / res);
    expect(valid).toBeGreaterThan(0.5 * box);
    expect(valid).toBeLessThanOrEqual(box + 4 * 256);
  });

  const FIXTURES: { name: string; bands: number; dtype: string }[] = [
    { name: 'cogeotiff-rgba8_cog.tiff', bands: 3, dtype: 'uint8' },
    { name: 'riotiler-cog_uint16_utm_ovr.tif', bands: 1, dtype: 'uint16' },
    { name: 'riotiler-cog_uint8_rgb_mask_4326.tif', bands: 3, dtype: 'uint8' },
    { name: 'riotiler-rgb_uint16_utm.tif', bands: 3, dtype: 'uint16' },
    { name: 'titiler-cog_with_nan_float32_4326.tif', bands: 1, dtype: 'float32' },
    { name: 'titiler-dem_float32_epsg2056.tif', bands: 1, dtype: 'float32' },
  ];

  for (const f of FIXTURES) {
    it(`${f.name}: reference tiles over the data centre (near, bilinear, cubic)`, async () => {
      const file = fixture(f.name);
      const info = await gdalInfo(file);
      const ring: [number, number][] = info.wgs84Extent.coordinates[0].slice(0, -1);
      const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length;
      const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
      // zoom whose tile spans about half the dataset's width, so the tile is (mostly) data
      const [mx0] = proj4('EPSG:4326', 'EPSG:3857', [Math.min(...ring.map((p) => p[0])), lat]);
      const [mx1] = proj4('EPSG:4326', 'EPSG:3857', [Math.max(...ring.map((p) => p[0])), lat]);
      const z = Math.max(0, Math.min(24, Math.round(Math.log2((2 * ORIGIN) / ((mx1 - mx0) / 2)))));
      const t = tileForLonLat(lon, lat, z);
      const nd: number | string | undefined = info.bands[0].noDataValue; // gdalinfo writes NaN as "NaN"
      const nodata = nd === 'NaN' ? NaN : typeof nd === 'number' ? nd : undefined;

      for (const resampling of ['near', 'bilinear', 'cubic'] as const) {
        const started = performance.now();
        const ref = await gdalReferenceTile(file, t.z, t.x, t.y, { resampling });
        const ms = performance.now() - started;
        expect(ms, ref.command).toBeLessThan(5000);
        expect(ref.width).toBe(256);
        expect(ref.height).toBe(256);
        expect(ref.dtype).toBe(f.dtype);
        expect(ref.bands).toHaveLength(f.bands);
        for (const b of ref.bands) expect(b).toHaveLength(256 * 256);
        const valid = ref.mask.reduce((s, v) => s + (v ? 1 : 0), 0);
        // (the 4326 mask fixture has large masked areas, the NaN fixture many NaNs)
        expect(valid, `${ref.command}: valid pixels`).toBeGreaterThan(256 * 256 * 0.02);
        expect(ref.mask.every((v) => v === 0 || v === 255)).toBe(true);
        // valid pixels never carry the nodata value (NaN included). With -dstalpha gdalwarp sets
        // no destination nodata: invalid pixels hold 0, only the mask says they are invalid.
        let bad = 0;
        for (let p = 0; p < ref.mask.length; p++) {
          if (!ref.mask[p]) continue;
          for (const b of ref.bands) {
            if (Number.isNaN(b[p]) || (nodata !== undefined && Object.is(b[p], nodata))) bad++;
          }
        }
        expect(bad, `${ref.command}: valid pixels holding nodata/NaN`).toBe(0);
        if (f.name.includes('nan')) {
          const nanValid = ref.bands[0].some((v, p) => ref.mask[p] !== 0 && Number.isNaN(v));
          expect(nanValid).toBe(false);
          expect(ref.mask.some((v) => v === 0)).toBe(true); // this tile has NaN (masked) pixels
        }
      }
    });
  }

  it('bands selects (1-based) bands; nodata overrides the source nodata', async () => {
    const all = await gdalReferenceTile(MASK_4326, 7, 64, 64, { resampling: 'near' });
    const sub = await gdalReferenceTile(MASK_4326, 7, 64, 64, { resampling: 'near', bands: [3, 1] });
    expect(sub.bands).toHaveLength(2);
    expect(sameArray(sub.bands[0], all.bands[2])).toBe(true);
    expect(sameArray(sub.bands[1], all.bands[0])).toBe(true);
    expect(sameArray(sub.mask, all.mask)).toBe(true);
    await expect(gdalReferenceTile(MASK_4326, 7, 64, 64, { resampling: 'near', bands: [4] })).rejects.toThrow(/out of range/);

    // a value present in the tile becomes nodata: those pixels (and only those) turn invalid
    const t = tileForLonLat(-56.8, 73.47, 10);
    const base = await gdalReferenceTile(UTM_OVR, t.z, t.x, t.y, { resampling: 'near' });
    expect(base.overview).toBe(-1);
    const v = base.bands[0][256 * 128 + 128];
    const masked = await gdalReferenceTile(UTM_OVR, t.z, t.x, t.y, { resampling: 'near', nodata: v });
    expect(masked.command).toContain(`-srcnodata ${v} -dstnodata ${v}`);
    let hits = 0, wrong = 0;
    for (let p = 0; p < base.mask.length; p++) {
      if (!base.mask[p]) continue;
      const isV = base.bands[0][p] === v;
      if (isV) hits++;
      if (masked.mask[p] !== (isV ? 0 : 255)) wrong++;
    }
    expect(hits).toBeGreaterThan(0);
    expect(wrong).toBe(0);
  });

  it('gdalwarp errors are reported with the command line', async () => {
    await expect(gdalReferenceTile(fixture('does-not-exist.tif'), 0, 0, 0, { resampling: 'near' })).rejects.toThrow(/gdalwarp failed: gdalwarp .*does-not-exist/);
  });

  // Overview choice of gdalwarp -ovr AUTO (GDAL 3.6), measured: the AUTO output is bit-identical
  // to the forced -ovr level, the CPL_DEBUG line agrees, and the 10x10-grid formula predicts it.
  const OVERVIEW_CASES: { file: string; lon: number; lat: number; expected: Record<number, number> }[] = [
    { file: UTM_OVR, lon: -56.808, lat: 73.4676, expected: { 5: 3, 6: 1, 7: 0, 8: -1, 9: -1, 10: -1, 11: -1, 12: -1 } },
    { file: MASK_4326, lon: 1.28, lat: -1.28, expected: { 5: 1, 6: 0, 7: -1 } },
    { file: NAN_4326, lon: 80.16, lat: 22.13, expected: { 8: 0, 9: -1 } },
    { file: RGBA_3857, lon: 0.0003, lat: -0.0003, expected: { 14: 2, 15: 1, 16: 0, 17: -1 } },
  ];
  for (const c of OVERVIEW_CASES) {
    it(`gdalwarp -ovr AUTO overview choice: ${c.file.split('/').pop()}`, async () => {
      for (const [zs, expected] of Object.entries(c.expected)) {
        const t = tileForLonLat(c.lon, c.lat, Number(zs));
        const auto = await gdalReferenceTile(c.file, t.z, t.x, t.y, { resampling: 'near' });
        const forced = await gdalReferenceTile(c.file, t.z, t.x, t.y, { resampling: 'near', ovr: expected < 0 ? 'NONE' : expected });
        const predicted = await predictGdalwarpOverview(c.file, t.z, t.x, t.y);
        const msg = `z${t.z} ${auto.command} (ratio ${predicted.ratio.toFixed(3)})`;
        expect(auto.overview, msg).toBe(expected);
        expect(predicted.overview, msg).toBe(expected);
        expect(sameArray(auto.mask, forced.mask), msg).toBe(true);
        auto.bands.forEach((b, i) => expect(sameArray(b, forced.bands[i]), msg).toBe(true));
      }
    }, 30_000);
  }
});
