// TIFF LZW decoding (compression 5), as geotiff.js's compression/lzw.js decodes it (which is what
// libtiff writes): codes MSB-first, 9 to 12 bits, Clear 256, EOI 257, first free code 258, and the
// TIFF "early change": the code width grows one code early, as soon as the next free code + 1
// reaches 2^width. At 12 bits with the table full (next free code 4095) no more entries are added
// until the next Clear. The old-style LSB-first variant (pre-TIFF 6 libtiff) is not supported;
// geotiff.js does not read it either. Mirrors test/kernels/reference/lzw.ts.
//
// Input past its last byte reads as zero bits, and a code that starts past the end acts as EOI
// (geotiff.js does the same). Decoding stops when the output is full. A table entry is the offset
// and length of an earlier copy of its string in the output: entry = previous code's string + the
// first byte of the current one, which the output holds contiguously, so decoding a code is a
// forward copy from earlier output (overlapping by one byte in the KwKwK case).
//
// Every read stays inside [src, src + srcLen) and every write inside [dst, dst + dstLen); corrupt
// codes return a negative error instead of reading or writing elsewhere.

/** Bad arguments (negative lengths). */
export const LZW_ERR_ARGS: i32 = -1;
/** After a Clear code, a code that is not a literal (0..255), Clear or EOI. */
export const LZW_ERR_AFTER_CLEAR: i32 = -2;
/** A code beyond the next free table entry, or the KwKwK code when there is no previous code. */
export const LZW_ERR_CODE: i32 = -3;

const CLEAR: i32 = 256;
const EOI: i32 = 257;
const FIRST_FREE: i32 = 258;
const MIN_WIDTH: i32 = 9;
const MAX_WIDTH: i32 = 12;

// 4096 entries of (u32 output offset, u32 length). Codes above 4094 never get an entry.
const TABLE: usize = memory.data(4096 * 8, 16);

/** The code of `width` bits at bit `bit` (MSB-first), zero bits past the end; EOI when it starts past the end. */
// @ts-ignore: decorator
@inline function readCode(src: usize, srcLen: usize, bit: u64, width: i32): i32 {
  const at = <usize>(bit >>> 3);
  if (at >= srcLen) return EOI;
  const shift = <u32>(bit & 7);
  let v: u32;
  if (srcLen - at >= 4) {
    v = bswap<u32>(load<u32>(src + at));
  } else {
    // the last 1..3 bytes
    v = <u32>load<u8>(src + at) << 24;
    if (srcLen - at >= 2) v |= <u32>load<u8>(src + at + 1) << 16;
    if (srcLen - at >= 3) v |= <u32>load<u8>(src + at + 2) << 8;
  }
  return <i32>((v << shift) >>> <u32>(32 - width));
}

/** Copies `len` bytes from dst + from to dst + to, forward (byte order matters when they overlap), clipped at dstLen. */
// @ts-ignore: decorator
@inline function copyForward(dst: usize, dstLen: usize, from: usize, to: usize, len: usize): void {
  if (to - from >= 8 && dstLen - to >= len + 7) {
    // 8 bytes at a time: every byte read is before the write position (distance >= 8) and the
    // up to 7 bytes written past the string stay inside dst (later output overwrites them)
    let s = dst + from;
    let d = dst + to;
    const end = d + len;
    do {
      store<u64>(d, load<u64>(s));
      s += 8;
      d += 8;
    } while (d < end);
    return;
  }
  const n = min(len, dstLen - to);
  for (let i: usize = 0; i < n; i++) store<u8>(dst + to + i, load<u8>(dst + from + i));
}

/**
 * Decodes the LZW stream src[0, srcLen) into dst[0, dstLen). Returns the bytes written (dstLen when
 * the output filled up; less when EOI or the end of the input came first), or a negative LZW_ERR_*.
 */
export function lzw_decode(src: usize, srcLen: i32, dst: usize, dstLen: i32): i32 {
  if (srcLen < 0 || dstLen < 0) return LZW_ERR_ARGS;
  const inLen = <usize>srcLen;
  const outLen = <usize>dstLen;
  let bit: u64 = 0;
  let width = MIN_WIDTH;
  let next = FIRST_FREE; // next free table entry
  let prev = -1; // previous code; -1: none (start, or table full at 12 bits)
  let prevPos: usize = 0; // where the previous code's string starts in dst
  let prevLen: usize = 0;
  let out: usize = 0;
  while (out < outLen) {
    let code = readCode(src, inLen, bit, width);
    bit += <u64>width;
    if (code == EOI) break;
    if (code == CLEAR) {
      width = MIN_WIDTH;
      next = FIRST_FREE;
      do {
        code = readCode(src, inLen, bit, width);
        bit += <u64>width;
      } while (code == CLEAR);
      if (code == EOI) break;
      if (code > CLEAR) return LZW_ERR_AFTER_CLEAR;
      store<u8>(dst + out, <u8>code);
      prev = code;
      prevPos = out;
      prevLen = 1;
      out++;
      continue; // next == FIRST_FREE: no width change
    }
    if (code > next || (code == next && prev < 0)) return LZW_ERR_CODE;
    if (prev >= 0) {
      // new entry: the previous string + the first byte of this one, which follows it in dst
      store<u64>(TABLE + (<usize>next << 3), <u64>prevPos | (<u64>(prevLen + 1) << 32));
      next++;
    }
    if (code < CLEAR) {
      store<u8>(dst + out, <u8>code);
      prevPos = out;
      prevLen = 1;
      out++;
    } else {
      const e = load<u64>(TABLE + (<usize>code << 3));
      const from = <usize><u32>e;
      const len = <usize>(e >>> 32);
      copyForward(dst, outLen, from, out, len);
      prevPos = out;
      prevLen = len;
      out = min(out + len, outLen);
    }
    prev = code;
    if (next + 1 >= 1 << width) {
      if (width == MAX_WIDTH) prev = -1;
      else width++;
    }
  }
  return <i32>out;
}
