/** A tile as the renderers hand it over: band-major (PLANAR) samples plus an optional validity mask. */
export interface PlanarImage {
  width: number;
  height: number;
  bands: number;
  /** bands * height * width samples, band after band. */
  data: Uint8Array | Uint16Array;
  /** width * height, 0 = no data, 255 = valid. */
  alpha?: Uint8Array;
}

export interface InterleaveOptions {
  /** Repeat a single band to R, G and B (WebP has no grey mode). */
  grayToRgb?: boolean;
  /** Append `img.alpha` as the last channel (scaled 0..65535 for 16-bit data, as rio-tiler does). */
  withAlpha?: boolean;
}

/**
 * Planar -> chunky (pixel-interleaved) in one pass over the output, the layout every image codec wants.
 * The result has the same element type as `img.data`, so sharp picks 8- or 16-bit from it.
 */
export function interleave(img: PlanarImage, opts: InterleaveOptions = {}): { data: Uint8Array | Uint16Array; channels: number } {
  const { width, height, bands, data } = img;
  const n = width * height;
  if (data.length !== bands * n) {
    throw new RangeError(`image data has ${data.length} samples, expected ${bands}x${height}x${width}`);
  }
  const alpha = opts.withAlpha ? img.alpha : undefined;
  if (alpha && alpha.length !== n) throw new RangeError(`alpha has ${alpha.length} samples, expected ${n}`);
  const repeat = opts.grayToRgb === true && bands === 1;
  const colour = repeat ? 3 : bands;
  const channels = colour + (alpha ? 1 : 0);
  const out = data instanceof Uint16Array ? new Uint16Array(n * channels) : new Uint8Array(n * channels);
  const alphaScale = data instanceof Uint16Array ? 257 : 1; // 255 * 257 = 65535
  for (let p = 0, o = 0; p < n; p++) {
    if (repeat) {
      const v = data[p];
      out[o++] = v;
      out[o++] = v;
      out[o++] = v;
    } else {
      for (let b = 0, i = p; b < bands; b++, i += n) out[o++] = data[i];
    }
    if (alpha) out[o++] = alpha[p] * alphaScale;
  }
  return { data: out, channels };
}
