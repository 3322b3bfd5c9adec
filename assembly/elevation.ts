// Elevation tiles: 8-bit RGB or RGBA pixels -> f32 heights (metres). Mirrors
// test/kernels/reference/elevation.ts, which stores the plain JS formula into a Float32Array:
//   terrarium: h = R*256 + G + B/256 - 32768
//   mapbox:    h = (R*65536 + G*256 + B)/10 - 10000
// Terrarium is exact in f32 (at most 24 significant bits: 16 integer + 8 fraction), so the vector path
// computes it in f32x4. Mapbox needs the JS rounding (f64 division, f64 subtraction, then rounding to
// f32), so it is computed per f64x2 lane exactly like that and demoted.

const TERRARIUM = 0;
const MAPBOX = 1;

// Byte shuffles of 4 pixels into i32 lanes (indices >= 16 pick zero bytes from the second operand).
// terrarium "RG": lane = G | R << 8 = R*256 + G; mapbox "RGB": lane = B | G << 8 | R << 16.

// @ts-ignore: decorator
@inline function rg4(v: v128, zero: v128): v128 {
  return i8x16.shuffle(v, zero, 1, 0, 16, 16, 5, 4, 16, 16, 9, 8, 16, 16, 13, 12, 16, 16);
}
// @ts-ignore: decorator
@inline function b4(v: v128, zero: v128): v128 {
  return i8x16.shuffle(v, zero, 2, 16, 16, 16, 6, 16, 16, 16, 10, 16, 16, 16, 14, 16, 16, 16);
}
// @ts-ignore: decorator
@inline function rgb4(v: v128, zero: v128): v128 {
  return i8x16.shuffle(v, zero, 2, 1, 0, 16, 6, 5, 4, 16, 10, 9, 8, 16, 14, 13, 12, 16);
}
// the same for 3-byte pixels
// @ts-ignore: decorator
@inline function rg3(v: v128, zero: v128): v128 {
  return i8x16.shuffle(v, zero, 1, 0, 16, 16, 4, 3, 16, 16, 7, 6, 16, 16, 10, 9, 16, 16);
}
// @ts-ignore: decorator
@inline function b3(v: v128, zero: v128): v128 {
  return i8x16.shuffle(v, zero, 2, 16, 16, 16, 5, 16, 16, 16, 8, 16, 16, 16, 11, 16, 16, 16);
}
// @ts-ignore: decorator
@inline function rgb3(v: v128, zero: v128): v128 {
  return i8x16.shuffle(v, zero, 2, 1, 0, 16, 5, 4, 3, 16, 8, 7, 6, 16, 11, 10, 9, 16);
}

/** Terrarium heights of 4 pixels given their R*256+G and B lanes (exact in f32). */
// @ts-ignore: decorator
@inline function terrarium4(rg: v128, b: v128): v128 {
  const whole = f32x4.convert_i32x4_s(i32x4.sub(rg, i32x4.splat(32768)));
  return f32x4.add(whole, f32x4.mul(f32x4.convert_i32x4_s(b), f32x4.splat(0.00390625)));
}

/** Mapbox heights of 4 pixels given their R*65536+G*256+B lanes: per lane f32(v / 10 - 10000) in f64. */
// @ts-ignore: decorator
@inline function mapbox4(rgb: v128): v128 {
  const ten = f64x2.splat(10.0);
  const off = f64x2.splat(10000.0);
  const lo = f64x2.sub(f64x2.div(f64x2.convert_low_i32x4_s(rgb), ten), off);
  const hi = f64x2.sub(f64x2.div(f64x2.convert_low_i32x4_s(i32x4.shuffle(rgb, rgb, 2, 3, 2, 3)), ten), off);
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/**
 * Decodes `pixels` pixels of `channels` (3 or 4) bytes at `src` into f32 heights at `out`
 * (`encoding` 0 = Terrarium, 1 = Mapbox Terrain-RGB). Returns 0, or -1 on bad arguments.
 */
export function decode_elevation(src: usize, pixels: i32, channels: i32, encoding: i32, out: usize): i32 {
  if (pixels < 0 || (channels != 3 && channels != 4) || (encoding != TERRARIUM && encoding != MAPBOX)) return -1;
  const n = <usize>pixels;
  const c = <usize>channels;
  const zero = i32x4.splat(0);
  let i: usize = 0;
  // 4 pixels per step; a 16-byte load of 3-byte pixels reads 4 bytes past the group, so stop where
  // that would leave the input
  if (c == 4) {
    if (encoding == TERRARIUM) {
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(src + (i << 2));
        v128.store(out + (i << 2), terrarium4(rg4(v, zero), b4(v, zero)));
      }
    } else {
      for (; i + 4 <= n; i += 4) v128.store(out + (i << 2), mapbox4(rgb4(v128.load(src + (i << 2)), zero)));
    }
  } else {
    if (encoding == TERRARIUM) {
      for (; i * 3 + 16 <= n * 3; i += 4) {
        const v = v128.load(src + i * 3);
        v128.store(out + (i << 2), terrarium4(rg3(v, zero), b3(v, zero)));
      }
    } else {
      for (; i * 3 + 16 <= n * 3; i += 4) v128.store(out + (i << 2), mapbox4(rgb3(v128.load(src + i * 3), zero)));
    }
  }
  for (; i < n; i++) {
    const p = src + i * c;
    const r = <i32>load<u8>(p);
    const g = <i32>load<u8>(p, 1);
    const b = <i32>load<u8>(p, 2);
    const h: f64 = encoding == TERRARIUM
      ? <f64>(r * 256 + g) + <f64>b / 256.0 - 32768.0
      : <f64>(r * 65536 + g * 256 + b) / 10.0 - 10000.0;
    store<f32>(out + (i << 2), <f32>h);
  }
  return 0;
}
