/**
 * gzip levels and brotli qualities on the npy bodies kepler.gl asks for: float32 (band + mask band),
 * 256x256, cut from the float32 fixtures (the measurement behind the levels in
 * src/encoders/content-encoding.ts). Part of the benchmark: npm run bench -- --only encoders
 * (formerly test/encoders/bench-compress.ts).
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

function time(fn: () => Buffer, runs: number): { ms: number; bytes: number } {
  const bytes = fn().length;
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) fn();
  return { ms: (performance.now() - t0) / runs, bytes };
}

export interface CompressionRow {
  body: string;
  rawBytes: number;
  codec: string;
  ms: number;
  bytes: number;
  ratio: number;
}

/** gzip 1-9 and brotli 1-9 (a selection) on each body, `runs` timed calls each. */
export async function benchCompression(runs = 20): Promise<CompressionRow[]> {
  const tiles = {
    'DEM f4 (titiler-dem_float32_epsg2056, nodata -9999)': await floatTile('titiler-dem_float32_epsg2056.tif', 72, 72, (v) => v === -9999),
    'f4 with NaN (titiler-cog_with_nan_float32_4326)': await floatTile('titiler-cog_with_nan_float32_4326.tif', 100, 100, Number.isNaN),
  };
  const rows: CompressionRow[] = [];
  for (const [name, body] of Object.entries(tiles)) {
    const row = (codec: string, r: { ms: number; bytes: number }) => rows.push({ body: name, rawBytes: body.length, codec, ...r, ratio: r.bytes / body.length });
    for (const level of [1, 3, 4, 6, 9]) row(`gzip ${level}`, time(() => gzipSync(body, { level }), runs));
    for (const quality of [1, 3, 4, 5, 6, 9]) {
      const params = { [constants.BROTLI_PARAM_QUALITY]: quality, [constants.BROTLI_PARAM_SIZE_HINT]: body.length };
      row(`br ${quality}`, time(() => brotliCompressSync(body, { params }), runs));
    }
  }
  return rows;
}
