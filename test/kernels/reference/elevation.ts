// Scalar reference of assembly/elevation.ts: the plain JS formulas stored into a Float32Array.
import type { ElevationEncoding } from '../../../src/kernels/elevation.js';

export function decodeElevationReference(
  rgba: Uint8Array, width: number, height: number, channels: 3 | 4, encoding: ElevationEncoding,
): Float32Array {
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const r = rgba[i * channels]!, g = rgba[i * channels + 1]!, b = rgba[i * channels + 2]!;
    out[i] = encoding === 'terrarium' ? r * 256 + g + b / 256 - 32768 : (r * 65536 + g * 256 + b) / 10 - 10000;
  }
  return out;
}
