/**
 * Image encoders on 256x256 tiles. PNG: sharp (what encodePng uses) vs fast-png, against GDAL's PNG driver
 * at ZLEVEL=6 (what TiTiler returns) when gdal_translate is on the PATH. Then encodeImage jpeg/webp.
 * Part of the benchmark: npm run bench -- --only encoders (formerly test/encoders/bench-image.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as fastPngEncode } from 'fast-png';
import { fromFile } from 'geotiff';
import sharp from '../../src/encoders/sharp.js';
import { interleave, type PlanarImage } from '../../src/encoders/interleave.js';
import { encodeImage } from '../../src/encoders/image.js';
import { encodePng } from '../../src/encoders/png.js';

const FIXTURES = new URL('../fixtures/cog/', import.meta.url).pathname;
const SIZE = 256;

/** The fixture the brief names: uint8 RGB + internal mask (synthetic: every sample is 0 or 1). */
async function syntheticRgbMask(): Promise<PlanarImage> {
  const tiff = await fromFile(FIXTURES + 'riotiler-cog_uint8_rgb_mask_4326.tif');
  const rgb = await (await tiff.getImage(0)).readRasters();
  const mask = (await (await tiff.getImage(1)).readRasters())[0] as Uint8Array;
  const data = new Uint8Array(3 * SIZE * SIZE);
  rgb.forEach((band, b) => data.set(band as Uint8Array, b * SIZE * SIZE));
  return { width: SIZE, height: SIZE, bands: 3, data, alpha: mask.map((v) => (v ? 255 : 0)) };
}

/** Real imagery: rio-tiler's rgb.tif (uint16, nodata 0, 255 px wide), as uint16 and min/max-rescaled uint8. */
async function realRgb(): Promise<{ u16: PlanarImage; u8: PlanarImage }> {
  const image = await (await fromFile(FIXTURES + 'riotiler-rgb_uint16_utm.tif')).getImage(0);
  const w = Math.min(SIZE, image.getWidth());
  const bands = (await image.readRasters({ window: [0, 0, w, SIZE] })) as unknown as Uint16Array[];
  const n = SIZE * SIZE;
  const u16 = new Uint16Array(3 * n);
  const alpha = new Uint8Array(n);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < w; x++) {
      const s = y * w + x;
      let valid = false;
      for (let b = 0; b < 3; b++) {
        u16[b * n + y * SIZE + x] = bands[b][s];
        valid ||= bands[b][s] !== 0;
      }
      alpha[y * SIZE + x] = valid ? 255 : 0;
    }
  }
  const u8 = new Uint8Array(3 * n);
  for (let b = 0; b < 3; b++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let p = 0; p < n; p++) if (alpha[p]) (lo = Math.min(lo, u16[b * n + p])), (hi = Math.max(hi, u16[b * n + p]));
    for (let p = 0; p < n; p++) u8[b * n + p] = alpha[p] ? Math.round(((u16[b * n + p] - lo) / (hi - lo)) * 255) : 0;
  }
  return { u16: { width: SIZE, height: SIZE, bands: 3, data: u16, alpha }, u8: { width: SIZE, height: SIZE, bands: 3, data: u8, alpha } };
}

async function time(fn: () => Promise<Uint8Array> | Uint8Array, runs: number): Promise<{ ms: number; bytes: number }> {
  let bytes = 0;
  for (let i = 0; i < 3; i++) bytes = (await fn()).length; // warm-up
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  return { ms: (performance.now() - t0) / runs, bytes };
}

/** GDAL PNG (ZLEVEL=6) of the same pixels plus mask: the planar layout is exactly ENVI's BSQ. */
function gdalPngBytes(img: PlanarImage): number | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'bench-png-'));
  try {
    const sixteen = img.data instanceof Uint16Array;
    const n = img.width * img.height;
    const bands = img.bands + (img.alpha ? 1 : 0);
    const all = sixteen ? new Uint16Array(bands * n) : new Uint8Array(bands * n);
    all.set(img.data);
    if (img.alpha) all.set(sixteen ? Uint16Array.from(img.alpha, (v) => v * 257) : img.alpha, img.bands * n);
    writeFileSync(join(dir, 't.raw'), new Uint8Array(all.buffer));
    writeFileSync(
      join(dir, 't.hdr'),
      `ENVI\nsamples = ${img.width}\nlines = ${img.height}\nbands = ${bands}\nheader offset = 0\n` +
        `file type = ENVI Standard\ndata type = ${sixteen ? 12 : 1}\ninterleave = bsq\nbyte order = 0\n`,
    );
    execFileSync('gdal_translate', ['-q', '-of', 'PNG', '-co', 'ZLEVEL=6', join(dir, 't.raw'), join(dir, 't.png')]);
    return readFileSync(join(dir, 't.png')).length;
  } catch {
    return undefined; // no GDAL here
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A smooth surface: Swiss DEM (float32, nodata -9999) min/max-rescaled to a uint8 grey tile + mask. */
async function demGrey(): Promise<PlanarImage> {
  const image = await (await fromFile(FIXTURES + 'titiler-dem_float32_epsg2056.tif')).getImage(0);
  const [band] = (await image.readRasters({ window: [72, 72, 72 + SIZE, 72 + SIZE] })) as unknown as Float32Array[];
  const alpha = band.map((v) => (v === -9999 ? 0 : 255));
  let lo = Infinity;
  let hi = -Infinity;
  band.forEach((v, p) => alpha[p] && ((lo = Math.min(lo, v)), (hi = Math.max(hi, v))));
  const data = Uint8Array.from(band, (v, p) => (alpha[p] ? Math.round(((v - lo) / (hi - lo)) * 255) : 0));
  return { width: SIZE, height: SIZE, bands: 1, data, alpha: Uint8Array.from(alpha) };
}

/** An over-zoomed tile (kepler past the native zoom): the top-left 64x64 of `img` upsampled 4x, nearest. */
function overzoom(img: PlanarImage): PlanarImage {
  const n = SIZE * SIZE;
  const data = new Uint8Array(img.bands * n);
  const alpha = new Uint8Array(n);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const s = (y >> 2) * SIZE + (x >> 2);
      for (let b = 0; b < img.bands; b++) data[b * n + y * SIZE + x] = img.data[b * n + s];
      alpha[y * SIZE + x] = img.alpha![s];
    }
  }
  return { ...img, data, alpha };
}

export interface ImageEncoderRow {
  tile: string;
  encoder: string;
  ms: number;
  bytes: number;
  /** GDAL's PNG driver at ZLEVEL=6 on the same pixels, when gdal_translate is installed. */
  gdalPngBytes?: number;
}

/** Every encoder on every tile, `runs` timed calls each (after 3 warm-up calls). */
export async function benchImageEncoders(runs = 30): Promise<ImageEncoderRow[]> {
  const real = await realRgb();
  const tiles: Record<string, PlanarImage> = {
    'synthetic u8 RGB+mask (riotiler-cog_uint8_rgb_mask)': await syntheticRgbMask(),
    'real u8 RGB+mask (riotiler-rgb_uint16_utm rescaled)': real.u8,
    'real u16 RGB+mask (riotiler-rgb_uint16_utm)': real.u16,
    'over-zoomed u8 RGB+mask (same, 4x nearest)': overzoom(real.u8),
    'smooth u8 grey+mask (titiler-dem rescaled)': await demGrey(),
  };
  const rows: ImageEncoderRow[] = [];
  for (const [name, img] of Object.entries(tiles)) {
    const { data, channels } = interleave(img, { withAlpha: true });
    const sixteen = data instanceof Uint16Array;
    const space = channels <= 2 ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
    const raw = { width: img.width, height: img.height, channels: channels as 2 | 4 };
    const png = { width: img.width, height: img.height, data, channels, depth: (sixteen ? 16 : 8) as 8 | 16 };
    const fast = (level: 1 | 6 | 9) => () => fastPngEncode(png, { zlib: { level } });
    const encoders: Record<string, () => Promise<Uint8Array> | Uint8Array> = {
      'interleave (planar -> chunky)': () => {
        const d = interleave(img, { withAlpha: true }).data;
        return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      },
      'encodePng (sharp z6 adaptive)': () => encodePng(img),
      'sharp z6 no filter': () => sharp(data, { raw }).toColourspace(space).png({ compressionLevel: 6 }).toBuffer(),
      'sharp z1 adaptive': () => sharp(data, { raw }).toColourspace(space).png({ compressionLevel: 1, adaptiveFiltering: true }).toBuffer(),
      'fast-png default': () => fastPngEncode(png),
      'fast-png z6': fast(6),
      'fast-png z9': fast(9),
      ...(img.data instanceof Uint8Array && {
        'encodeImage jpeg (q85, no mask)': () => encodeImage('jpeg', img),
        'encodeImage webp (q75 + alpha)': () => encodeImage('webp', img),
      }),
    };
    const gdal = gdalPngBytes(img);
    for (const [encoder, fn] of Object.entries(encoders)) {
      rows.push({ tile: name, encoder, ...(await time(fn, runs)), ...(gdal !== undefined && { gdalPngBytes: gdal }) });
    }
  }
  return rows;
}
