/**
 * gzip levels and brotli qualities on the npy bodies kepler.gl asks for: float32 (band + mask band),
 * 256x256, cut from the float32 fixtures. Run: npx tsx test/encoders/bench-compress.ts
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { fromFile } from 'geotiff';
import { encodeNpy } from '../../src/encoders/npy.js';

const FIXTURES = new URL('../fixtures/cog/', import.meta.url).pathname;
const SIZE = 256;

/** One float32 band plus kepler's mask band (same dtype, 0 or 255), as the npy route returns it. */
async function floatTile(file: string, x0: number, y0: number, isNodata: (v: number) => boolean): Promise<Uint8Array> {
  const image = await (await fromFile(FIXTURES + file)).getImage(0);
  const [band] = (await image.readRasters({ window: [x0, y0, x0 + SIZE, y0 + SIZE], fillValue: NaN })) as unknown as Float32Array[];
  const out = new Float32Array(2 * SIZE * SIZE);
  out.set(band);
  band.forEach((v, i) => (out[SIZE * SIZE + i] = isNodata(v) ? 0 : 255));
  return encodeNpy(out, [2, SIZE, SIZE]);
}

function time(fn: () => Buffer, runs = 20): { ms: number; bytes: number } {
  const bytes = fn().length;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return { ms: (performance.now() - t0) / runs, bytes };
}

const tiles = {
  'DEM f4 (titiler-dem_float32_epsg2056, nodata -9999)': await floatTile('titiler-dem_float32_epsg2056.tif', 72, 72, (v) => v === -9999),
  'f4 with NaN (titiler-cog_with_nan_float32_4326)': await floatTile('titiler-cog_with_nan_float32_4326.tif', 100, 100, Number.isNaN),
};

for (const [name, body] of Object.entries(tiles)) {
  console.log(`\n${name}: ${body.length} bytes`);
  const row = (label: string, r: { ms: number; bytes: number }) =>
    console.log(`  ${label.padEnd(12)} ${r.ms.toFixed(2).padStart(7)} ms  ${String(r.bytes).padStart(7)} bytes  ${((100 * r.bytes) / body.length).toFixed(1)}%`);
  for (const level of [1, 3, 4, 6, 9]) row(`gzip ${level}`, time(() => gzipSync(body, { level })));
  for (const quality of [1, 3, 4, 5, 6, 9]) {
    const params = { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: body.length };
    row(`br ${quality}`, time(() => brotliCompressSync(body, { params })));
  }
}
