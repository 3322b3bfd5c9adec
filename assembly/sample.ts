// Per-sample-type helpers shared by the generic kernels. Every `isFloat<T>()` / `sizeof<T>()` branch
// is resolved at compile time, so each instantiation carries only its own type's code.

/** Smallest value of integer type T, as f64. */
// @ts-ignore: decorator
@inline export function lowest<T>(): f64 {
  if (!isSigned<T>()) return 0;
  if (sizeof<T>() == 1) return -128;
  if (sizeof<T>() == 2) return -32768;
  return -2147483648;
}

/** Largest value of integer type T, as f64. */
// @ts-ignore: decorator
@inline export function highest<T>(): f64 {
  if (isSigned<T>()) {
    if (sizeof<T>() == 1) return 127;
    if (sizeof<T>() == 2) return 32767;
    return 2147483647;
  }
  if (sizeof<T>() == 1) return 255;
  if (sizeof<T>() == 2) return 65535;
  return 4294967295;
}

/**
 * An interpolated f64 as a sample of type T. Integers: clamp to the type's range, then round half
 * up with floor(v + 0.5); NaN -> 0 (the TS reference does exactly this). float32 rounds to nearest
 * (f32.demote = Math.fround); float64 is unchanged.
 *
 * Cheaper but equal: NaN passes the clamp and the saturating truncation (nontrapping-f2i) maps it
 * to 0; for unsigned types c + 0.5 > 0, where truncation is floor; types up to 16 bits convert
 * through i32, whose saturating conversion is shorter machine code than the unsigned one.
 */
// @ts-ignore: decorator
@inline export function toSample<T>(v: f64): T {
  if (isFloat<T>()) return <T>v;
  const lo = lowest<T>();
  const hi = highest<T>();
  const c = v < lo ? lo : v > hi ? hi : v;
  if (!isSigned<T>()) return sizeof<T>() <= 2 ? <T><i32>(c + 0.5) : <T><u32>(c + 0.5);
  return <T><i32>Math.floor(c + 0.5);
}
