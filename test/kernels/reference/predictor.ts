// Plain references of assembly/predictor.ts (libtiff tif_predict.c, geotiff.js predictor.js), in place
// on a block of `rows` rows of `width` pixels of `spp` samples of `bytes` bytes.

/** Predictor 2: per row, sample i += sample i - spp, modulo 2^(8*bytes); big-endian samples are swapped to little-endian first. */
export function horizontalReference(
  data: Uint8Array, width: number, rows: number, spp: number, bytes: 1 | 2 | 4 | 8, bigEndian = false,
): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = !bigEndian;
  const n = width * spp;
  for (let r = 0; r < rows; r++) {
    const row = r * n * bytes;
    const at = (i: number) => row + i * bytes;
    if (bytes === 8) {
      const s = Array.from({ length: n }, (_, i) => view.getBigUint64(at(i), le));
      for (let i = spp; i < n; i++) s[i] = BigInt.asUintN(64, s[i]! + s[i - spp]!);
      s.forEach((v, i) => view.setBigUint64(at(i), v, true));
    } else {
      const get = (o: number) => (bytes === 1 ? view.getUint8(o) : bytes === 2 ? view.getUint16(o, le) : view.getUint32(o, le));
      const s = Array.from({ length: n }, (_, i) => get(at(i)));
      const mod = 2 ** (8 * bytes);
      for (let i = spp; i < n; i++) s[i] = (s[i]! + s[i - spp]!) % mod;
      s.forEach((v, i) => (bytes === 1 ? view.setUint8(at(i), v) : bytes === 2 ? view.setUint16(at(i), v, true) : view.setUint32(at(i), v, true)));
    }
  }
}

/**
 * Predictor 3: per row, bytes accumulate with stride spp (mod 256), then the row holds `bytes`
 * planes of width*spp bytes, most significant first; samples come out little-endian.
 */
export function floatingPointReference(data: Uint8Array, width: number, rows: number, spp: number, bytes: number): void {
  const n = width * spp;
  const rowBytes = n * bytes;
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * rowBytes, (r + 1) * rowBytes);
    for (let i = spp; i < rowBytes; i++) row[i] = (row[i]! + row[i - spp]!) & 0xff;
    const planes = Uint8Array.from(row); // a copy (slice of a Buffer would be a view)
    for (let i = 0; i < n; i++) {
      for (let b = 0; b < bytes; b++) row[i * bytes + b] = planes[(bytes - 1 - b) * n + i]!;
    }
  }
}

/** The writer's side of predictor 2 (little-endian samples), for round-trip tests. */
export function horizontalEncode(data: Uint8Array, width: number, rows: number, spp: number, bytes: 1 | 2 | 4 | 8): void {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = width * spp;
  for (let r = 0; r < rows; r++) {
    const at = (i: number) => (r * n + i) * bytes;
    const get = (o: number): bigint => bytes === 8 ? view.getBigUint64(o, true)
      : BigInt(bytes === 1 ? view.getUint8(o) : bytes === 2 ? view.getUint16(o, true) : view.getUint32(o, true));
    const s = Array.from({ length: n }, (_, i) => get(at(i)));
    for (let i = n - 1; i >= spp; i--) s[i] = BigInt.asUintN(8 * bytes, s[i]! - s[i - spp]!);
    s.forEach((v, i) => {
      for (let b = 0; b < bytes; b++) view.setUint8(at(i) + b, Number((v >> BigInt(8 * b)) & 0xffn));
    });
  }
}

/** The writer's side of predictor 3 (little-endian samples in), as libtiff's fpDiff, for round-trip tests. */
export function floatingPointEncode(data: Uint8Array, width: number, rows: number, spp: number, bytes: number): void {
  const n = width * spp;
  const rowBytes = n * bytes;
  for (let r = 0; r < rows; r++) {
    const row = data.subarray(r * rowBytes, (r + 1) * rowBytes);
    const samples = Uint8Array.from(row);
    for (let i = 0; i < n; i++) {
      for (let b = 0; b < bytes; b++) row[(bytes - 1 - b) * n + i] = samples[i * bytes + b]!;
    }
    for (let i = rowBytes - 1; i >= spp; i--) row[i] = (row[i]! - row[i - spp]!) & 0xff;
  }
}
