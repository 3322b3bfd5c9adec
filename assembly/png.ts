// PNG scanline unfiltering (PNG spec section 9) for 8-bit, non-interlaced images: `rows` scanlines
// of 1 filter-type byte + `stride` bytes, pixels of `bpp` bytes (1..8), into `rows` x `stride`
// bytes. Mirrors test/kernels/reference/png.ts. The inflated data comes from node:zlib; this is the
// part of a PNG decode that is plain arithmetic, and the part JS is slowest at (Paeth).
//
// Both return 0, PNG_ERR_ARGS on bad geometry, or PNG_ERR_FILTER when a filter type byte is not
// 0..4 (a corrupt image). The caller passes rows * (stride + 1) input bytes and the output buffer.

export const PNG_ERR_ARGS: i32 = -1;
export const PNG_ERR_FILTER: i32 = -2;

const NONE: u8 = 0;
const SUB: u8 = 1;
const UP: u8 = 2;
const AVERAGE: u8 = 3;
const PAETH: u8 = 4;

function badGeometry(stride: i32, rows: i32, bpp: i32): bool {
  return stride < 0 || rows < 0 || bpp < 1 || bpp > 8 || <i64>(stride + 1) * <i64>rows > <i64>i32.MAX_VALUE;
}

// @ts-ignore: decorator
@inline function abs32(v: i32): i32 {
  const m = v >> 31;
  return (v ^ m) - m;
}

/** The Paeth predictor of a (left), b (above), c (upper left). */
// @ts-ignore: decorator
@inline function paeth(a: i32, b: i32, c: i32): i32 {
  const pa = abs32(b - c);
  const pb = abs32(a - c);
  const pc = abs32(a + b - c - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Paeth on rows of 3 or 4-byte pixels, one pixel per step in 16-bit lanes without branches (as
 * libpng's SSE2 filter does): the choice a / b / c is made with lane masks. Each step loads and
 * stores 4 bytes; with 3-byte pixels the 4th is the next pixel's, stored first as garbage and then
 * overwritten by the next step (so `out` needs 4 spare bytes after the last row: the glue allocates them).
 */
function paethPixels(x: usize, out: usize, prior: usize, n: usize, bpp: usize): void {
  let a = i16x8.extend_low_i8x16_u(v128.load32_zero(out));
  let c = i16x8.extend_low_i8x16_u(v128.load32_zero(prior));
  for (let i = bpp; i < n; i += bpp) {
    const b = i16x8.extend_low_i8x16_u(v128.load32_zero(prior + i));
    const p = i16x8.sub(b, c); // pa = |p|
    const q = i16x8.sub(a, c); // pb = |q|
    const pa = i16x8.abs(p), pb = i16x8.abs(q), pc = i16x8.abs(i16x8.add(p, q));
    // best = a; if pb < pa: best = b; then if pc < min(pa, pb): best = c (the spec's tie order)
    const useB = i16x8.lt_s(pb, pa);
    let best = v128.bitselect(b, a, useB);
    best = v128.bitselect(c, best, i16x8.lt_s(pc, i16x8.min_s(pa, pb)));
    const v = i16x8.add(i16x8.extend_low_i8x16_u(v128.load32_zero(x + i)), best);
    a = v128.and(v, i16x8.splat(255));
    store<u32>(out + i, i32x4.extract_lane(i8x16.narrow_i16x8_u(a, a), 0));
    c = b;
  }
}

/**
 * Unfilters one scanline `x` (without its type byte) into `out`; `prior` is the unfiltered previous
 * row, or 0 for the first row (the spec's "previous row of zeros").
 */
function unfilterRow(type: u8, x: usize, out: usize, prior: usize, n: usize, bpp: usize): void {
  if (type == NONE) {
    memory.copy(out, x, n);
  } else if (type == SUB) {
    const head = min(bpp, n);
    memory.copy(out, x, head);
    for (let i = head; i < n; i++) store<u8>(out + i, load<u8>(x + i) + load<u8>(out + i - bpp));
  } else if (type == UP) {
    if (prior == 0) {
      memory.copy(out, x, n);
      return;
    }
    let i: usize = 0;
    for (; i + 16 <= n; i += 16) v128.store(out + i, i8x16.add(v128.load(x + i), v128.load(prior + i)));
    for (; i < n; i++) store<u8>(out + i, load<u8>(x + i) + load<u8>(prior + i));
  } else if (type == AVERAGE) {
    const head = min(bpp, n);
    if (prior == 0) {
      memory.copy(out, x, head);
      for (let i = head; i < n; i++) store<u8>(out + i, load<u8>(x + i) + (load<u8>(out + i - bpp) >> 1));
      return;
    }
    for (let i: usize = 0; i < head; i++) store<u8>(out + i, load<u8>(x + i) + (load<u8>(prior + i) >> 1));
    for (let i = head; i < n; i++) {
      store<u8>(out + i, load<u8>(x + i) + ((<u32>load<u8>(out + i - bpp) + <u32>load<u8>(prior + i)) >> 1));
    }
  } else {
    const head = min(bpp, n);
    if (prior == 0) {
      // no row above: b = c = 0 and the predictor is always a (Sub)
      memory.copy(out, x, head);
      for (let i = head; i < n; i++) store<u8>(out + i, load<u8>(x + i) + load<u8>(out + i - bpp));
      return;
    }
    // no pixel to the left: a = c = 0 and the predictor is always b (Up)
    for (let i: usize = 0; i < head; i++) store<u8>(out + i, load<u8>(x + i) + load<u8>(prior + i));
    if (bpp == 3 || bpp == 4) {
      paethPixels(x, out, prior, n, bpp);
      return;
    }
    for (let i = head; i < n; i++) {
      const a = <i32>load<u8>(out + i - bpp);
      const b = <i32>load<u8>(prior + i);
      const c = <i32>load<u8>(prior + i - bpp);
      store<u8>(out + i, <i32>load<u8>(x + i) + paeth(a, b, c));
    }
  }
}

/** Unfilters every scanline: `rows` x `stride` bytes at `out`. */
export function png_unfilter(src: usize, stride: i32, rows: i32, bpp: i32, out: usize): i32 {
  if (badGeometry(stride, rows, bpp)) return PNG_ERR_ARGS;
  const n = <usize>stride;
  for (let r: usize = 0; r < <usize>rows; r++) {
    const type = load<u8>(src + r * (n + 1));
    if (type > PAETH) return PNG_ERR_FILTER;
    unfilterRow(type, src + r * (n + 1) + 1, out + r * n, r == 0 ? 0 : out + (r - 1) * n, n, <usize>bpp);
  }
  return 0;
}

/**
 * Unfilters only the first pixel of every scanline: `rows` x `bpp` bytes at `out`. With no pixel to
 * the left (a = c = 0) a first pixel depends on the first pixel above alone: None and Sub store it
 * as it is, Up and Paeth add the pixel above, Average half of it. This is a neighbour tile's first
 * column, without unfiltering the rest of the image.
 */
export function png_unfilter_first_pixels(src: usize, stride: i32, rows: i32, bpp: i32, out: usize): i32 {
  if (badGeometry(stride, rows, bpp) || bpp > stride) return PNG_ERR_ARGS;
  const n = <usize>stride;
  const p = <usize>bpp;
  for (let r: usize = 0; r < <usize>rows; r++) {
    const line = src + r * (n + 1);
    const type = load<u8>(line);
    if (type > PAETH) return PNG_ERR_FILTER;
    const o = out + r * p;
    for (let i: usize = 0; i < p; i++) {
      const x = load<u8>(line + 1 + i);
      const b = r == 0 ? 0 : load<u8>(o - p + i);
      store<u8>(o + i, type == UP || type == PAETH ? x + b : type == AVERAGE ? x + (b >> 1) : x);
    }
  }
  return 0;
}
