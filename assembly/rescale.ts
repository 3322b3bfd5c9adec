// Linear rescale of any sample type to uint8, band by band (rio-tiler's linear_rescale followed by
// astype("uint8")). Mirrors test/kernels/reference/rescale.ts operation for operation.

/**
 * out = trunc(clamp((clip(v, lo, hi) - lo) * 255 / (hi - lo), 0, 255)); NaN (also 0/0 when
 * lo == hi) gives 0, like NumPy's float -> uint8 cast does on x86. Planar in and out; `ranges` holds one (lo, hi) f64 pair per band.
 */
function rescale<T>(src: usize, bands: i32, pixels: i32, ranges: usize, out: usize): void {
  const n = <usize>pixels;
  for (let b: usize = 0; b < <usize>bands; b++) {
    const lo = load<f64>(ranges + (b << 4));
    const hi = load<f64>(ranges + (b << 4), 8);
    const span = hi - lo;
    const s = src + ((b * n) << alignof<T>());
    const d = out + b * n;
    for (let i: usize = 0; i < n; i++) {
      const v = <f64>load<T>(s + (i << alignof<T>()));
      // numpy.clip order, min(max(v, lo), hi): an inverted range (lo > hi) yields hi
      const m = v < lo ? lo : v;
      const c = m > hi ? hi : m;
      const r = ((c - lo) * 255.0) / span;
      // NaN fails r >= 0; values past 255 only arise from odd ranges (lo > hi)
      store<u8>(d + i, r >= 0 ? (r <= 255 ? <u8><i32>r : 255) : 0);
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
