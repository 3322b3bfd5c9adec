// Grid-driven resampling of a planar multi-band source into a planar output tile.
//
// The caller supplies a coarse grid of continuous source coordinates (the centre of output pixel
// (i*step, j*step) for node (i, j), x/y interleaved as f64); every output pixel interpolates its
// coordinate bilinearly between the 4 surrounding nodes. The arithmetic mirrors the TS reference
// in test/kernels/reference/resample.ts operation for operation (f64, no fused multiply-add), so
// the output is bit-identical. SIMD is used lane-wise only (x in lane 0, y in lane 1), which keeps
// every lane's IEEE result equal to the scalar one.
//
// Sums have a fixed shape, ((t0 + t1) + t2) + t3; a neighbour outside the source or unusable
// contributes the term +0.0 (its weight is dropped from the weight sum the same way).
//
// Where gdalwarp reduces (a scale below 0.95 on either axis, see "widened filters" below) bilinear
// and cubic use GDAL's stretched filter instead of the 2x2 / 4x4 neighbourhoods.

import { alloc } from './memory';
import { toSample } from './sample';
import { validityMap } from './validity';

const NEAREST = 0;
const BILINEAR = 1;
const CUBIC = 2;

// The pixel functions take the call constants as parameters, which become locals once inlined
// into sweep (reading them from memory inside the loops costs a load each time: the output stores
// may alias them as far as the engine knows). Names used throughout:
//   src/out: sample buffers; W/H: source size; valid: validity map or 0;
//   ss/ds: bytes per source/output band plane; o: output pixel index; xy: source coordinate.

// @ts-ignore: decorator
@inline function usable(valid: usize, idx: usize): bool {
  return valid == 0 || load<u8>(valid + idx) != 0;
}

/** The source pixel under xy, which the caller checked is inside: truncation is floor there. */
// @ts-ignore: decorator
@inline function under(xy: v128, W: i32): usize {
  return <usize><i32>f64x2.extract_lane(xy, 1) * <usize>W + <usize><i32>f64x2.extract_lane(xy, 0);
}

/** A sample as f64. Small unsigned types go through a signed conversion: same value, and engines
 * compile i32 -> f64 signed conversion to a single instruction (unsigned needs a longer sequence). */
// @ts-ignore: decorator
@inline function num<T>(p: usize): f64 {
  if (isInteger<T>() && sizeof<T>() <= 2) return <f64><i32>load<T>(p);
  return <f64>load<T>(p);
}

/** `v` where bit n of `bits` is set, +0.0 elsewhere. */
// @ts-ignore: decorator
@inline function pick(bits: i32, n: i32, v: f64): f64 {
  return (bits >>> n) & 1 ? v : 0.0;
}

// ---- nearest --------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function nearestAt<T>(xy: v128, o: usize, src: usize, W: i32, valid: usize, bands: i32, ss: usize, out: usize, ds: usize): bool {
  const idx = under(xy, W);
  if (!usable(valid, idx)) return false;
  // copied in the native type: no float round trip, so u32/i32/f64 stay exact
  let s = src + (idx << alignof<T>());
  let d = out + (o << alignof<T>());
  for (let b = bands; b > 0; b--, s += ss, d += ds) store<T>(d, load<T>(s));
  return true;
}

// ---- bilinear (GDAL convention: pixel centres at +0.5) ------------------------------------------

// @ts-ignore: decorator
@inline function bilinearAt<T>(
  xy: v128, o: usize, src: usize, W: i32, H: i32, valid: usize, bands: i32, ss: usize, out: usize, ds: usize,
): bool {
  const p = f64x2.sub(xy, f64x2.splat(0.5));
  const fl = f64x2.floor(p);
  const f = f64x2.sub(p, fl);
  const g = f64x2.sub(f64x2.splat(1.0), f);
  const c0 = <i32>f64x2.extract_lane(fl, 0);
  const r0 = <i32>f64x2.extract_lane(fl, 1);
  const fx = f64x2.extract_lane(f, 0);
  const fy = f64x2.extract_lane(f, 1);
  const gx = f64x2.extract_lane(g, 0);
  const gy = f64x2.extract_lane(g, 1);
  // scalar on purpose: two lane-wise products plus the extracts measured slower
  const w00 = gx * gy;
  const w10 = fx * gy;
  const w01 = gx * fy;
  const w11 = fx * fy;
  if (c0 >= 0 && c0 + 1 < W && r0 >= 0 && r0 + 1 < H) {
    const idx = <usize>r0 * <usize>W + <usize>c0;
    // all four neighbours usable (validity bytes are 0/1, two at a time); the centre is one of them
    if (valid == 0 || (load<u16>(valid + idx) == 0x0101 && load<u16>(valid + idx + W) == 0x0101)) {
      const wsum = w00 + w10 + w01 + w11;
      const row = <usize>W << alignof<T>();
      let s = src + (idx << alignof<T>());
      let d = out + (o << alignof<T>());
      for (let b = bands; b > 0; b--, s += ss, d += ds) {
        const acc =
          w00 * num<T>(s) +
          w10 * num<T>(s + sizeof<T>()) +
          w01 * num<T>(s + row) +
          w11 * num<T>(s + row + sizeof<T>());
        store<T>(d, toSample<T>(acc / wsum));
      }
      return true;
    }
  }
  return bilinearEdge<T>(xy, c0, r0, w00, w10, w01, w11, o, src, W, H, valid, bands, ss, out, ds);
}

/** Bilinear next to the source edge or to unusable pixels (rare: kept out of line). */
function bilinearEdge<T>(
  xy: v128, c0: i32, r0: i32, w00: f64, w10: f64, w01: f64, w11: f64,
  o: usize, src: usize, W: i32, H: i32, valid: usize, bands: i32, ss: usize, out: usize, ds: usize,
): bool {
  if (!usable(valid, under(xy, W))) return false;
  const c1 = c0 + 1;
  const r1 = r0 + 1;
  // the centre is inside, so at most one column and one row are out: reads go to the other
  const x0 = <usize>(c0 >= 0 ? c0 : c1);
  const x1 = <usize>(c1 < W ? c1 : c0);
  const y0 = <usize>(r0 >= 0 ? r0 : r1) * <usize>W;
  const y1 = <usize>(r1 < H ? r1 : r0) * <usize>W;
  const bits =
    (<i32>(c0 >= 0 && r0 >= 0 && usable(valid, y0 + x0))) |
    (<i32>(c1 < W && r0 >= 0 && usable(valid, y0 + x1)) << 1) |
    (<i32>(c0 >= 0 && r1 < H && usable(valid, y1 + x0)) << 2) |
    (<i32>(c1 < W && r1 < H && usable(valid, y1 + x1)) << 3);
  const wsum = pick(bits, 0, w00) + pick(bits, 1, w10) + pick(bits, 2, w01) + pick(bits, 3, w11);
  let s = src;
  let d = out + (o << alignof<T>());
  for (let b = bands; b > 0; b--, s += ss, d += ds) {
    const acc =
      pick(bits, 0, w00 * num<T>(s + ((y0 + x0) << alignof<T>()))) +
      pick(bits, 1, w10 * num<T>(s + ((y0 + x1) << alignof<T>()))) +
      pick(bits, 2, w01 * num<T>(s + ((y1 + x0) << alignof<T>()))) +
      pick(bits, 3, w11 * num<T>(s + ((y1 + x1) << alignof<T>())));
    store<T>(d, toSample<T>(acc / wsum));
  }
  return true;
}

// ---- cubic (Keys, a = -0.5, 4x4 neighbours, evaluated separably) --------------------------------
// acc = ((wy0*r0 + wy1*r1) + wy2*r2) + wy3*r3 with r_j = ((wx0*v0j + wx1*v1j) + wx2*v2j) + wx3*v3j:
// the same 16 products as the 2-D form, but with short dependency chains (a sequential 16-term
// sum made this kernel latency-bound) and 1-D weights that stay in registers.

/** Keys weight for a distance t in [0, 1]: ((1.5t - 2.5)t)t + 1. Lane-wise. */
// @ts-ignore: decorator
@inline function keysNear(t: v128): v128 {
  return f64x2.add(f64x2.mul(f64x2.mul(f64x2.sub(f64x2.mul(f64x2.splat(1.5), t), f64x2.splat(2.5)), t), t), f64x2.splat(1.0));
}

/** Keys weight for a distance t in [1, 2]: ((-0.5t + 2.5)t - 4)t + 2. Lane-wise. */
// @ts-ignore: decorator
@inline function keysFar(t: v128): v128 {
  const q = f64x2.add(f64x2.mul(f64x2.splat(-0.5), t), f64x2.splat(2.5));
  return f64x2.add(f64x2.mul(f64x2.sub(f64x2.mul(q, t), f64x2.splat(4.0)), t), f64x2.splat(2.0));
}

// @ts-ignore: decorator
@inline function cubicAt<T>(
  xy: v128, o: usize, src: usize, W: i32, H: i32, valid: usize, bands: i32, ss: usize, out: usize, ds: usize,
): bool {
  const p = f64x2.sub(xy, f64x2.splat(0.5));
  const fl = f64x2.floor(p);
  const f = f64x2.sub(p, fl);
  // weights of neighbours c0-1 .. c0+2 (lane 0) and r0-1 .. r0+2 (lane 1), both axes at once
  const k0 = keysFar(f64x2.add(f64x2.splat(1.0), f));
  const k1 = keysNear(f);
  const k2 = keysNear(f64x2.sub(f64x2.splat(1.0), f));
  const k3 = keysFar(f64x2.sub(f64x2.splat(2.0), f));
  const wx0 = f64x2.extract_lane(k0, 0);
  const wx1 = f64x2.extract_lane(k1, 0);
  const wx2 = f64x2.extract_lane(k2, 0);
  const wx3 = f64x2.extract_lane(k3, 0);
  const wy0 = f64x2.extract_lane(k0, 1);
  const wy1 = f64x2.extract_lane(k1, 1);
  const wy2 = f64x2.extract_lane(k2, 1);
  const wy3 = f64x2.extract_lane(k3, 1);
  const c0 = <i32>f64x2.extract_lane(fl, 0);
  const r0 = <i32>f64x2.extract_lane(fl, 1);
  if (c0 >= 1 && c0 + 2 < W && r0 >= 1 && r0 + 2 < H) {
    const idx = <usize>(r0 - 1) * <usize>W + <usize>(c0 - 1);
    if (
      valid == 0 ||
      (load<u32>(valid + idx) == 0x01010101 &&
        load<u32>(valid + idx + W) == 0x01010101 &&
        load<u32>(valid + idx + 2 * W) == 0x01010101 &&
        load<u32>(valid + idx + 3 * W) == 0x01010101)
    ) {
      const rw = wx0 + wx1 + wx2 + wx3;
      const wsum = wy0 * rw + wy1 * rw + wy2 * rw + wy3 * rw;
      const row = <usize>W << alignof<T>();
      const z = sizeof<T>();
      let s = src + (idx << alignof<T>());
      let d = out + (o << alignof<T>());
      for (let b = bands; b > 0; b--, s += ss, d += ds) {
        const s1 = s + row;
        const s2 = s1 + row;
        const s3 = s2 + row;
        const r0s = wx0 * num<T>(s) + wx1 * num<T>(s + z) + wx2 * num<T>(s + 2 * z) + wx3 * num<T>(s + 3 * z);
        const r1s = wx0 * num<T>(s1) + wx1 * num<T>(s1 + z) + wx2 * num<T>(s1 + 2 * z) + wx3 * num<T>(s1 + 3 * z);
        const r2s = wx0 * num<T>(s2) + wx1 * num<T>(s2 + z) + wx2 * num<T>(s2 + 2 * z) + wx3 * num<T>(s2 + 3 * z);
        const r3s = wx0 * num<T>(s3) + wx1 * num<T>(s3 + z) + wx2 * num<T>(s3 + 2 * z) + wx3 * num<T>(s3 + 3 * z);
        const acc = wy0 * r0s + wy1 * r1s + wy2 * r2s + wy3 * r3s;
        store<T>(d, toSample<T>(acc / wsum));
      }
      return true;
    }
  }
  return cubicEdge<T>(xy, c0, r0, wx0, wx1, wx2, wx3, wy0, wy1, wy2, wy3, o, src, W, H, valid, bands, ss, out, ds);
}

/** One row of the separable sum with unusable neighbours (bits n..n+3 clear) as +0.0 terms. */
// @ts-ignore: decorator
@inline function rowSum<T>(
  s: usize, bits: i32, n: i32, x0: usize, x1: usize, x2: usize, x3: usize, wx0: f64, wx1: f64, wx2: f64, wx3: f64,
): f64 {
  return (
    pick(bits, n, wx0 * num<T>(s + (x0 << alignof<T>()))) +
    pick(bits, n + 1, wx1 * num<T>(s + (x1 << alignof<T>()))) +
    pick(bits, n + 2, wx2 * num<T>(s + (x2 << alignof<T>()))) +
    pick(bits, n + 3, wx3 * num<T>(s + (x3 << alignof<T>())))
  );
}

/** Cubic near the source edge or unusable pixels (rare: kept out of line). */
function cubicEdge<T>(
  xy: v128, c0: i32, r0: i32, wx0: f64, wx1: f64, wx2: f64, wx3: f64, wy0: f64, wy1: f64, wy2: f64, wy3: f64,
  o: usize, src: usize, W: i32, H: i32, valid: usize, bands: i32, ss: usize, out: usize, ds: usize,
): bool {
  if (!usable(valid, under(xy, W))) return false;
  // neighbour (i, j) is bit j*4 + i; reads outside the source are clamped onto it and ignored
  let bits = 0;
  for (let j = 0; j < 4; j++) {
    const r = r0 - 1 + j;
    for (let i = 0; i < 4; i++) {
      const c = c0 - 1 + i;
      if (c >= 0 && c < W && r >= 0 && r < H && usable(valid, <usize>r * <usize>W + <usize>c)) bits |= 1 << (j * 4 + i);
    }
  }
  const x0 = <usize>clampTo(c0 - 1, W);
  const x1 = <usize>clampTo(c0, W);
  const x2 = <usize>clampTo(c0 + 1, W);
  const x3 = <usize>clampTo(c0 + 2, W);
  const row = <usize>W << alignof<T>();
  const y0 = <usize>clampTo(r0 - 1, H) * row;
  const y1 = <usize>clampTo(r0, H) * row;
  const y2 = <usize>clampTo(r0 + 1, H) * row;
  const y3 = <usize>clampTo(r0 + 2, H) * row;
  const rw0 = pick(bits, 0, wx0) + pick(bits, 1, wx1) + pick(bits, 2, wx2) + pick(bits, 3, wx3);
  const rw1 = pick(bits, 4, wx0) + pick(bits, 5, wx1) + pick(bits, 6, wx2) + pick(bits, 7, wx3);
  const rw2 = pick(bits, 8, wx0) + pick(bits, 9, wx1) + pick(bits, 10, wx2) + pick(bits, 11, wx3);
  const rw3 = pick(bits, 12, wx0) + pick(bits, 13, wx1) + pick(bits, 14, wx2) + pick(bits, 15, wx3);
  const wsum = wy0 * rw0 + wy1 * rw1 + wy2 * rw2 + wy3 * rw3;
  let s = src;
  let d = out + (o << alignof<T>());
  for (let b = bands; b > 0; b--, s += ss, d += ds) {
    const acc =
      wy0 * rowSum<T>(s + y0, bits, 0, x0, x1, x2, x3, wx0, wx1, wx2, wx3) +
      wy1 * rowSum<T>(s + y1, bits, 4, x0, x1, x2, x3, wx0, wx1, wx2, wx3) +
      wy2 * rowSum<T>(s + y2, bits, 8, x0, x1, x2, x3, wx0, wx1, wx2, wx3) +
      wy3 * rowSum<T>(s + y3, bits, 12, x0, x1, x2, x3, wx0, wx1, wx2, wx3);
    store<T>(d, toSample<T>(acc / wsum));
  }
  return true;
}

// @ts-ignore: decorator
@inline function clampTo(v: i32, size: i32): i32 {
  return v < 0 ? 0 : v >= size ? size - 1 : v;
}

// ---- widened filters (GDAL 3.6 reducing) ------------------------------------------------------------
// GDAL's warp kernel (alg/gdalwarpkernel.cpp) keeps its 2x2 / 4x4 formulas only while the chunk's
// scale (destination pixels per source pixel, GDALWarpKernel::dfXScale/dfYScale) is at least 0.95 on
// both axes. Below that it stretches the filter: radius r = ceil(R / s) source pixels (R = 1 bilinear,
// 2 cubic; s = min(scale, 1) per axis) and the neighbour at offset i from c0 = floor(x - 0.5) weighs
// f((i - dx) * s), f = GWKBilinear / GWKCubic, dx = x - 0.5 - c0. Two variants, as in GDAL:
// - no validity map (GWKResampleNoMasksT): offsets 1-r..r clamped to the source; the value is
//   sum_j wy_j * (sum_i v * wx_i) / ((sum wx) * (sum wy)); a source narrower than r (or lower than
//   its y radius) falls back to the 2x2 bilinear formula, for both methods;
// - with one (GWKResample): offsets -r..r (bilinear) or 1-r..r (cubic) clamped, unusable neighbours
//   skipped, each row's sum weighted by wy; the pixel is masked when the weight sum is below 1e-6 and
//   the sum is divided by the weight sum unless that lies within 1e-5 of 1.
// The centre pixel must be usable, like the fixed kernels. Sums run in offset order (i inner).

/** GDAL's GWKBilinear (cubic false) or GWKCubic (Keys, a = -0.5) at distance x. */
// @ts-ignore: decorator
@inline function filterAt(cubic: bool, x: f64): f64 {
  const a = abs<f64>(x);
  if (!cubic) return a <= 1.0 ? 1.0 - a : 0.0;
  const x2 = x * x;
  if (a <= 1.0) return x2 * (1.5 * a - 2.5) + 1.0;
  if (a <= 2.0) return x2 * (-0.5 * a + 2.5) - 4.0 * a + 2.0;
  return 0.0;
}

/** Weights f((k - d) * s) for k = k0..k1 into `to` (f64 each); returns their sum in that order. */
// @ts-ignore: decorator
@inline function weights(cubic: bool, k0: i32, k1: i32, d: f64, s: f64, to: usize): f64 {
  let sum = 0.0;
  for (let k = k0; k <= k1; k++, to += 8) {
    const w = filterAt(cubic, (<f64>k - d) * s);
    store<f64>(to, w);
    sum += w;
  }
  return sum;
}

/**
 * sum_j wy_j * (sum_i v(i, j) * wx_i) over an ni x nj block at `s` (rows `row` bytes apart), in
 * offset order. Two rows at a time, one per f64x2 lane: each lane performs the scalar row's
 * operations, so the sums are the scalar ones.
 */
// @ts-ignore: decorator
@inline function blockSum<T>(s: usize, row: usize, ni: usize, nj: usize, wxs: usize, wys: usize): f64 {
  let acc = 0.0;
  let j: usize = 0;
  for (; j + 1 < nj; j += 2, s += row << 1) {
    let racc = f64x2.splat(0.0);
    let p = s;
    for (let i: usize = 0; i < ni; i++, p += sizeof<T>()) {
      const v = f64x2.replace_lane(f64x2.splat(num<T>(p)), 1, num<T>(p + row));
      racc = f64x2.add(racc, f64x2.mul(v, v128.load64_splat(wxs + (i << 3))));
    }
    acc += load<f64>(wys + (j << 3)) * f64x2.extract_lane(racc, 0);
    acc += load<f64>(wys + (j << 3), 8) * f64x2.extract_lane(racc, 1);
  }
  if (j < nj) {
    let racc = 0.0;
    for (let i: usize = 0; i < ni; i++) racc += num<T>(s + (i << alignof<T>())) * load<f64>(wxs + (i << 3));
    acc += load<f64>(wys + (j << 3)) * racc;
  }
  return acc;
}

/** One output pixel with the stretched filter; xy is inside the source. wxs/wys: scratch weights. */
function widenedAt<T>(
  cubic: bool, xy: v128, o: usize, src: usize, W: i32, H: i32, valid: usize, bands: i32, ss: usize, out: usize, ds: usize,
  sx: f64, sy: f64, rx: i32, ry: i32, wxs: usize, wys: usize,
): bool {
  if (valid != 0 && !usable(valid, under(xy, W))) return false;
  const p = f64x2.sub(xy, f64x2.splat(0.5));
  const fl = f64x2.floor(p);
  const f = f64x2.sub(p, fl);
  const c0 = <i32>f64x2.extract_lane(fl, 0);
  const r0 = <i32>f64x2.extract_lane(fl, 1);
  const dx = f64x2.extract_lane(f, 0);
  const dy = f64x2.extract_lane(f, 1);
  if (valid == 0 && (rx > W || ry > H)) return bilinearAt<T>(xy, o, src, W, H, valid, bands, ss, out, ds);
  const first = valid == 0 || cubic ? 1 : 0; // GWKResample's bilinear also visits offset -r (weight 0)
  const i0 = max<i32>(first - rx, -c0);
  const i1 = min<i32>(rx, W - 1 - c0);
  const j0 = max<i32>(first - ry, -r0);
  const j1 = min<i32>(ry, H - 1 - r0);
  const ni = <usize>(i1 - i0 + 1);
  const nj = <usize>(j1 - j0 + 1);
  const hsum = weights(cubic, i0, i1, dx, sx, wxs);
  const vsum = weights(cubic, j0, j1, dy, sy, wys);
  const row = <usize>W << alignof<T>();
  const corner = <usize>(r0 + j0) * <usize>W + <usize>(c0 + i0);
  let s = src + (corner << alignof<T>());
  let d = out + (o << alignof<T>());
  if (valid == 0) {
    const norm = hsum * vsum;
    for (let b = bands; b > 0; b--, s += ss, d += ds) store<T>(d, toSample<T>(blockSum<T>(s, row, ni, nj, wxs, wys) / norm));
    return true;
  }
  // the weight sum, shared by the bands (they share the validity map)
  let wsum = 0.0;
  let usableCount: usize = 0;
  let vr = valid + corner;
  for (let j: usize = 0; j < nj; j++, vr += <usize>W) {
    let rw = 0.0;
    for (let i: usize = 0; i < ni; i++) {
      if (load<u8>(vr + i) != 0) {
        rw += load<f64>(wxs + (i << 3));
        usableCount++;
      }
    }
    wsum += rw * load<f64>(wys + (j << 3));
  }
  if (wsum < 0.000001) return false;
  const divide = wsum < 0.99999 || wsum > 1.00001;
  for (let b = bands; b > 0; b--, s += ss, d += ds) {
    let acc = 0.0;
    if (usableCount == ni * nj) {
      acc = blockSum<T>(s, row, ni, nj, wxs, wys); // every neighbour usable: the same sums without tests
    } else {
      let sr = s;
      vr = valid + corner;
      for (let j: usize = 0; j < nj; j++, sr += row, vr += <usize>W) {
        let racc = 0.0;
        for (let i: usize = 0; i < ni; i++) {
          if (load<u8>(vr + i) != 0) racc += num<T>(sr + (i << alignof<T>())) * load<f64>(wxs + (i << 3));
        }
        acc += load<f64>(wys + (j << 3)) * racc;
      }
    }
    store<T>(d, toSample<T>(divide ? acc / wsum : acc));
  }
  return true;
}

// ---- driver ---------------------------------------------------------------------------------------

/** Sweep modes: the fixed 2x2 / 4x4 kernels everywhere, or filter parameters looked up per region. */
const FIXED = 0;
const FILTER = 1;
/** Bytes per entry of the filter parameter table: f64 sx, f64 sy, i32 rx, i32 ry, i32 fixed. */
const PARAM_BYTES = 32;

// @ts-ignore: decorator
@inline function sweep<T>(
  method: i32, mode: i32, src: usize, W: i32, H: i32, bands: i32, valid: usize,
  grid: usize, step: i32, dstW: i32, dstH: i32, out: usize, outMask: usize,
  params: usize, regionMap: usize, wxs: usize, wys: usize,
): void {
  const gridW = dstW / step + 1;
  const nodes = alloc(<usize>gridW << 4); // the grid interpolated along y to the current output row
  // for t = k / step, k < step: 1 - t and t, each splatted to both lanes (32 bytes per k)
  const fracs = alloc(<usize>step << 5);
  for (let k = 0; k < step; k++) {
    const t = <f64>k / <f64>step;
    v128.store(fracs + (<usize>k << 5), f64x2.splat(1.0 - t));
    v128.store(fracs + (<usize>k << 5), f64x2.splat(t), 16);
  }
  const ss = (<usize>W * <usize>H) << alignof<T>();
  const ds = (<usize>dstW * <usize>dstH) << alignof<T>();
  const lim = f64x2(<f64>W, <f64>H);
  const zero = f64x2.splat(0.0);
  // filter parameters of the current region (FILTER mode), region 0 to start with
  let region = 0;
  let sx = 1.0;
  let sy = 1.0;
  let rx = 0;
  let ry = 0;
  let fixed = true;
  if (mode == FILTER) {
    sx = load<f64>(params);
    sy = load<f64>(params, 8);
    rx = load<i32>(params, 16);
    ry = load<i32>(params, 20);
    fixed = load<i32>(params, 24) != 0;
  }
  let o: usize = 0;
  for (let py = 0; py < dstH; py++) {
    const gy = py / step;
    const fy = fracs + (<usize>(py - gy * step) << 5);
    const gty = v128.load(fy);
    const ty = v128.load(fy, 16);
    // nodes[i] = (1-ty)*a + ty*c: the inner y terms of (1-tx)*((1-ty)*a + ty*c) + tx*((1-ty)*b + ty*d),
    // shared by the whole output row
    const top = grid + ((<usize>gy * <usize>gridW) << 4);
    const bottom = top + (<usize>gridW << 4);
    for (let i: usize = 0; i < <usize>gridW; i++) {
      const a = v128.load(top + (i << 4));
      const c = v128.load(bottom + (i << 4));
      v128.store(nodes + (i << 4), f64x2.add(f64x2.mul(gty, a), f64x2.mul(ty, c)));
    }
    for (let gx = 0; gx < gridW - 1; gx++) {
      const l0 = v128.load(nodes + (<usize>gx << 4));
      const l1 = v128.load(nodes + (<usize>gx << 4), 16);
      for (let k = 0; k < step; k++, o++) {
        const fx = fracs + (<usize>k << 5);
        // (1-tx)*L0 + tx*L1 for x and y at once (measured faster than two scalar expressions)
        const xy = f64x2.add(f64x2.mul(v128.load(fx), l0), f64x2.mul(v128.load(fx, 16), l1));
        // 0 <= floor(s) < size  <=>  0 <= s < size; NaN fails both
        const inside = i64x2.bitmask(v128.and(f64x2.ge(xy, zero), f64x2.lt(xy, lim))) == 3;
        let ok = false;
        if (inside) {
          if (mode == FILTER && regionMap != 0) {
            const r = <i32>load<u8>(regionMap + o);
            if (r != region) {
              region = r;
              const e = params + <usize>r * PARAM_BYTES;
              sx = load<f64>(e);
              sy = load<f64>(e, 8);
              rx = load<i32>(e, 16);
              ry = load<i32>(e, 20);
              fixed = load<i32>(e, 24) != 0;
            }
          }
          if (method == NEAREST) ok = nearestAt<T>(xy, o, src, W, valid, bands, ss, out, ds);
          else if (mode == FILTER && !fixed) {
            ok = widenedAt<T>(method == CUBIC, xy, o, src, W, H, valid, bands, ss, out, ds, sx, sy, rx, ry, wxs, wys);
          } else if (method == BILINEAR) ok = bilinearAt<T>(xy, o, src, W, H, valid, bands, ss, out, ds);
          else ok = cubicAt<T>(xy, o, src, W, H, valid, bands, ss, out, ds);
        }
        store<u8>(outMask + o, ok ? 255 : 0);
      }
    }
  }
}

/**
 * Filter parameters per region (PARAM_BYTES each) from the scale table: region 0 is scales[0..1]
 * (scaleX, scaleY for the whole output), region k >= 1 is the rectangle at scales[2 + 6(k-1)..]
 * (x, y, width, height, scaleX, scaleY). Marks each output pixel's region in `regionMap` (later
 * rectangles win) when there are rectangles. Returns true when every region uses the fixed kernels.
 */
function filterParams(
  method: i32, scales: usize, regions: i32, W: i32, H: i32, dstW: i32, dstH: i32, params: usize, regionMap: usize,
): bool {
  const R: f64 = method == CUBIC ? 2.0 : 1.0;
  let allFixed = true;
  for (let k = 0; k <= regions; k++) {
    const rect = scales + 16 + <usize>(k - 1) * 48; // k > 0 only
    const at = k == 0 ? scales : rect + 32;
    const scaleX = load<f64>(at);
    const scaleY = load<f64>(at, 8);
    const sx = min<f64>(scaleX, 1.0);
    const sy = min<f64>(scaleY, 1.0);
    // GDAL: nXRadius = dfXScale < 1 ? ceil(R / dfXScale) : R; past the source size it changes nothing
    const rx = sx < 1.0 ? <i32>min<f64>(Math.ceil(R / sx), <f64>W + 2.0) : <i32>R;
    const ry = sy < 1.0 ? <i32>min<f64>(Math.ceil(R / sy), <f64>H + 2.0) : <i32>R;
    const fixed = scaleX >= 0.95 && scaleY >= 0.95;
    const e = params + <usize>k * PARAM_BYTES;
    store<f64>(e, sx);
    store<f64>(e, sy, 8);
    store<i32>(e, rx, 16);
    store<i32>(e, ry, 20);
    store<i32>(e, fixed ? 1 : 0, 24);
    if (!fixed) allFixed = false;
    if (k > 0 && regionMap != 0) {
      const x = <i32>load<f64>(rect);
      const y = <i32>load<f64>(rect, 8);
      const x0 = max<i32>(x, 0);
      const y0 = max<i32>(y, 0);
      const x1 = min<i32>(x + <i32>load<f64>(rect, 16), dstW);
      const y1 = min<i32>(y + <i32>load<f64>(rect, 24), dstH);
      for (let r = y0; r < y1; r++) {
        if (x1 > x0) memory.fill(regionMap + <usize>r * <usize>dstW + <usize>x0, <u8>k, <usize>(x1 - x0));
      }
    }
  }
  return allFixed;
}

/**
 * Resamples `bands` planes of srcW x srcH samples of type T at `src` into dstW x dstH planes at
 * `out` (plus a 0/255 mask at `outMask`), following the coordinate grid at `grid`. Masked output
 * pixels hold 0 in every band. method: 0 nearest, 1 bilinear, 2 cubic. `scales` (f64): scaleX,
 * scaleY of the output, then `regions` rectangles x, y, width, height, scaleX, scaleY with their own
 * (see filterParams); scales of at least 0.95 on both axes keep the fixed 2x2 / 4x4 kernels.
 */
function resample<T>(
  method: i32, src: usize, srcW: i32, srcH: i32, bands: i32, srcMask: usize, hasNodata: i32, nodata: f64,
  grid: usize, step: i32, dstW: i32, dstH: i32, out: usize, outMask: usize, scales: usize, regions: i32,
): void {
  const valid = validityMap<T>(src, <usize>srcW * <usize>srcH, bands, srcMask, hasNodata != 0, nodata);
  memory.fill(out, 0, (<usize>dstW * <usize>dstH * <usize>bands) << alignof<T>());
  // one specialised sweep per method and mode, so the per-pixel tests fold away
  if (method == NEAREST) {
    sweep<T>(NEAREST, FIXED, src, srcW, srcH, bands, valid, grid, step, dstW, dstH, out, outMask, 0, 0, 0, 0);
    return;
  }
  const params = alloc(<usize>(regions + 1) * PARAM_BYTES);
  let regionMap: usize = 0;
  if (regions > 0) {
    regionMap = alloc(<usize>dstW * <usize>dstH);
    memory.fill(regionMap, 0, <usize>dstW * <usize>dstH);
  }
  const allFixed = filterParams(method, scales, regions, srcW, srcH, dstW, dstH, params, regionMap);
  let mode = FIXED;
  let wxs: usize = 0;
  let wys: usize = 0;
  if (!allFixed) {
    mode = FILTER;
    let rx = 0;
    let ry = 0;
    for (let k = 0; k <= regions; k++) {
      rx = max<i32>(rx, load<i32>(params + <usize>k * PARAM_BYTES, 16));
      ry = max<i32>(ry, load<i32>(params + <usize>k * PARAM_BYTES, 20));
    }
    wxs = alloc(<usize>(2 * rx + 2) << 3);
    wys = alloc(<usize>(2 * ry + 2) << 3);
  }
  if (method == BILINEAR) {
    if (mode == FIXED) sweep<T>(BILINEAR, FIXED, src, srcW, srcH, bands, valid, grid, step, dstW, dstH, out, outMask, 0, 0, 0, 0);
    else sweep<T>(BILINEAR, FILTER, src, srcW, srcH, bands, valid, grid, step, dstW, dstH, out, outMask, params, regionMap, wxs, wys);
  } else {
    if (mode == FIXED) sweep<T>(CUBIC, FIXED, src, srcW, srcH, bands, valid, grid, step, dstW, dstH, out, outMask, 0, 0, 0, 0);
    else sweep<T>(CUBIC, FILTER, src, srcW, srcH, bands, valid, grid, step, dstW, dstH, out, outMask, params, regionMap, wxs, wys);
  }
}

export function resample_u8(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<u8>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
export function resample_i8(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<i8>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
export function resample_u16(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<u16>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
export function resample_i16(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<i16>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
export function resample_u32(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<u32>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
export function resample_i32(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<i32>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
export function resample_f32(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<f32>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
export function resample_f64(m: i32, s: usize, sw: i32, sh: i32, b: i32, sm: usize, hn: i32, nd: f64, g: usize, st: i32, dw: i32, dh: i32, o: usize, om: usize, sc: usize, nr: i32): void {
  resample<f64>(m, s, sw, sh, b, sm, hn, nd, g, st, dw, dh, o, om, sc, nr);
}
