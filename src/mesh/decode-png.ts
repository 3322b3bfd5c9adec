import { constants, inflateSync } from 'node:zlib';
import sharp from '../encoders/sharp.js';
import { decodeElevation, decodeElevationScanlines, type ElevationEncoding } from '../kernels/elevation.js';
import type { Kernels } from '../kernels/kernels.js';
import { badGateway } from '../server/errors.js';
import { tileEdge, type ElevationPart } from './elevation-grid.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface PngImage {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
  /** The IDAT chunks' data, in order: one zlib stream. */
  idat: Uint8Array[];
}

/**
 * Heights from an elevation PNG, decoding only what a mesh needs of it: all of a tile's own heights,
 * the first column of its east neighbour, the first row of its south and south-east ones.
 *
 * 8-bit RGB/RGBA non-interlaced PNGs (every Terrarium and Terrain-RGB tile seen) are inflated by
 * node:zlib and unfiltered and decoded by the WASM kernels (assembly/png.ts, elevation.ts): about
 * twice as fast as libvips for a whole tile. A first row needs only the start of the zlib stream; a
 * first column needs the whole stream inflated but only each row's first pixel unfiltered. Other
 * PNGs (palette, grey, 16-bit, interlaced) are decoded whole by sharp (libvips).
 *
 * Bytes that are not a PNG, or a PNG that does not decode, are an upstream failure: 502. A first row
 * is taken from the start of the image data only: damage further on is found when that tile itself
 * is decoded whole.
 *
 * Returns the heights of `part` of an m x m PNG: m x m, or m (the first column or row), written
 * into `out` when given (it must hold exactly that many).
 */
export async function decodeElevationPng(
  kernels: Kernels, bytes: Uint8Array, what: string, part: ElevationPart, encoding: ElevationEncoding, m: number, out?: Float32Array,
): Promise<Float32Array> {
  const png = readPng(bytes, what);
  if (png.width !== m || png.height !== m) throw badGateway(`elevation tile ${what} is ${png.width}x${png.height}, expected ${m}x${m}`);
  const channels = png.colorType === 2 ? 3 : png.colorType === 6 ? 4 : 0;
  if (channels === 0 || png.bitDepth !== 8 || png.interlace !== 0) {
    const heights = tileEdge(await decodeWithSharp(kernels, bytes, what, encoding), m, part);
    if (!out) return heights;
    out.set(heights);
    return out;
  }
  const rows = part === 'row' ? 1 : m;
  const scanlines = inflate(png.idat, rows * (m * channels + 1), part === 'row', what);
  try {
    return decodeElevationScanlines(kernels, scanlines, m, rows, channels, encoding, part === 'column' ? 'first-pixels' : 'all', out);
  } catch (err) {
    throw badGateway(`corrupt PNG elevation tile ${what}: ${(err as Error).message}`);
  }
}

/** Checks the signature and walks the chunks: the header fields and the image data. */
function readPng(bytes: Uint8Array, what: string): PngImage {
  const corrupt = (why: string) => badGateway(`corrupt PNG elevation tile ${what}: ${why}`);
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw corrupt('not a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const png: PngImage = { width: 0, height: 0, bitDepth: 0, colorType: 0, interlace: 0, idat: [] };
  let offset = 8;
  for (;;) {
    if (offset + 8 > bytes.length) throw corrupt('truncated (no IEND chunk)');
    const length = view.getUint32(offset);
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    const data = offset + 8;
    if (data + length + 4 > bytes.length) throw corrupt(`truncated ${type} chunk`);
    if (offset === 8 && (type !== 'IHDR' || length < 13)) throw corrupt('no IHDR chunk first');
    if (type === 'IHDR') {
      png.width = view.getUint32(data);
      png.height = view.getUint32(data + 4);
      png.bitDepth = bytes[data + 8]!;
      png.colorType = bytes[data + 9]!;
      png.interlace = bytes[data + 12]!;
    } else if (type === 'IDAT') {
      png.idat.push(bytes.subarray(data, data + length));
    } else if (type === 'IEND') {
      break;
    }
    offset = data + length + 4; // data and CRC
  }
  if (png.idat.length === 0) throw corrupt('no image data');
  return png;
}

/**
 * The zlib stream inflated: at least `need` bytes. With `partial`, only as much of the stream as
 * that takes (doubling from 8 KiB), which for a first row is a few KiB of a 100+ KiB tile.
 */
function inflate(idat: Uint8Array[], need: number, partial: boolean, what: string): Uint8Array {
  const stream = idat.length === 1 ? idat[0]! : Buffer.concat(idat);
  try {
    let out: Uint8Array | undefined;
    for (let input = 8192; partial && input < stream.length; input *= 2) {
      // a cut stream inflates up to where it was cut: Z_SYNC_FLUSH instead of an "unexpected end" error
      out = inflateSync(stream.subarray(0, input), { finishFlush: constants.Z_SYNC_FLUSH });
      if (out.length >= need) return out;
    }
    // one output buffer a little larger than the image (node:zlib's default is 16 KiB chunks joined
    // at the end: 13 allocations and a copy for a 256 tile); maxOutputLength bounds zlib bombs
    out = inflateSync(stream, { chunkSize: need + 1024, maxOutputLength: need + 65536 });
    if (out.length < need) throw new Error(`image data holds ${out.length} bytes, need ${need}`);
    return out;
  } catch (err) {
    throw badGateway(`corrupt PNG elevation tile ${what}: ${(err as Error).message}`);
  }
}

/** A PNG outside the fast path, decoded whole by libvips. */
async function decodeWithSharp(kernels: Kernels, bytes: Uint8Array, what: string, encoding: ElevationEncoding): Promise<Float32Array> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 && info.channels !== 4) throw new Error(`${info.channels} channels (need RGB or RGBA)`);
    return decodeElevation(kernels, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels, encoding);
  } catch (err) {
    throw badGateway(`corrupt PNG elevation tile ${what}: ${(err as Error).message}`);
  }
}
