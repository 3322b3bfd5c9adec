// Scalar reference of assembly/png.ts: PNG scanline unfiltering as the PNG spec (section 9.2) writes it.

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** `rows` scanlines (filter-type byte + stride bytes) -> rows x stride bytes. Throws on a filter type above 4. */
export function unfilterReference(scanlines: Uint8Array, stride: number, rows: number, bpp: number): Uint8Array {
  const out = new Uint8Array(stride * rows);
  for (let r = 0; r < rows; r++) {
    const type = scanlines[r * (stride + 1)]!;
    if (type > 4) throw new Error(`filter type ${type}`);
    for (let i = 0; i < stride; i++) {
      const x = scanlines[r * (stride + 1) + 1 + i]!;
      const a = i >= bpp ? out[r * stride + i - bpp]! : 0;
      const b = r > 0 ? out[(r - 1) * stride + i]! : 0;
      const c = i >= bpp && r > 0 ? out[(r - 1) * stride + i - bpp]! : 0;
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][type]!;
      out[r * stride + i] = (x + predictor) & 255;
    }
  }
  return out;
}
