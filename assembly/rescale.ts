// Linear rescale of any sample type to uint8, band by band (rio-tiler's linear_rescale followed by
// astype("uint8")). Mirrors test/kernels/reference/rescale.ts: per sample, in f64,
//   c = min(max(v, lo), hi)            (numpy.clip order: an inverted range yields hi)
//   r = ((c - lo) * 255) / (hi - lo)
//   out = NaN ? 0 : trunc(clamp(r, 0, 255))   (NaN also covers v = NaN and 0/0 when lo == hi)
// The vector path does the same per f64x2 lane, so both paths give the same bytes.

/** Two consecutive samples of T at p as f64x2 (exact: every sample type fits in f64). */
// @ts-ignore: decorator
@inline function pair<T>(p: usize): v128 {
  if (isFloat<T>()) {
    if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load64_zero(p));
    return v128.load(p);
  }
  if (sizeof<T>() == 4) {
    const v = v128.load64_zero(p);
    return isSigned<T>() ? f64x2.convert_low_i32x4_s(v) : f64x2.convert_low_i32x4_u(v);
  }
  if (sizeof<T>() == 2) {
    const v = v128.load32_zero(p);
    return f64x2.convert_low_i32x4_s(isSigned<T>() ? i32x4.extend_low_i16x8_s(v) : i32x4.extend_low_i16x8_u(v));
  }
  const v = v128.load16_splat(p);
  const w = isSigned<T>() ? i16x8.extend_low_i8x16_s(v) : i16x8.extend_low_i8x16_u(v);
  return f64x2.convert_low_i32x4_s(isSigned<T>() ? i32x4.extend_low_i16x8_s(w) : i32x4.extend_low_i16x8_u(w));
}

/** Rescales two samples; lanes 0-1 of the result hold them as i32 in [0, 255]. */
// @ts-ignore: decorator
@inline function rescale2<T>(p: usize, lo: v128, hi: v128, span: v128): v128 {
  const v = pair<T>(p);
  const m = v128.bitselect(lo, v, f64x2.lt(v, lo));
  const c = v128.bitselect(hi, m, f64x2.gt(m, hi));
  const r = f64x2.div(f64x2.mul(f64x2.sub(c, lo), f64x2.splat(255.0)), span);
  // trunc_sat: NaN -> 0, saturates out of i32 range; then clamp to [0, 255]
  return i32x4.trunc_sat_f64x2_s_zero(r);
}

function rescale<T>(src: usize, bands: i32, pixels: i32, ranges: usize, out: usize): void {
  const n = <usize>pixels;
  for (let b: usize = 0; b < <usize>bands; b++) {
    const lo = load<f64>(ranges + (b << 4));
    const hi = load<f64>(ranges + (b << 4), 8);
    const span = hi - lo;
    const s = src + ((b * n) << alignof<T>());
    const d = out + b * n;
    const vlo = f64x2.splat(lo);
    const vhi = f64x2.splat(hi);
    const vspan = f64x2.splat(span);
    const zero = i32x4.splat(0);
    const top = i32x4.splat(255);
    let i: usize = 0;
    // 8 samples per step: four f64x2 results packed into two i32x4, narrowed to 8 bytes
    for (; i + 8 <= n; i += 8) {
      const p = s + (i << alignof<T>());
      const z = sizeof<T>() * 2;
      const a = i32x4.shuffle(rescale2<T>(p, vlo, vhi, vspan), rescale2<T>(p + z, vlo, vhi, vspan), 0, 1, 4, 5);
      const c = i32x4.shuffle(rescale2<T>(p + 2 * z, vlo, vhi, vspan), rescale2<T>(p + 3 * z, vlo, vhi, vspan), 0, 1, 4, 5);
      const lo8 = i32x4.min_s(i32x4.max_s(a, zero), top);
      const hi8 = i32x4.min_s(i32x4.max_s(c, zero), top);
      const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(lo8, hi8), zero);
      v128.store64_lane(d + i, bytes, 0);
    }
    for (; i < n; i++) {
      const v = <f64>load<T>(s + (i << alignof<T>()));
      const m = v < lo ? lo : v;
      const c = m > hi ? hi : m;
      const r = ((c - lo) * 255.0) / span;
      store<u8>(d + i, r >= 0 ? (r <= 255 ? <u8><i32>r : 255) : 0); // NaN fails r >= 0
    }
  }
}

export function rescale_u8(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<u8>(s, b, n, r, o); }
export function rescale_i8(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<i8>(s, b, n, r, o); }
export function rescale_u16(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<u16>(s, b, n, r, o); }
export function rescale_i16(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<i16>(s, b, n, r, o); }
export function rescale_u32(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<u32>(s, b, n, r, o); }
export function rescale_i32(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<i32>(s, b, n, r, o); }
export function rescale_f32(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<f32>(s, b, n, r, o); }
export function rescale_f64(s: usize, b: i32, n: i32, r: usize, o: usize): void { rescale<f64>(s, b, n, r, o); }
