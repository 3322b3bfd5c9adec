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
 * An interpolated f64 as a sample of type T. Integers: NaN -> 0, clamp to the type's range, then
 * round half up with floor(v + 0.5) (the TS reference does exactly this). float32 rounds to nearest
 * (f32.demote = Math.fround); float64 is unchanged.
 */
// @ts-ignore: decorator
@inline export function toSample<T>(v: f64): T {
  if (isFloat<T>()) return <T>v;
  if (v != v) return <T>0;
  const lo = lowest<T>();
  const hi = highest<T>();
  const c = v < lo ? lo : v > hi ? hi : v;
  return <T>Math.floor(c + 0.5);
}
