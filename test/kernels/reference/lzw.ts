// Plain reference of assembly/lzw.ts: TIFF LZW as geotiff.js (compression/lzw.js) decodes it, with
// the same error cases as the kernel. A dictionary of strings, one code at a time.

export class LzwError extends Error {}

/** Decodes `input`, stopping after `outputBytes` bytes; returns what was decoded (may be shorter). */
export function lzwDecodeReference(input: Uint8Array, outputBytes: number): Uint8Array {
  const out: number[] = [];
  let bit = 0;
  let width = 9;
  let dict: number[][] = [];
  const reset = () => {
    dict = [];
    for (let i = 0; i < 256; i++) dict.push([i]);
    dict.push([], []); // 256 Clear, 257 EOI
    width = 9;
  };
  // MSB-first; bits past the end read as 0; a code starting past the end is EOI
  const read = (): number => {
    if (bit >> 3 >= input.length) return 257;
    let code = 0;
    for (let i = 0; i < width; i++) {
      const b = (bit + i) >> 3;
      const v = b < input.length ? (input[b]! >> (7 - ((bit + i) & 7))) & 1 : 0;
      code = (code << 1) | v;
    }
    bit += width;
    return code;
  };
  const emit = (s: number[]) => {
    for (const v of s) if (out.length < outputBytes) out.push(v);
  };
  reset();
  let prev: number[] | undefined;
  while (out.length < outputBytes) {
    let code = read();
    if (code === 257) break;
    if (code === 256) {
      reset();
      do code = read(); while (code === 256);
      if (code === 257) break;
      if (code > 256) throw new LzwError(`code ${code} after Clear`);
      emit(dict[code]!);
      prev = dict[code];
      continue;
    }
    let s: number[];
    if (code < dict.length) {
      s = dict[code]!;
      if (prev) dict.push([...prev, s[0]!]);
    } else if (code === dict.length && prev) {
      s = [...prev, prev[0]!];
      dict.push(s);
    } else {
      throw new LzwError(`code ${code} with ${dict.length} table entries`);
    }
    emit(s);
    prev = s;
    // early change; at 12 bits with 4095 entries the table stops growing until the next Clear
    if (dict.length + 1 >= 2 ** width) {
      if (width === 12) prev = undefined;
      else width++;
    }
  }
  return Uint8Array.from(out);
}

/**
 * A TIFF LZW encoder for tests, as libtiff writes (tif_lzw.c LZWEncode, without its compression-ratio
 * check): Clear first, the code width grows when the next free code passes 2^width - 1 (one entry
 * ahead of the decoder: the early change), Clear when the next free code reaches `clearAt` (4094 in
 * libtiff). `clearAt: null` never clears: the table freezes at 4095 entries, as decoders expect.
 */
export function lzwEncodeReference(
  data: Uint8Array,
  options: { clearAt?: number | null; eoi?: boolean } = {},
): Uint8Array {
  const clearAt = options.clearAt === undefined ? 4094 : options.clearAt;
  const bytes: number[] = [];
  let acc = 0;
  let nacc = 0;
  let width = 9;
  const put = (code: number) => {
    acc = (acc << width) | code;
    nacc += width;
    while (nacc >= 8) {
      bytes.push((acc >> (nacc - 8)) & 0xff);
      nacc -= 8;
    }
    acc &= (1 << nacc) - 1;
  };
  let table = new Map<number, number>(); // (prefix code << 8 | byte) -> code
  let next = 258;
  // after emitting a code: the encoder's table grows by one (when not frozen), then Clear or widen
  const grow = (key: number | undefined) => {
    if (next < 4095) {
      if (key !== undefined) table.set(key, next);
      next++;
    }
    if (next === clearAt) {
      put(256);
      table = new Map();
      next = 258;
      width = 9;
    } else if (next > (1 << width) - 1 && width < 12) {
      width++;
    }
  };
  put(256);
  let w = -1; // code of the current prefix
  for (const c of data) {
    if (w < 0) {
      w = c;
      continue;
    }
    const key = (w << 8) | c;
    const hit = table.get(key);
    if (hit !== undefined) {
      w = hit;
      continue;
    }
    put(w);
    grow(key);
    w = c;
  }
  if (w >= 0) {
    put(w);
    grow(undefined);
  }
  if (options.eoi ?? true) put(257);
  if (nacc > 0) bytes.push((acc << (8 - nacc)) & 0xff);
  return Uint8Array.from(bytes);
}
