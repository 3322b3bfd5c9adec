// Mosaic blending: N aligned tiles of the same size, bands and sample type, each with a byte mask
// (non-zero = valid), combined pixel by pixel as rio-tiler's mosaic methods do
// (rio_tiler/mosaic/methods/defaults.py over numpy.ma). The rules and the numpy arithmetic each
// method reproduces are documented in src/kernels/blend.ts; test/kernels/reference/blend.ts is the
// scalar reference this kernel equals bit for bit.
//
// Layout (set up by the glue): planes of `stride` pixels, stride a multiple of 16 (the glue pads
// each plane and gives the padding pixels mask 0, so every vector loop runs whole vectors and there
// is no scalar tail). Tile i, band b starts at data + ((i * bands + b) * stride) * sizeof<T>; the
// mask of tile i at masks + i * stride. Outputs: `out` holds the output planes at the same stride
// (u8 or u32 for count, f64 for stdev, T otherwise), outMask one byte per pixel, 255 or 0.
//
// Loops are pixel-major: a vector of pixels is carried through every tile in registers, so each
// output is written once. A lane's pixel is masked in a tile when the tile's mask byte is 0.

import { alloc } from './memory';

const FIRST = 0;
const HIGHEST = 1;
const LOWEST = 2;
const MEAN = 3;
const MEDIAN = 4;
const STDEV = 5;
const COUNT = 6;
const LASTBANDLOW = 7;
const LASTBANDHIGH = 8;

/** All-ones lanes (lane width sizeof<T>) where the 16 / sizeof<T> mask bytes at m are non-zero. */
// @ts-ignore: decorator
@inline function maskLanes<T>(m: usize): v128 {
  const zero = i8x16.splat(0);
  if (sizeof<T>() == 1) return i8x16.ne(v128.load(m), zero);
  if (sizeof<T>() == 2) return i16x8.extend_low_i8x16_s(i8x16.ne(v128.load64_zero(m), zero));
  if (sizeof<T>() == 4) {
    return i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(i8x16.ne(v128.load32_zero(m), zero)));
  }
  const w = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(i8x16.ne(v128.load16_splat(m), zero)));
  return i64x2.extend_low_i32x4_s(w);
}

/** i32x4 lanes of -1 where the 4 mask bytes at m are non-zero. */
// @ts-ignore: decorator
@inline function mask4(m: usize): v128 {
  return i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(i8x16.ne(v128.load32_zero(m), i8x16.splat(0))));
}

/** Four samples of an integer type of 1 or 2 bytes at p, as i32x4 (exact). */
// @ts-ignore: decorator
@inline function int4<T>(p: usize): v128 {
  if (sizeof<T>() == 2) return isSigned<T>() ? v128.load16x4_s(p) : v128.load16x4_u(p);
  const w = isSigned<T>() ? i16x8.extend_low_i8x16_s(v128.load32_zero(p)) : i16x8.extend_low_i8x16_u(v128.load32_zero(p));
  return isSigned<T>() ? i32x4.extend_low_i16x8_s(w) : i32x4.extend_low_i16x8_u(w);
}

/** Four samples of T at p, for half(): i32x4 for 1-2 byte integers, else as stored (f64: unused). */
// @ts-ignore: decorator
@inline function load4<T>(p: usize): v128 {
  if (sizeof<T>() == 8) return v128.splat<i32>(0);
  if (sizeof<T>() <= 2) return int4<T>(p);
  return v128.load(p);
}

/**
 * Samples 0-1 (high = false) or 2-3 (high = true) of the four samples of T at p as f64x2 (exact),
 * from `four` = load4<T>(p); f64 loads its pair from p directly.
 */
// @ts-ignore: decorator
@inline function half<T>(four: v128, p: usize, high: bool): v128 {
  if (sizeof<T>() == 8) return v128.load(p + (high ? 16 : 0));
  const w = high ? i32x4.shuffle(four, four, 2, 3, 2, 3) : four;
  if (isFloat<T>()) return f64x2.promote_low_f32x4(w);
  if (sizeof<T>() == 4 && !isSigned<T>()) return f64x2.convert_low_i32x4_u(w);
  return f64x2.convert_low_i32x4_s(w);
}

/** Stores the four i32 lanes of q (in range for T) as four samples of integer type T at p. */
// @ts-ignore: decorator
@inline function store4<T>(p: usize, q: v128): void {
  if (sizeof<T>() == 4) {
    v128.store(p, q);
  } else if (sizeof<T>() == 2) {
    const h = isSigned<T>() ? i16x8.narrow_i32x4_s(q, q) : i16x8.narrow_i32x4_u(q, q);
    v128.store64_lane(p, h, 0);
  } else {
    const h = i16x8.narrow_i32x4_s(q, q);
    const b = isSigned<T>() ? i8x16.narrow_i16x8_s(h, h) : i8x16.narrow_i16x8_u(h, h);
    v128.store32_lane(p, b, 0);
  }
}

/** The largest value of T (+Infinity for floats): where numpy.ma.sort puts masked samples. */
// @ts-ignore: decorator
@inline function sentinel<T>(): T {
  if (isFloat<T>()) return <T>Infinity;
  if (isSigned<T>()) return <T>((<u64>1 << (sizeof<T>() * 8 - 1)) - 1);
  return <T>-1;
}

/**
 * Output mask (255 where any tile is valid) for the selection methods; returns the number of
 * masked pixels (padding included). Stops reading masks once a vector is fully covered.
 */
function coverage(n: i32, stride: usize, masks: usize, outMask: usize): i32 {
  const zero = i8x16.splat(0);
  let masked = 0;
  for (let p: usize = 0; p < stride; p += 16) {
    let any = zero;
    for (let i = 0; i < n; i++) {
      any = v128.or(any, i8x16.ne(v128.load(masks + <usize>i * stride + p), zero));
      if (i8x16.all_true(any)) break;
    }
    v128.store(outMask + p, any);
    masked += 16 - popcnt(i8x16.bitmask(any));
  }
  return masked;
}

/**
 * Number of valid tiles per pixel as u32 (counts) and the output mask; returns the number of
 * masked pixels (padding included). Counts are summed in byte lanes 255 tiles at a time.
 */
function countValid(n: i32, stride: usize, masks: usize, counts: usize, outMask: usize): i32 {
  const zero = i8x16.splat(0);
  let masked = 0;
  for (let p: usize = 0; p < stride; p += 16) {
    let c0 = zero;
    let c1 = zero;
    let c2 = zero;
    let c3 = zero;
    let any = zero;
    for (let i0 = 0; i0 < n; i0 += 255) {
      const end = min(n, i0 + 255);
      let acc = zero;
      for (let i = i0; i < end; i++) {
        const m = i8x16.ne(v128.load(masks + <usize>i * stride + p), zero);
        acc = i8x16.sub(acc, m);
      }
      any = v128.or(any, acc);
      const w0 = i16x8.extend_low_i8x16_u(acc);
      const w1 = i16x8.extend_high_i8x16_u(acc);
      c0 = i32x4.add(c0, i32x4.extend_low_i16x8_u(w0));
      c1 = i32x4.add(c1, i32x4.extend_high_i16x8_u(w0));
      c2 = i32x4.add(c2, i32x4.extend_low_i16x8_u(w1));
      c3 = i32x4.add(c3, i32x4.extend_high_i16x8_u(w1));
    }
    const q = counts + (p << 2);
    v128.store(q, c0);
    v128.store(q, c1, 16);
    v128.store(q, c2, 32);
    v128.store(q, c3, 48);
    const valid = i8x16.ne(any, zero);
    v128.store(outMask + p, valid);
    masked += 16 - popcnt(i8x16.bitmask(valid));
  }
  return masked;
}

/**
 * first / highest / lowest on one band: src is tile 0's plane of that band, tiles tileBytes apart.
 * A tile's sample replaces the current one where the tile is valid and either nothing is held yet
 * or (highest) it is greater / (lowest) smaller; first never replaces and stops when all lanes hold
 * a value. NaN compares false, so a NaN held stays and a later NaN never wins (as numpy).
 */
// @ts-ignore: decorator
@inline function selectBand<T>(method: i32, n: i32, stride: usize, src: usize, tileBytes: usize, masks: usize, dst: usize): void {
  const L = <usize>(16 / sizeof<T>());
  for (let p: usize = 0; p < stride; p += L) {
    let cur = i8x16.splat(0);
    let have = i8x16.splat(0);
    let s = src + p * sizeof<T>();
    let m = masks + p;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) {
      const valid = maskLanes<T>(m);
      const v = v128.load(s);
      let take: v128;
      if (method == FIRST) {
        take = v128.andnot(valid, have);
      } else {
        const better = method == HIGHEST ? v128.gt<T>(v, cur) : v128.lt<T>(v, cur);
        take = v128.and(valid, v128.or(better, v128.not(have)));
      }
      cur = v128.bitselect(v, cur, take);
      have = v128.or(have, valid);
      if (method == FIRST && i8x16.all_true(have)) break;
    }
    v128.store(dst + p * sizeof<T>(), cur);
  }
}

/**
 * lastbandlow / lastbandhigh: the winning tile of a pixel is chosen on the last band (as lowest /
 * highest) and its other bands are copied; out holds bands - 1 planes.
 */
function lastBand<T>(high: bool, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize): void {
  const L = <usize>(16 / sizeof<T>());
  const plane = stride * sizeof<T>();
  const tileBytes = <usize>bands * plane;
  const keep = <usize>(bands - 1);
  const zero = i8x16.splat(0);
  for (let p: usize = 0; p < stride; p += L) {
    const off = p * sizeof<T>();
    for (let b: usize = 0; b < keep; b++) v128.store(out + b * plane + off, zero);
    let cur = zero;
    let have = zero;
    let s = data + keep * plane + off;
    let m = masks + p;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) {
      const valid = maskLanes<T>(m);
      const v = v128.load(s);
      const better = high ? v128.gt<T>(v, cur) : v128.lt<T>(v, cur);
      const take = v128.and(valid, v128.or(better, v128.not(have)));
      have = v128.or(have, valid);
      if (!v128.any_true(take)) continue;
      cur = v128.bitselect(v, cur, take);
      const t = data + <usize>i * tileBytes + off;
      for (let b: usize = 0; b < keep; b++) {
        const o = out + b * plane + off;
        v128.store(o, v128.bitselect(v128.load(t + b * plane), v128.load(o), take));
      }
    }
  }
}

/**
 * numpy.ma.mean's sum for four pixels of one band, as two f64x2 (pixels 0-1, 2-3) stored at `res`:
 * masked samples count as 0 in a sum that starts at 0 and adds the tiles in order, in f64 for
 * integers, f32 for float32, f64 for float64. 1-2 byte integers sum exactly in i32 lanes while
 * n * 65535 < 2^31 (the same value as the f64 sum).
 */
// @ts-ignore: decorator
@inline function sum4<T>(n: i32, stride: usize, src: usize, tileBytes: usize, masks: usize, res: usize): void {
  let lo: v128;
  let hi: v128;
  if (isInteger<T>() && sizeof<T>() <= 2 && n <= 32767) {
    let acc = i32x4.splat(0);
    let s = src;
    let m = masks;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) acc = i32x4.add(acc, v128.and(int4<T>(s), mask4(m)));
    lo = f64x2.convert_low_i32x4_s(acc);
    hi = f64x2.convert_low_i32x4_s(i32x4.shuffle(acc, acc, 2, 3, 2, 3));
  } else if (isFloat<T>() && sizeof<T>() == 4) {
    let acc = f32x4.splat(0);
    let s = src;
    let m = masks;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) acc = f32x4.add(acc, v128.and(v128.load(s), mask4(m)));
    lo = f64x2.promote_low_f32x4(acc);
    hi = f64x2.promote_low_f32x4(i32x4.shuffle(acc, acc, 2, 3, 2, 3));
  } else {
    lo = f64x2.splat(0);
    hi = f64x2.splat(0);
    let s = src;
    let m = masks;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) {
      const k = mask4(m);
      const four = load4<T>(s);
      lo = f64x2.add(lo, v128.and(half<T>(four, s, false), i64x2.extend_low_i32x4_s(k)));
      hi = f64x2.add(hi, v128.and(half<T>(four, s, true), i64x2.extend_high_i32x4_s(k)));
    }
  }
  v128.store(res, lo);
  v128.store(res, hi, 16);
}

/** DBL_MIN: numpy.ma's safe division masks a / b where |a| * DBL_MIN >= |b|. */
const TINY: f64 = 2.2250738585072014e-308;

/** ORs two f64x2 lane masks (pixels 0-1, 2-3) into the 4 bytes at ok (0xff = some band valid). */
// @ts-ignore: decorator
@inline function orOk(ok: usize, lo: v128, hi: v128): void {
  const w = i32x4.shuffle(lo, hi, 0, 2, 4, 6);
  const h = i16x8.narrow_i32x4_s(w, w);
  v128.store32_lane(ok, v128.or(v128.load32_zero(ok), i8x16.narrow_i16x8_s(h, h)), 0);
}

/**
 * mean on one band: sum / count in f64, cast back to T (integers truncate toward zero, float32
 * rounds to nearest). Floats: where the sum is not finite or |sum| * DBL_MIN >= count, numpy's
 * division masks this band's sample and leaves the sum in its data: we write the sum and leave
 * the byte of `ok` alone (ok collects the pixels where some band is valid).
 */
function meanBand<T>(n: i32, stride: usize, src: usize, tileBytes: usize, masks: usize, counts: usize, dst: usize, res: usize, ok: usize): void {
  const tiny = f64x2.splat(TINY);
  for (let p: usize = 0; p < stride; p += 4) {
    const cnt = v128.load(counts + (p << 2));
    sum4<T>(n, stride, src + p * sizeof<T>(), tileBytes, masks + p, res);
    const sLo = v128.load(res);
    const sHi = v128.load(res, 16);
    const cLo = f64x2.convert_low_i32x4_u(cnt);
    const cHi = f64x2.convert_low_i32x4_u(i32x4.shuffle(cnt, cnt, 2, 3, 2, 3));
    const lo = f64x2.div(sLo, cLo);
    const hi = f64x2.div(sHi, cHi);
    const d = dst + p * sizeof<T>();
    if (isFloat<T>()) {
      // a count of 0 fails the test too and writes the sum, 0
      const okLo = f64x2.lt(f64x2.mul(f64x2.abs(sLo), tiny), cLo);
      const okHi = f64x2.lt(f64x2.mul(f64x2.abs(sHi), tiny), cHi);
      const vLo = v128.bitselect(lo, sLo, okLo);
      const vHi = v128.bitselect(hi, sHi, okHi);
      orOk(ok + p, okLo, okHi);
      if (sizeof<T>() == 4) {
        v128.store(d, i32x4.shuffle(f32x4.demote_f64x2_zero(vLo), f32x4.demote_f64x2_zero(vHi), 0, 1, 4, 5));
      } else {
        v128.store(d, vLo);
        v128.store(d, vHi, 16);
      }
    } else if (isSigned<T>() || sizeof<T>() < 4) {
      // NaN (0 / 0) truncates to 0
      store4<T>(d, i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5));
    } else {
      store4<T>(d, i32x4.shuffle(i32x4.trunc_sat_f64x2_u_zero(lo), i32x4.trunc_sat_f64x2_u_zero(hi), 0, 1, 4, 5));
    }
  }
}

/** trunc(sum / count) in f64 for four pixels, stored as four samples of integer type T (1-2 bytes). */
// @ts-ignore: decorator
@inline function finishMean4<T>(acc: v128, counts: usize, dst: usize): void {
  const cnt = v128.load(counts);
  const lo = f64x2.div(f64x2.convert_low_i32x4_s(acc), f64x2.convert_low_i32x4_u(cnt));
  const hi = f64x2.div(f64x2.convert_low_i32x4_s(i32x4.shuffle(acc, acc, 2, 3, 2, 3)), f64x2.convert_low_i32x4_u(i32x4.shuffle(cnt, cnt, 2, 3, 2, 3)));
  // NaN (0 / 0) truncates to 0
  store4<T>(dst, i32x4.shuffle(i32x4.trunc_sat_f64x2_s_zero(lo), i32x4.trunc_sat_f64x2_s_zero(hi), 0, 1, 4, 5));
}

/**
 * meanBand for 1-2 byte integers while n * 65535 < 2^31: whole vectors of samples, masked to 0,
 * widened and summed exactly in i32 lanes (the f64 sum's value), one mask expansion per vector.
 */
function meanSmallInt<T>(n: i32, stride: usize, src: usize, tileBytes: usize, masks: usize, counts: usize, dst: usize): void {
  const L = <usize>(16 / sizeof<T>());
  for (let p: usize = 0; p < stride; p += L) {
    let a0 = i32x4.splat(0);
    let a1 = a0;
    let a2 = a0;
    let a3 = a0;
    let s = src + p * sizeof<T>();
    let m = masks + p;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) {
      const v = v128.and(v128.load(s), maskLanes<T>(m));
      if (sizeof<T>() == 2) {
        a0 = i32x4.add(a0, isSigned<T>() ? i32x4.extend_low_i16x8_s(v) : i32x4.extend_low_i16x8_u(v));
        a1 = i32x4.add(a1, isSigned<T>() ? i32x4.extend_high_i16x8_s(v) : i32x4.extend_high_i16x8_u(v));
      } else {
        const w0 = isSigned<T>() ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
        const w1 = isSigned<T>() ? i16x8.extend_high_i8x16_s(v) : i16x8.extend_high_i8x16_u(v);
        a0 = i32x4.add(a0, i32x4.extend_low_i16x8_s(w0));
        a1 = i32x4.add(a1, i32x4.extend_high_i16x8_s(w0));
        a2 = i32x4.add(a2, i32x4.extend_low_i16x8_s(w1));
        a3 = i32x4.add(a3, i32x4.extend_high_i16x8_s(w1));
      }
    }
    const c = counts + (p << 2);
    const d = dst + p * sizeof<T>();
    finishMean4<T>(a0, c, d);
    finishMean4<T>(a1, c + 16, d + 4 * sizeof<T>());
    if (sizeof<T>() == 1) {
      finishMean4<T>(a2, c + 32, d + 8);
      finishMean4<T>(a3, c + 48, d + 12);
    }
  }
}

/**
 * stdev (numpy.ma.std, ddof 0) on one band, as f64. With the sum and count of meanBand:
 * - where numpy masks the mean (count 0, sum not finite, |sum| * DBL_MIN >= count), every
 *   deviation is masked and numpy's var is 0 / count: 0, valid (so e.g. a valid NaN gives 0);
 * - else ss = sum over the valid tiles, in order from 0, of (x - mean)^2 in f64; numpy's safe
 *   division leaves ss itself where |ss| * DBL_MIN >= count (var then overrides that mask), so
 *   var = that ? ss : ss / count; the result is sqrt(var), masked by sqrt where not finite.
 */
function stdevBand<T>(n: i32, stride: usize, src: usize, tileBytes: usize, masks: usize, counts: usize, dst: usize, res: usize, ok: usize): void {
  const tiny = f64x2.splat(TINY);
  for (let p: usize = 0; p < stride; p += 4) {
    const cnt = v128.load(counts + (p << 2));
    const s0 = src + p * sizeof<T>();
    sum4<T>(n, stride, s0, tileBytes, masks + p, res);
    const sLo = v128.load(res);
    const sHi = v128.load(res, 16);
    const cLo = f64x2.convert_low_i32x4_u(cnt);
    const cHi = f64x2.convert_low_i32x4_u(i32x4.shuffle(cnt, cnt, 2, 3, 2, 3));
    const mLo = f64x2.div(sLo, cLo);
    const mHi = f64x2.div(sHi, cHi);
    let lo = f64x2.splat(0);
    let hi = f64x2.splat(0);
    let s = s0;
    let m = masks + p;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) {
      const k = mask4(m);
      const four = load4<T>(s);
      const dLo = f64x2.sub(half<T>(four, s, false), mLo);
      const dHi = f64x2.sub(half<T>(four, s, true), mHi);
      lo = f64x2.add(lo, v128.and(f64x2.mul(dLo, dLo), i64x2.extend_low_i32x4_s(k)));
      hi = f64x2.add(hi, v128.and(f64x2.mul(dHi, dHi), i64x2.extend_high_i32x4_s(k)));
    }
    const meanLo = f64x2.lt(f64x2.mul(f64x2.abs(sLo), tiny), cLo);
    const meanHi = f64x2.lt(f64x2.mul(f64x2.abs(sHi), tiny), cHi);
    const vLo = v128.bitselect(lo, f64x2.div(lo, cLo), f64x2.ge(f64x2.mul(f64x2.abs(lo), tiny), cLo));
    const vHi = v128.bitselect(hi, f64x2.div(hi, cHi), f64x2.ge(f64x2.mul(f64x2.abs(hi), tiny), cHi));
    const d = dst + (p << 3);
    v128.store(d, v128.and(f64x2.sqrt(vLo), meanLo));
    v128.store(d, v128.and(f64x2.sqrt(vHi), meanHi), 16);
    if (isFloat<T>()) {
      // x - x is 0 only for finite x
      const zero = f64x2.splat(0);
      orOk(ok + p, v128.or(v128.not(meanLo), f64x2.eq(f64x2.sub(lo, lo), zero)), v128.or(v128.not(meanHi), f64x2.eq(f64x2.sub(hi, hi), zero)));
    }
  }
}

/**
 * After mean / stdev of a float type: pixels still valid (some tile valid) whose bands are all
 * masked by numpy (ok byte 0) become masked, all bands 0, as ImageData.mask (valid where any band
 * is valid) makes them. Returns how many.
 */
function dropMaskedBands<F>(bands: i32, stride: usize, out: usize, outMask: usize, ok: usize): i32 {
  let lost = 0;
  const plane = stride * sizeof<F>();
  for (let p: usize = 0; p < stride; p += 16) {
    const gone = v128.andnot(v128.load(outMask + p), v128.load(ok + p));
    if (!v128.any_true(gone)) continue;
    for (let j: usize = 0; j < 16; j++) {
      if (load<u8>(outMask + p + j) == 0 || load<u8>(ok + p + j) != 0) continue;
      store<u8>(outMask + p + j, 0);
      for (let b: usize = 0; b < <usize>bands; b++) store<F>(out + b * plane + (p + j) * sizeof<F>(), <F>0);
      lost++;
    }
  }
  return lost;
}

/**
 * Batcher's odd-even merge sort network for n items (the one for the next power of two, minus the
 * comparators that touch an index >= n: those positions would hold +max and never move). Writes
 * (i * 16, j * 16) byte offset pairs, i < j, to `pairs`; returns their number.
 */
function network(n: i32, pairs: usize): i32 {
  let size = 1;
  while (size < n) size <<= 1;
  let count = 0;
  for (let p = 1; p < size; p <<= 1) {
    for (let k = p; k >= 1; k >>= 1) {
      for (let j = k % p; j + k < size; j += 2 * k) {
        for (let i = 0; i < k; i++) {
          const a = i + j;
          const b = a + k;
          if (b >= n) continue;
          if ((a / (2 * p)) != (b / (2 * p))) continue;
          store<u32>(pairs + (<usize>count << 3), <u32>(a << 4));
          store<u32>(pairs + (<usize>count << 3), <u32>(b << 4), 4);
          count++;
        }
      }
    }
  }
  return count;
}

/** Upper bound of network()'s comparator count (the full network for the next power of two). */
function networkSize(n: i32): usize {
  let size: usize = 1;
  let lg: usize = 0;
  while (size < <usize>n) {
    size <<= 1;
    lg++;
  }
  return ((size * lg * (lg - 1)) >> 2) + size;
}

/**
 * median on one band. The valid samples of each lane are sorted with masked ones as the type's
 * maximum (+Infinity for floats), as numpy.ma.sort does, by a min/max network over whole vectors;
 * then per pixel, with c valid tiles, lo = sorted[(c - 1) >> 1] and hi = sorted[c >> 1]:
 * floats ((0 + lo) + hi) / 2 in T (a valid NaN anywhere gives NaN), integers trunc((lo + hi) / 2).
 * Vector min/max order -0 before +0.
 */
function medianBand<T>(n: i32, stride: usize, src: usize, tileBytes: usize, masks: usize, counts: usize, dst: usize, sorted: usize, pairs: usize, npairs: i32, flags: usize): void {
  const L = <usize>(16 / sizeof<T>());
  const top = v128.splat<T>(sentinel<T>());
  for (let p: usize = 0; p < stride; p += L) {
    let nan = i8x16.splat(0);
    let s = src + p * sizeof<T>();
    let m = masks + p;
    for (let i = 0; i < n; i++, s += tileBytes, m += stride) {
      const valid = maskLanes<T>(m);
      const v = v128.load(s);
      if (isFloat<T>()) nan = v128.or(nan, v128.and(valid, v128.ne<T>(v, v)));
      v128.store(sorted + (<usize>i << 4), v128.bitselect(v, top, valid));
    }
    for (let k = 0; k < npairs; k++) {
      const q = pairs + (<usize>k << 3);
      const a = sorted + <usize>load<u32>(q);
      const b = sorted + <usize>load<u32>(q, 4);
      const x = v128.load(a);
      const y = v128.load(b);
      v128.store(a, v128.min<T>(x, y));
      v128.store(b, v128.max<T>(x, y));
    }
    if (isFloat<T>()) v128.store(flags, nan);
    const d = dst + p * sizeof<T>();
    for (let j: usize = 0; j < L; j++) {
      const c = <usize>load<u32>(counts + ((p + j) << 2));
      let r: T = <T>0;
      if (c != 0) {
        const lo = load<T>(sorted + (((c - 1) >> 1) << 4) + j * sizeof<T>());
        const hi = load<T>(sorted + ((c >> 1) << 4) + j * sizeof<T>());
        if (isFloat<T>()) {
          // numpy.ma.sum of the two starts at 0: (0 + lo) + hi, so -0 and -0 give +0
          r = load<u8>(flags + j * sizeof<T>()) != 0 ? <T>NaN : ((<T>0 + lo) + hi) / <T>2;
        } else {
          r = <T>((<i64>lo + <i64>hi) / 2); // i64 division truncates toward zero
        }
      }
      store<T>(d + j * sizeof<T>(), r);
    }
  }
}

/**
 * Blends n tiles with `method` (0 first, 1 highest, 2 lowest, 3 mean, 4 median, 5 stdev, 6 count,
 * 7 lastbandlow, 8 lastbandhigh). Returns the number of masked output pixels (padding included;
 * 0 for count, whose mask is all 255), or -1 for bad arguments.
 */
function blend<T>(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  if (n < 1 || bands < 1 || (stride & 15) != 0 || method < 0 || method > LASTBANDHIGH) return -1;
  if ((method == LASTBANDLOW || method == LASTBANDHIGH) && bands < 2) return -1;
  const plane = stride * sizeof<T>();
  const tileBytes = <usize>bands * plane;
  if (method == COUNT) {
    const counts = n < 256 ? alloc(stride << 2) : out;
    countValid(n, stride, masks, counts, outMask);
    memory.fill(outMask, 255, stride);
    if (n < 256) {
      for (let p: usize = 0; p < stride; p += 16) {
        const q = counts + (p << 2);
        const lo = i16x8.narrow_i32x4_u(v128.load(q), v128.load(q, 16));
        const hi = i16x8.narrow_i32x4_u(v128.load(q, 32), v128.load(q, 48));
        v128.store(out + p, i8x16.narrow_i16x8_u(lo, hi));
      }
    }
    return 0;
  }
  if (method == LASTBANDLOW || method == LASTBANDHIGH) {
    const masked = coverage(n, stride, masks, outMask);
    lastBand<T>(method == LASTBANDHIGH, n, bands, stride, data, masks, out);
    return masked;
  }
  if (method <= LOWEST) {
    const masked = coverage(n, stride, masks, outMask);
    for (let b: usize = 0; b < <usize>bands; b++) {
      const src = data + b * plane;
      const dst = out + b * plane;
      if (method == FIRST) selectBand<T>(FIRST, n, stride, src, tileBytes, masks, dst);
      else if (method == HIGHEST) selectBand<T>(HIGHEST, n, stride, src, tileBytes, masks, dst);
      else selectBand<T>(LOWEST, n, stride, src, tileBytes, masks, dst);
    }
    return masked;
  }
  const counts = alloc(stride << 2);
  const masked = countValid(n, stride, masks, counts, outMask);
  const res = alloc(32);
  if (method == MEDIAN) {
    const sorted = alloc(<usize>n << 4);
    const pairs = alloc(networkSize(n) << 3);
    const npairs = network(n, pairs);
    const flags = alloc(16);
    for (let b: usize = 0; b < <usize>bands; b++) {
      medianBand<T>(n, stride, data + b * plane, tileBytes, masks, counts, out + b * plane, sorted, pairs, npairs, flags);
    }
    return masked;
  }
  const ok = alloc(stride);
  memory.fill(ok, 0, stride);
  if (method == MEAN) {
    for (let b: usize = 0; b < <usize>bands; b++) {
      if (isInteger<T>() && sizeof<T>() <= 2 && n <= 32767) {
        meanSmallInt<T>(n, stride, data + b * plane, tileBytes, masks, counts, out + b * plane);
        continue;
      }
      meanBand<T>(n, stride, data + b * plane, tileBytes, masks, counts, out + b * plane, res, ok);
    }
    return isFloat<T>() ? masked + dropMaskedBands<T>(bands, stride, out, outMask, ok) : masked;
  }
  for (let b: usize = 0; b < <usize>bands; b++) {
    stdevBand<T>(n, stride, data + b * plane, tileBytes, masks, counts, out + ((b * stride) << 3), res, ok);
  }
  return isFloat<T>() ? masked + dropMaskedBands<f64>(bands, stride, out, outMask, ok) : masked;
}

export function blend_u8(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<u8>(method, n, bands, stride, data, masks, out, outMask);
}
export function blend_i8(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<i8>(method, n, bands, stride, data, masks, out, outMask);
}
export function blend_u16(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<u16>(method, n, bands, stride, data, masks, out, outMask);
}
export function blend_i16(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<i16>(method, n, bands, stride, data, masks, out, outMask);
}
export function blend_u32(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<u32>(method, n, bands, stride, data, masks, out, outMask);
}
export function blend_i32(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<i32>(method, n, bands, stride, data, masks, out, outMask);
}
export function blend_f32(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<f32>(method, n, bands, stride, data, masks, out, outMask);
}
export function blend_f64(method: i32, n: i32, bands: i32, stride: usize, data: usize, masks: usize, out: usize, outMask: usize): i32 {
  return blend<f64>(method, n, bands, stride, data, masks, out, outMask);
}
