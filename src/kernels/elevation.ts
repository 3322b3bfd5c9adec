// Glue of the elevation kernel (assembly/elevation.ts): RGB(A) elevation tiles -> Float32 heights.
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
  const enc = ENCODING[encoding];
  if (enc === undefined) throw new TypeError(`decodeElevation: unknown encoding ${String(encoding)}`);
  if (channels !== 3 && channels !== 4) throw new RangeError(`decodeElevation: channels must be 3 or 4, got ${String(channels)}`);
  if (!(Number.isInteger(width) && width >= 0 && Number.isInteger(height) && height >= 0)) {
    throw new RangeError(`decodeElevation: bad size ${width}x${height}`);
  }
  const pixels = width * height;
  if (pixels > 0x1fffffff) throw new RangeError(`decodeElevation: ${pixels} pixels is too many`);
  if (rgba.length < pixels * channels) {
    throw new RangeError(`decodeElevation: ${rgba.length} bytes, need ${pixels * channels} for ${width}x${height}x${channels}`);
  }
  const x = k.exports;
  const fn = x['decode_elevation'] as DecodeFn | undefined;
  if (typeof fn !== 'function') throw new TypeError('kernels module lacks decode_elevation: stale build?');
  x.reset();
  const src = alloc(k, pixels * channels);
  new Uint8Array(x.memory.buffer, src, pixels * channels).set(rgba.subarray(0, pixels * channels));
  const out = alloc(k, pixels * 4);
  const rc = fn(src, pixels, channels, enc, out);
  if (rc !== 0) throw new RangeError(`decodeElevation: bad arguments (error ${rc})`);
  return new Float32Array(x.memory.buffer.slice(out, out + pixels * 4));
}

function alloc(k: Kernels, bytes: number): number {
  try {
    return k.exports.alloc(bytes) >>> 0;
  } catch (err) {
    throw new RangeError(`kernels: module memory exhausted allocating ${bytes} bytes`, { cause: err });
  }
}
