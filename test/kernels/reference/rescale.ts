// Scalar reference of assembly/rescale.ts (rio-tiler linear_rescale + astype uint8).
import type { TypedArray } from '../../../src/kernels/types.js';

export function rescaleReference(
  data: TypedArray, bands: number, pixels: number, ranges: ReadonlyArray<readonly [number, number]>,
): Uint8Array {
  const out = new Uint8Array(bands * pixels);
  for (let b = 0; b < bands; b++) {
    const [lo, hi] = ranges.length === 1 ? ranges[0]! : ranges[b]!;
    for (let i = 0; i < pixels; i++) {
      const v = data[b * pixels + i]!;
      if (Number.isNaN(v)) continue; // NaN -> 0
      const c = Math.min(Math.max(v, lo), hi); // numpy.clip
      const r = ((c - lo) * 255) / (hi - lo);
      out[b * pixels + i] = r >= 0 ? (r <= 255 ? Math.trunc(r) : 255) : 0; // NaN (lo == hi) -> 0
    }
  }
  return out;
}
