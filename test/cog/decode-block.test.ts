// decodeBlock with the WASM LZW and predictors, on GeoTIFFs GDAL writes from the fixtures
// (gdal_translate -co COMPRESS=LZW -co PREDICTOR=2|3 ..., plus deflate/ZSTD with predictors, strips,
// band interleaving, big-endian files, overviews and masks). Every block must equal the plain
// references, geotiff.js's own decoding (where geotiff.js gets it right: little-endian files, and not
// predictor 2 on 64-bit samples, which it does not support), and the decoded image must hold the
// source fixture's values (GDAL's conversion is lossless).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync, inflateSync } from 'node:zlib';
import { fromFile } from 'geotiff';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { decodeBlock } from '../../src/cog/decode-block.js';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { typedArrayFor, type TypedArray } from '../../src/kernels/types.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { describeWithGdal } from '../helpers/gdal.js';
import { lzwDecodeReference, lzwEncodeReference } from '../kernels/reference/lzw.js';
import { floatingPointEncode, floatingPointReference, horizontalReference } from '../kernels/reference/predictor.js';
import { geotiffDecode, tiffBlocks, type TiffBlock } from '../kernels/tiff-blocks.js';

const execFileP = promisify(execFile);
const fixture = (name: string) => join(DEMO_DATA_DIR, name);

const DEM = 'titiler-dem_float32_epsg2056.tif';
const RGB16 = 'riotiler-rgb_uint16_utm.tif';
const RGB8_MASK = 'riotiler-cog_uint8_rgb_mask_4326.tif';
const U16_OVR = 'riotiler-cog_uint16_utm_ovr.tif';
const NAN = 'titiler-cog_with_nan_float32_4326.tif';
const RGBA8 = 'cogeotiff-rgba8_cog.tiff';

const co = (...opts: string[]) => opts.flatMap((o) => ['-co', o]);
const LZW = co('COMPRESS=LZW');
const TILED = co('TILED=YES', 'BLOCKXSIZE=256', 'BLOCKYSIZE=256');
const P2 = co('PREDICTOR=2');
const P3 = co('PREDICTOR=3');
const BE = co('ENDIANNESS=BIG');
const OVR = co('COPY_SRC_OVERVIEWS=YES');

interface Variant {
  name: string;
  source: string;
  args: string[];
  /** 1-based source bands the output holds (default: all). */
  bands?: number[];
}

const VARIANTS: Variant[] = [
  { name: 'float32 DEM, LZW', source: DEM, args: [...LZW, ...TILED] },
  { name: 'float32 DEM, LZW, predictor 2', source: DEM, args: [...LZW, ...P2, ...TILED] },
  { name: 'float32 DEM, LZW, predictor 3', source: DEM, args: [...LZW, ...P3, ...TILED] },
  { name: 'float32 DEM, LZW, predictor 3, strips of 48 rows', source: DEM, args: [...LZW, ...P3, ...co('BLOCKYSIZE=48')] },
  { name: 'float32 DEM x3 pixel-interleaved, LZW, predictor 3', source: DEM, args: [...LZW, ...P3, ...TILED, '-b', '1', '-b', '1', '-b', '1'], bands: [1, 1, 1] },
  { name: 'float64 DEM, LZW, predictor 3', source: DEM, args: ['-ot', 'Float64', ...LZW, ...P3, ...TILED] },
  { name: 'float64 DEM, LZW, predictor 2', source: DEM, args: ['-ot', 'Float64', ...LZW, ...P2, ...TILED] },
  { name: 'float64 DEM x2 pixel-interleaved, LZW, predictor 3', source: DEM, args: ['-ot', 'Float64', ...LZW, ...P3, ...TILED, '-b', '1', '-b', '1'], bands: [1, 1] },
  { name: 'float32 DEM, deflate, predictor 3', source: DEM, args: [...co('COMPRESS=DEFLATE'), ...P3, ...TILED] },
  { name: 'float32 DEM, ZSTD, predictor 3', source: DEM, args: [...co('COMPRESS=ZSTD'), ...P3, ...TILED] },
  { name: 'uint16 RGB, LZW, predictor 2', source: RGB16, args: [...LZW, ...P2, ...TILED] },
  { name: 'uint16 RGB band-interleaved, LZW, predictor 2', source: RGB16, args: [...LZW, ...P2, ...TILED, ...co('INTERLEAVE=BAND')] },
  { name: 'uint16 RGB, LZW, predictor 2, big-endian', source: RGB16, args: [...LZW, ...P2, ...TILED, ...BE] },
  { name: 'uint16 RGB, LZW, big-endian (no predictor)', source: RGB16, args: [...LZW, ...TILED, ...BE] },
  { name: 'uint16 RGB, deflate, predictor 2', source: RGB16, args: [...co('COMPRESS=DEFLATE'), ...P2, ...TILED] },
  { name: 'uint32 RGB, LZW, predictor 2', source: RGB16, args: ['-ot', 'UInt32', ...LZW, ...P2, ...TILED] },
  { name: 'uint32 RGB, LZW, predictor 2, big-endian', source: RGB16, args: ['-ot', 'UInt32', ...LZW, ...P2, ...TILED, ...BE] },
  { name: 'uint8 RGB + internal mask + overviews, LZW, predictor 2', source: RGB8_MASK, args: ['--config', 'GDAL_TIFF_INTERNAL_MASK', 'YES', ...LZW, ...P2, ...co('TILED=YES', 'BLOCKXSIZE=64', 'BLOCKYSIZE=64'), ...OVR] },
  { name: 'uint16 with overviews, LZW, predictor 2', source: U16_OVR, args: [...LZW, ...P2, ...TILED, ...OVR] },
  { name: 'float32 with NaN + overview, LZW, predictor 3', source: NAN, args: [...LZW, ...P3, ...TILED, ...OVR] },
  { name: 'uint8 RGBA 16x16 tiles + overviews, LZW, predictor 2', source: RGBA8, args: [...LZW, ...P2, ...co('TILED=YES', 'BLOCKXSIZE=16', 'BLOCKYSIZE=16'), ...OVR] },
  // No GDAL-written big-endian predictor 3 file: GDAL 3.6 (libtiff 4.5) writes those with the byte
  // planes least significant first and cannot read them back itself; see the hand-made ones below.
];

let kernels: Kernels;
let dir: string;
beforeAll(async () => {
  kernels = await loadKernels();
  dir = mkdtempSync(join(tmpdir(), 'krs-decode-block-'));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

/** The block as the references decode it: codec, then predictor (or the big-endian swap). */
async function referenceDecode(b: TiffBlock, littleEndian: boolean): Promise<Uint8Array> {
  const { layout } = b;
  let raw: Uint8Array;
  if (layout.compression === 5) raw = lzwDecodeReference(b.compressed, b.expected);
  else if (layout.compression === 8 || layout.compression === 32946) raw = new Uint8Array(inflateSync(b.compressed));
  else raw = await geotiffDecode(b, { predictor: false });
  raw = Uint8Array.prototype.slice.call(raw, 0, b.expected);
  const samples = layout.planarConfiguration === 2 ? 1 : layout.samplesPerPixel;
  const bytes = layout.bitsPerSample / 8;
  if (layout.predictor === 2) horizontalReference(raw, layout.blockWidth, b.rows, samples, bytes as 1 | 2 | 4 | 8, !littleEndian);
  else if (layout.predictor === 3) floatingPointReference(raw, layout.blockWidth, b.rows, samples, bytes);
  else if (!littleEndian && bytes > 1) for (let i = 0; i < raw.length; i += bytes) raw.subarray(i, i + bytes).reverse();
  return raw;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describeWithGdal('decodeBlock on GDAL-written LZW/predictor GeoTIFFs', () => {
  it.each(VARIANTS.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const file = join(dir, `${v.name.replace(/\W+/g, '_')}.tif`);
    await execFileP('gdal_translate', ['-q', ...v.args, fixture(v.source), file], { timeout: 60_000 });
    const { header, blocks } = await tiffBlocks(file);
    const le = header.littleEndian;
    expect(le).toBe(!v.args.includes('ENDIANNESS=BIG'));
    // the variant has what its name says
    const base = header.levels[0]!;
    expect(base.compression).toBe(v.args.includes('COMPRESS=LZW') ? 5 : v.args.includes('COMPRESS=ZSTD') ? 50000 : 8);
    expect(base.predictor).toBe(v.args.includes('PREDICTOR=2') ? 2 : v.args.includes('PREDICTOR=3') ? 3 : 1);

    if (v.args.includes('GDAL_TIFF_INTERNAL_MASK')) expect(blocks.some((b) => b.isMask)).toBe(true);
    const decoded = new Map<TiffBlock, Uint8Array>();
    for (const b of blocks) {
      const got = new Uint8Array(await decodeBlock(b.layout, b.rows, b.compressed, le, kernels));
      expect(got.length).toBe(b.expected);
      const what = `level ${b.level}${b.isMask ? ' mask' : ''} block ${b.index}`;
      expect(same(got, await referenceDecode(b, le)), `reference, ${what}`).toBe(true);
      if (b.layout.compression === 5) {
        const lzw = kernels.decodeLzw(b.compressed, b.expected);
        expect(same(lzw, await geotiffDecode(b, { predictor: false })), `geotiff.js LZW, ${what}`).toBe(true);
      }
      const geotiffRight = (le || b.layout.bitsPerSample === 8) && !(b.layout.predictor === 2 && b.layout.bitsPerSample === 64);
      if (geotiffRight) expect(same(got, await geotiffDecode(b)), `geotiff.js, ${what}`).toBe(true);
      decoded.set(b, got);
    }

    // the full-resolution image holds the source's values
    const image = await (await fromFile(fixture(v.source))).getImage(0);
    const source = (await image.readRasters({ interleave: false })) as unknown as TypedArray[];
    const bands = (v.bands ?? source.map((_, i) => i + 1)).map((b) => source[b - 1]!);
    const Ctor = typedArrayFor(header.dtype);
    const { width, height, blockWidth, blockHeight, blocksAcross, blocksDown, samplesPerPixel: spp } = base;
    expect([width, height, spp]).toEqual([image.getWidth(), image.getHeight(), bands.length]);
    const planes = bands.map(() => new Ctor(width * height));
    for (const [b, bytes] of decoded) {
      if (b.level !== 0 || b.isMask) continue;
      const values = new Ctor(bytes.buffer, bytes.byteOffset, bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
      const perPlane = blocksAcross * blocksDown;
      const s0 = base.planarConfiguration === 2 ? Math.floor(b.index / perPlane) : 0;
      const bx = (b.index % perPlane) % blocksAcross;
      const by = Math.floor((b.index % perPlane) / blocksAcross);
      for (let y = 0; y < b.rows; y++) {
        for (let x = 0; x < blockWidth && bx * blockWidth + x < width; x++) {
          const o = (by * blockHeight + y) * width + bx * blockWidth + x;
          if (base.planarConfiguration === 2) planes[s0]![o] = values[y * blockWidth + x]!;
          else for (let s = 0; s < spp; s++) planes[s]![o] = values[(y * blockWidth + x) * spp + s]!;
        }
      }
    }
    planes.forEach((plane, s) => {
      let diff = 0;
      for (let i = 0; i < plane.length; i++) {
        const a = plane[i]!, e = bands[s]![i]!;
        if (!(a === e || (Number.isNaN(a) && Number.isNaN(e)))) diff++;
      }
      expect(diff, `band ${s + 1}: pixels differing from the source`).toBe(0);
    });
  }, 60_000);
});

/** A one-strip TIFF (no georeferencing) around an already compressed strip. */
function stripTiff(le: boolean, width: number, height: number, spp: number, bits: number, compression: number, predictor: number, strip: Uint8Array): Uint8Array {
  const pair = (v: number) => [v, spp > 1 ? v : 0]; // SHORT x spp (spp <= 2), inline
  const tags: Array<[tag: number, type: 3 | 4, count: number, values: number[]]> = [
    [256, 3, 1, [width]], [257, 3, 1, [height]], [258, 3, spp, pair(bits)], [259, 3, 1, [compression]],
    [262, 3, 1, [1]], [273, 4, 1, [0]], [277, 3, 1, [spp]], [278, 3, 1, [height]], [279, 4, 1, [strip.length]],
    [284, 3, 1, [1]], [317, 3, 1, [predictor]], [339, 3, spp, pair(3)],
  ];
  const ifdBytes = 2 + 12 * tags.length + 4;
  const out = new Uint8Array(8 + ifdBytes + strip.length);
  const v = new DataView(out.buffer);
  out.set(le ? [0x49, 0x49] : [0x4d, 0x4d]);
  v.setUint16(2, 42, le);
  v.setUint32(4, 8, le);
  v.setUint16(8, tags.length, le);
  tags.forEach(([tag, type, count, values], i) => {
    const o = 10 + 12 * i;
    v.setUint16(o, tag, le);
    v.setUint16(o + 2, type, le);
    v.setUint32(o + 4, count, le);
    if (tag === 273) values = [8 + ifdBytes];
    if (type === 4) v.setUint32(o + 8, values[0]!, le);
    else values.forEach((x, k) => v.setUint16(o + 8 + 2 * k, x, le));
  });
  out.set(strip, 8 + ifdBytes);
  return out;
}

describeWithGdal('decodeBlock on big-endian predictor 3 files (hand-made as TIFF Technical Note 3 has them)', () => {
  it.each([
    ['float32, LZW', 32, 5], ['float64, LZW', 64, 5], ['float32, deflate', 32, 8], ['float64, deflate', 64, 8],
  ] as const)('%s: byte planes most significant first in either byte order; GDAL reads the same values', async (_name, bits, compression) => {
    const width = 37, height = 5, spp = 2;
    const Ctor = bits === 32 ? Float32Array : Float64Array;
    const values = new Ctor(width * height * spp);
    values.forEach((_, i) => (values[i] = i % 7 === 0 ? -9999 : 1700 + Math.sin(i / 9) * 300 + i / 1024));
    values[3] = Number.NaN;
    values[4] = -0;
    const planes = new Uint8Array(values.buffer.slice(0));
    floatingPointEncode(planes, width, height, spp, bits / 8); // the same bytes whatever the file's byte order
    const strip = compression === 5 ? lzwEncodeReference(planes) : new Uint8Array(deflateSync(planes));
    const layout = {
      ifd: 0, width, height, blockWidth: width, blockHeight: height, blocksAcross: 1, blocksDown: 1, offsets: [], byteCounts: [],
      compression, predictor: 3, bitsPerSample: bits, samplesPerPixel: spp, planarConfiguration: 1, sampleFormat: 3, photometric: 1,
    };
    for (const le of [true, false]) {
      const got = new Ctor(await decodeBlock(layout, height, strip, le, kernels));
      expect(Array.from(got).map(String)).toEqual(Array.from(values).map(String));
      // GDAL's reader agrees: its uncompressed little-endian copy holds the same values
      const file = join(dir, `hand-${bits}-${compression}-${le ? 'le' : 'be'}.tif`);
      writeFileSync(file, stripTiff(le, width, height, spp, bits, compression, 3, strip));
      await execFileP('gdal_translate', ['-q', '-co', 'COMPRESS=NONE', '-co', 'INTERLEAVE=PIXEL', file, `${file}.plain.tif`], { timeout: 60_000 });
      const image = await (await fromFile(`${file}.plain.tif`)).getImage(0);
      const gdal = (await image.readRasters({ interleave: true })) as unknown as TypedArray;
      expect(Array.from(gdal).map(String)).toEqual(Array.from(values).map(String));
    }
  });
});
