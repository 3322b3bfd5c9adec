// TIFF predictors, undone in place on a decompressed block of `rows` rows of `width` pixels of
// `spp` samples (spp = 1 for planar configuration 2). Mirrors test/kernels/reference/predictor.ts,
// which follows libtiff (tif_predict.c) and geotiff.js (predictor.js). Output is little-endian.
//
// Both return 0, or PREDICTOR_ERR_ARGS when the geometry is not positive, the sample size is not
// supported or rows * width * spp * bytes does not fit in 31 bits; they then leave data untouched.
// The caller passes buffers of at least rows * width * spp * bytes bytes (and a scratch row).

export const PREDICTOR_ERR_ARGS: i32 = -1;

/** Bytes in a row, or -1 when an argument is out of range or the block does not fit in 31 bits. */
function rowBytes(width: i32, rows: i32, spp: i32, bytes: i32): i64 {
  if (width <= 0 || rows <= 0 || spp <= 0) return -1;
  if (bytes != 1 && bytes != 2 && bytes != 4 && bytes != 8) return -1;
  const row = <i64>width * <i64>spp * <i64>bytes;
  if (row * <i64>rows > <i64>i32.MAX_VALUE) return -1;
  return row;
}

// ---- predictor 2: horizontal differencing ---------------------------------------------------

/** Undoes differencing on one row of `n` samples of T: s[i] += s[i - spp], wrapping. */
// @ts-ignore: decorator
@inline function accumulate<T>(row: usize, n: usize, spp: usize, swap: bool): void {
  if (swap) {
    // big-endian file: each sample to native order first (libtiff swabs before accumulating)
    for (let i: usize = 0; i < n; i++) {
      const p = row + (i << alignof<T>());
      store<T>(p, bswap<T>(load<T>(p)));
    }
  }
  if (spp == 1) {
    let acc = load<T>(row);
    for (let i: usize = 1; i < n; i++) {
      const p = row + (i << alignof<T>());
      acc += load<T>(p);
      store<T>(p, acc);
    }
    return;
  }
  for (let i = spp; i < n; i++) {
    const p = row + (i << alignof<T>());
    store<T>(p, load<T>(p) + load<T>(p - (spp << alignof<T>())));
  }
}

function horizontal<T>(data: usize, row: usize, rows: i32, samples: usize, spp: usize, swap: bool): void {
  for (let r = 0; r < rows; r++) accumulate<T>(data + <usize>r * row, samples, spp, swap);
}

/**
 * Predictor 2 for 1, 2, 4 or 8-byte samples (integer sums modulo the sample size, so floats are
 * summed as their bit patterns, as libtiff does). bigEndian != 0: the samples are big-endian and
 * are byte-swapped to little-endian before summing.
 */
export function predictor_horizontal(data: usize, width: i32, rows: i32, spp: i32, bytes: i32, bigEndian: i32): i32 {
  const row = rowBytes(width, rows, spp, bytes);
  if (row < 0) return PREDICTOR_ERR_ARGS;
  const samples = <usize>width * <usize>spp;
  const swap = bigEndian != 0;
  if (bytes == 1) horizontal<u8>(data, <usize>row, rows, samples, <usize>spp, false);
  else if (bytes == 2) horizontal<u16>(data, <usize>row, rows, samples, <usize>spp, swap);
  else if (bytes == 4) horizontal<u32>(data, <usize>row, rows, samples, <usize>spp, swap);
  else horizontal<u64>(data, <usize>row, rows, samples, <usize>spp, swap);
  return 0;
}

// ---- predictor 3: floating point ------------------------------------------------------------

/** Byte-wise accumulation of a row into scratch: t[i] = row[i] + t[i - spp] (mod 256). */
// @ts-ignore: decorator
@inline function accumulateBytes(row: usize, t: usize, n: usize, spp: usize): void {
  if (spp == 1) {
    // 16 bytes at a time: an in-register prefix sum (4 shift-and-add steps) plus the carry of the
    // previous 16 bytes' last sum
    let carry = i8x16.splat(0);
    let i: usize = 0;
    const zero = i8x16.splat(0);
    for (; i + 16 <= n; i += 16) {
      let v = v128.load(row + i);
      v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30));
      v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 1, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29));
      v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27));
      v = i8x16.add(v, i8x16.shuffle(zero, v, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23));
      v = i8x16.add(v, carry);
      v128.store(t + i, v);
      carry = i8x16.shuffle(v, v, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15);
    }
    let acc = <u8>i8x16.extract_lane_u(carry, 0);
    for (; i < n; i++) {
      acc += load<u8>(row + i);
      store<u8>(t + i, acc);
    }
    return;
  }
  const m = min(spp, n);
  memory.copy(t, row, m);
  for (let i = m; i < n; i++) store<u8>(t + i, load<u8>(row + i) + load<u8>(t + i - spp));
}

/**
 * Row of `count` samples of B bytes from B byte planes in t (plane 0 = most significant bytes)
 * into little-endian samples at row: row[B*i + b] = t[(B - 1 - b) * count + i].
 */
// @ts-ignore: decorator
@inline function unshuffle(row: usize, t: usize, count: usize, B: usize): void {
  let i: usize = 0;
  if (B == 4) {
    const p3 = t, p2 = t + count, p1 = t + 2 * count, p0 = t + 3 * count;
    for (; i + 16 <= count; i += 16) {
      const a0 = v128.load(p0 + i), a1 = v128.load(p1 + i), a2 = v128.load(p2 + i), a3 = v128.load(p3 + i);
      // (b0, b1) and (b2, b3) pairs, then the pairs of pairs
      const lo01 = i8x16.shuffle(a0, a1, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const hi01 = i8x16.shuffle(a0, a1, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const lo23 = i8x16.shuffle(a2, a3, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const hi23 = i8x16.shuffle(a2, a3, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const d = row + (i << 2);
      v128.store(d, i16x8.shuffle(lo01, lo23, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(d + 16, i16x8.shuffle(lo01, lo23, 4, 12, 5, 13, 6, 14, 7, 15));
      v128.store(d + 32, i16x8.shuffle(hi01, hi23, 0, 8, 1, 9, 2, 10, 3, 11));
      v128.store(d + 48, i16x8.shuffle(hi01, hi23, 4, 12, 5, 13, 6, 14, 7, 15));
    }
  }
  for (; i < count; i++) {
    for (let b: usize = 0; b < B; b++) store<u8>(row + i * B + b, load<u8>(t + (B - 1 - b) * count + i));
  }
}

/**
 * Predictor 3 (floating point) for 1, 2, 4 or 8-byte samples: per row, byte-wise accumulation with
 * stride spp, then the byte planes (most significant first) back into samples. The result is
 * little-endian whatever the file's byte order (libtiff returns native order for this predictor).
 * `scratch` holds one row (width * spp * bytes bytes) and must not overlap data.
 */
export function predictor_float(data: usize, width: i32, rows: i32, spp: i32, bytes: i32, scratch: usize): i32 {
  const row = rowBytes(width, rows, spp, bytes);
  if (row < 0) return PREDICTOR_ERR_ARGS;
  const n = <usize>row;
  const count = <usize>width * <usize>spp;
  for (let r = 0; r < rows; r++) {
    const p = data + <usize>r * n;
    accumulateBytes(p, scratch, n, <usize>spp);
    unshuffle(p, scratch, count, <usize>bytes);
  }
  return 0;
}
