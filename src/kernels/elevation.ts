// Glue of the elevation kernels (assembly/elevation.ts, assembly/png.ts): RGB(A) elevation tiles, or the
// inflated scanlines of their PNGs, -> Float32 heights.
// Browser-safe. Same rules as kernels.ts: reset, alloc, copy in, run, copy out.
import type { Kernels } from './kernels.js';

/** How an elevation PNG stores metres: Terrarium (Mapzen/AWS) or Mapbox Terrain-RGB. */
export type ElevationEncoding = 'terrarium' | 'mapbox';

const ENCODING: Record<ElevationEncoding, number> = { terrarium: 0, mapbox: 1 };

type DecodeFn = (src: number, pixels: number, channels: number, encoding: number, out: number) => number;

/**
 * Heights in metres, row-major width x height, from 8-bit pixels of 3 (RGB) or 4 (RGBA, alpha
 * ignored) channels:
 *   terrarium: h = R*256 + G + B/256 - 32768
 *   mapbox:    h = (R*65536 + G*256 + B)/10 - 10000
 * Each value equals the JS formula above rounded to float32.
 */
export function decodeElevation(
  k: Kernels, rgba: Uint8Array, width: number, height: number, channels: 3 | 4, encoding: ElevationEncoding,
): Float32Array {
  const { enc, pixels } = checkElevationArgs(width, height, channels, encoding);
  if (rgba.length < pixels * channels) {
    throw new RangeError(`decodeElevation: ${rgba.length} bytes, need ${pixels * channels} for ${width}x${height}x${channels}`);
  }
  const x = k.exports;
  x.reset();
  const src = alloc(k, pixels * channels);
  new Uint8Array(x.memory.buffer, src, pixels * channels).set(rgba.subarray(0, pixels * channels));
  return heightsAt(k, src, pixels, channels, enc);
}

/** Which scanlines of a PNG to unfilter: all of them, or only the first pixel of each (a first column). */
export type ScanlinePart = 'all' | 'first-pixels';

/**
 * Undoes the PNG row filters (None, Sub, Up, Average, Paeth) of `rows` inflated scanlines of an
 * 8-bit non-interlaced image (each a filter-type byte + stride bytes, pixels of `bpp` bytes):
 * rows x stride bytes, or rows x bpp with 'first-pixels'. A filter type above 4 is a corrupt image
 * (Error). See assembly/png.ts.
 */
export function unfilterScanlines(k: Kernels, scanlines: Uint8Array, stride: number, rows: number, bpp: number, part: ScanlinePart = 'all'): Uint8Array {
  const x = k.exports;
  x.reset();
  const out = unfilterIn(k, scanlines, stride, rows, bpp, part);
  const bytes = rows * (part === 'all' ? stride : bpp);
  return new Uint8Array(x.memory.buffer.slice(out, out + bytes));
}

/**
 * Heights from the inflated scanlines of an 8-bit RGB or RGBA elevation PNG, unfiltered and decoded
 * in one pass through the module: rows x width heights, or with 'first-pixels' the first height of
 * each row (a tile's first column); written into `out` when given (it must hold exactly that many).
 */
export function decodeElevationScanlines(
  k: Kernels, scanlines: Uint8Array, width: number, rows: number, channels: 3 | 4, encoding: ElevationEncoding, part: ScanlinePart = 'all',
  out?: Float32Array,
): Float32Array {
  const { enc } = checkElevationArgs(width, rows, channels, encoding);
  k.exports.reset();
  const pixels = part === 'all' ? width * rows : rows;
  return heightsAt(k, unfilterIn(k, scanlines, width * channels, rows, channels, part), pixels, channels, enc, out);
}

function checkElevationArgs(width: number, height: number, channels: number, encoding: ElevationEncoding): { enc: number; pixels: number } {
  const enc = ENCODING[encoding];
  if (enc === undefined) throw new TypeError(`decodeElevation: unknown encoding ${String(encoding)}`);
  if (channels !== 3 && channels !== 4) throw new RangeError(`decodeElevation: channels must be 3 or 4, got ${String(channels)}`);
  if (!(Number.isInteger(width) && width >= 0 && Number.isInteger(height) && height >= 0)) {
    throw new RangeError(`decodeElevation: bad size ${width}x${height}`);
  }
  const pixels = width * height;
  if (pixels > 0x1fffffff) throw new RangeError(`decodeElevation: ${pixels} pixels is too many`);
  return { enc, pixels };
}

/** Runs decode_elevation on `pixels` pixels already in module memory at `src`; copies the heights out (into `out`). */
function heightsAt(k: Kernels, src: number, pixels: number, channels: number, enc: number, out?: Float32Array): Float32Array {
  if (out && out.length !== pixels) throw new RangeError(`decodeElevation: output holds ${out.length} heights, need ${pixels}`);
  const x = k.exports;
  const fn = x['decode_elevation'] as DecodeFn | undefined;
  if (typeof fn !== 'function') throw new TypeError('kernels module lacks decode_elevation: stale build?');
  const at = alloc(k, pixels * 4);
  const rc = fn(src, pixels, channels, enc, at);
  if (rc !== 0) throw new RangeError(`decodeElevation: bad arguments (error ${rc})`);
  if (!out) return new Float32Array(x.memory.buffer.slice(at, at + pixels * 4));
  out.set(new Float32Array(x.memory.buffer, at, pixels));
  return out;
}

type UnfilterFn = (src: number, stride: number, rows: number, bpp: number, out: number) => number;

/** Copies the scanlines in and unfilters them (after a reset); returns the address of the pixels. */
function unfilterIn(k: Kernels, scanlines: Uint8Array, stride: number, rows: number, bpp: number, part: ScanlinePart): number {
  if (![stride, rows, bpp].every((v) => Number.isInteger(v) && v >= 0) || bpp < 1 || bpp > 8 || (part === 'first-pixels' && bpp > stride)) {
    throw new RangeError(`unfilterScanlines: bad geometry: stride ${stride}, rows ${rows}, ${bpp} bytes a pixel`);
  }
  const inBytes = rows * (stride + 1);
  if (inBytes > 0x7fffffff) throw new RangeError(`unfilterScanlines: ${inBytes} bytes is too many`);
  if (scanlines.length < inBytes) throw new RangeError(`unfilterScanlines: ${scanlines.length} bytes, need ${inBytes} for ${rows} rows of ${stride}`);
  const x = k.exports;
  const fn = x[part === 'all' ? 'png_unfilter' : 'png_unfilter_first_pixels'] as UnfilterFn | undefined;
  if (typeof fn !== 'function') throw new TypeError('kernels module lacks png_unfilter: stale build?');
  const src = alloc(k, inBytes);
  new Uint8Array(x.memory.buffer, src, inBytes).set(scanlines.subarray(0, inBytes));
  const out = alloc(k, rows * (part === 'all' ? stride : bpp) + 4); // + 4: the Paeth pixel steps store 4 bytes
  const rc = fn(src, stride, rows, bpp, out);
  if (rc === -2) throw new Error('a scanline has an unknown filter type (corrupt image data)');
  if (rc !== 0) throw new RangeError(`unfilterScanlines: bad arguments (error ${rc})`);
  return out;
}

function alloc(k: Kernels, bytes: number): number {
  try {
    return k.exports.alloc(bytes) >>> 0;
  } catch (err) {
    throw new RangeError(`kernels: module memory exhausted allocating ${bytes} bytes`, { cause: err });
  }
}
