// Which source pixels may contribute to the output: the source mask and the nodata value folded
// into one byte per pixel, so the resampling loops test a single byte (or a few at once).

import { alloc } from './memory';
import { highest, lowest } from './sample';

/**
 * Returns a map of one byte per source pixel, 1 = usable (mask non-zero and not ALL bands equal to
 * nodata), 0 = not; or 0 (no map) when neither a mask nor a nodata value is given.
 *
 * Nodata equality: float32 compares against nodata rounded to f32, like NumPy comparing a float32
 * array with a Python float; integer types compare exactly (a fractional or out-of-range nodata
 * matches nothing); a NaN nodata matches NaN samples.
 */
export function validityMap<T>(src: usize, plane: usize, bands: i32, srcMask: usize, hasNodata: bool, nodata: f64): usize {
  if (srcMask == 0 && !hasNodata) return 0;
  const valid = alloc(plane);
  let target: T = <T>0;
  let matchable = hasNodata;
  if (isFloat<T>()) target = <T>nodata;
  else if (nodata == Math.floor(nodata) && nodata >= lowest<T>() && nodata <= highest<T>()) target = <T>nodata;
  else matchable = false;
  const nan = nodata != nodata;
  const ss = plane << alignof<T>();

  // 16 pixels at a time (the map build was a visible share of a masked/nodata tile); f64 has
  // only two lanes per vector and stays scalar
  let i: usize = 0;
  if (sizeof<T>() < 8) {
    const one = i8x16.splat(1);
    for (; i + 16 <= plane; i += 16) {
      let all = i8x16.splat(<i8>(matchable ? -1 : 0)); // 0xff where every band so far is nodata
      if (matchable) {
        let p = src + (i << alignof<T>());
        for (let b = 0; b < bands; b++, p += ss) all = v128.and(all, equal16<T>(p, target, nan));
      }
      let bad = all;
      if (srcMask != 0) bad = v128.or(bad, i8x16.eq(v128.load(srcMask + i), i8x16.splat(0)));
      v128.store(valid + i, v128.andnot(one, bad));
    }
  }
  for (; i < plane; i++) {
    let all = matchable;
    let p = src + (i << alignof<T>());
    for (let b = 0; b < bands && all; b++, p += ss) {
      const v = load<T>(p);
      if (isFloat<T>()) all = nan ? v != v : v == target;
      else all = v == target;
    }
    let ok = !all;
    if (srcMask != 0) ok &= load<u8>(srcMask + i) != 0;
    store<u8>(valid + i, <u8>ok);
  }
  return valid;
}

/** 16 bytes, 0xff where the 16 samples of T at p equal the target (NaN-aware for floats). */
// @ts-ignore: decorator
@inline function equal16<T>(p: usize, target: T, nan: bool): v128 {
  if (sizeof<T>() == 1) return i8x16.eq(v128.load(p), i8x16.splat(<i8>target));
  if (sizeof<T>() == 2) {
    const t = i16x8.splat(<i16>target);
    return i8x16.narrow_i16x8_s(i16x8.eq(v128.load(p), t), i16x8.eq(v128.load(p, 16), t));
  }
  // 4-byte samples: lanes of -1/0 narrow (saturating) to bytes of -1/0
  const lo = i16x8.narrow_i32x4_s(equal4<T>(p, target, nan), equal4<T>(p + 16, target, nan));
  const hi = i16x8.narrow_i32x4_s(equal4<T>(p + 32, target, nan), equal4<T>(p + 48, target, nan));
  return i8x16.narrow_i16x8_s(lo, hi);
}

// @ts-ignore: decorator
@inline function equal4<T>(p: usize, target: T, nan: bool): v128 {
  const v = v128.load(p);
  if (isFloat<T>()) return nan ? f32x4.ne(v, v) : f32x4.eq(v, f32x4.splat(<f32>target));
  return i32x4.eq(v, i32x4.splat(<i32>target));
}
