// decodeLzw: WASM against the plain reference and geotiff.js's decoder on real blocks, synthetic
// streams (KwKwK, table resets, a frozen full table), and corrupt or truncated input (an Error,
// never a trap, never a write outside the output).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { DEMO_DATA_DIR, KERNELS_WASM } from '../../src/paths.js';
import { LzwError, lzwDecodeReference, lzwEncodeReference } from './reference/lzw.js';
import { geotiffDecode, tiffBlocks, type TiffBlock } from './tiff-blocks.js';
import { rng } from './fixtures.js';

let kernels: Kernels;
let lzwBlocks: TiffBlock[];
beforeAll(async () => {
  kernels = await loadKernels();
  lzwBlocks = [];
  for (const file of readdirSync(DEMO_DATA_DIR).filter((f) => /\.tiff?$/.test(f))) {
    const { blocks } = await tiffBlocks(join(DEMO_DATA_DIR, file));
    lzwBlocks.push(...blocks.filter((b) => b.layout.compression === 5));
  }
});

/** Hand-packed codes (MSB-first) at the given widths. */
function pack(codes: Array<[code: number, width: number]>): Uint8Array {
  const bits = codes.map(([c, w]) => c.toString(2).padStart(w, '0')).join('');
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) if (bits[i] === '1') out[i >> 3]! |= 0x80 >> (i & 7);
  return out;
}

/** WASM and reference agree: the same bytes, or both reject the input (error or short output). */
function expectSameOutcome(input: Uint8Array, outputBytes: number) {
  let ref: Uint8Array | Error;
  try {
    ref = lzwDecodeReference(input, outputBytes);
    if (ref.length < outputBytes) ref = new Error('short');
  } catch (e) {
    if (!(e instanceof LzwError)) throw e;
    ref = e;
  }
  let got: Uint8Array | Error;
  try {
    got = kernels.decodeLzw(input, outputBytes);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(WebAssembly.RuntimeError);
    expect((e as Error).message).toMatch(/^corrupt LZW data: /);
    got = e as Error;
  }
  if (ref instanceof Error) expect(got).toBeInstanceOf(Error);
  else expect(Buffer.from(got as Uint8Array).equals(Buffer.from(ref))).toBe(true);
  return got;
}

describe('decodeLzw on the LZW fixtures', () => {
  it('finds LZW blocks in the fixtures (the float32 DEM)', () => {
    expect(lzwBlocks.length).toBeGreaterThan(0);
  });

  it('equals geotiff.js and the reference byte for byte on every block', async () => {
    for (const b of lzwBlocks) {
      const got = kernels.decodeLzw(b.compressed, b.expected);
      expect(got.length).toBe(b.expected);
      const viaGeotiff = await geotiffDecode(b, { predictor: false });
      expect(Buffer.from(got).equals(Buffer.from(viaGeotiff))).toBe(true);
      expect(Buffer.from(got).equals(Buffer.from(lzwDecodeReference(b.compressed, b.expected)))).toBe(true);
    }
  });

  it('stops when the output is full (a prefix of the block)', () => {
    const b = lzwBlocks[0]!;
    const full = kernels.decodeLzw(b.compressed, b.expected);
    for (const n of [0, 1, 7, 8, 9, 1000, 4097, b.expected - 1]) {
      expect(Buffer.from(kernels.decodeLzw(b.compressed, n)).equals(Buffer.from(full.subarray(0, n)))).toBe(true);
    }
  });

  it('rejects truncated blocks with an Error', () => {
    const b = lzwBlocks[0]!;
    // the stored tile holds whole blockHeight rows (the image may use fewer)
    const whole = b.layout.blockWidth * b.layout.blockHeight * b.layout.samplesPerPixel * (b.layout.bitsPerSample / 8);
    expect(kernels.decodeLzw(b.compressed, whole).length).toBe(whole);
    for (const n of [0, 1, 2, 3, 4, 5, 100, b.compressed.length >> 1, b.compressed.length - 2]) {
      expect(() => kernels.decodeLzw(b.compressed.subarray(0, n), whole)).toThrow(/^corrupt LZW data: it decodes to \d+ bytes, expected/);
      expectSameOutcome(b.compressed.subarray(0, n), whole);
    }
    // asking for more than the block holds is the same error
    expect(() => kernels.decodeLzw(b.compressed, whole + 1)).toThrow(/expected/);
  });

  it('agrees with the reference on corrupted blocks (flipped bytes, garbage tails): error or the same bytes', () => {
    const random = rng(42);
    const b = lzwBlocks[0]!;
    let errors = 0;
    for (let k = 0; k < 60; k++) {
      const input = b.compressed.slice(0, 4000 + Math.floor(random() * 4000));
      const flips = 1 + Math.floor(random() * 4);
      for (let f = 0; f < flips; f++) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
      // decode just what the damaged prefix can hold, so that some runs succeed
      const outputBytes = Math.floor(random() * 3 * input.length);
      if (expectSameOutcome(input, outputBytes) instanceof Error) errors++;
    }
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(60);
  });
});

describe('decodeLzw on synthetic streams', () => {
  it('decodes what the reference encoder writes (runs, KwKwK, Clear at 4094 entries, widths 9..12)', () => {
    const random = rng(7);
    const cases: Uint8Array[] = [
      new Uint8Array(0),
      Uint8Array.of(65),
      new Uint8Array(1000).fill(0), // KwKwK all the way
      Uint8Array.from({ length: 300_000 }, () => Math.floor(random() * 256)), // table full often: many Clears
      Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251 ^ ((i >> 9) & 3)), // long strings
      Uint8Array.from({ length: 200_000 }, () => (random() < 0.9 ? 0 : Math.floor(random() * 4))), // low entropy
    ];
    for (const data of cases) {
      const enc = lzwEncodeReference(data);
      expect(Buffer.from(lzwDecodeReference(enc, data.length)).equals(Buffer.from(data))).toBe(true);
      expect(Buffer.from(kernels.decodeLzw(enc, data.length)).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('handles a table that fills up without a Clear (frozen at 4095 entries)', () => {
    const random = rng(11);
    const data = Uint8Array.from({ length: 100_000 }, () => Math.floor(random() * 16));
    const enc = lzwEncodeReference(data, { clearAt: null });
    expect(Buffer.from(lzwDecodeReference(enc, data.length)).equals(Buffer.from(data))).toBe(true);
    expect(Buffer.from(kernels.decodeLzw(enc, data.length)).equals(Buffer.from(data))).toBe(true);
  });

  it('needs no EOI when the output fills up; an EOI before it is an error', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i % 13);
    const noEoi = lzwEncodeReference(data, { eoi: false });
    expect(Buffer.from(kernels.decodeLzw(noEoi, data.length)).equals(Buffer.from(data))).toBe(true);
    expect(() => kernels.decodeLzw(lzwEncodeReference(data), data.length + 1)).toThrow(/decodes to 5000 bytes, expected 5001/);
  });

  it('reports corrupt codes', () => {
    // Clear, then a code that is not a literal
    expect(() => kernels.decodeLzw(pack([[256, 9], [300, 9]]), 10)).toThrow(/code after Clear is not a literal/);
    // a literal, then a code beyond the next free entry (259 when 258 is next)
    expect(() => kernels.decodeLzw(pack([[256, 9], [65, 9], [259, 9]]), 10)).toThrow(/beyond the string table/);
    // KwKwK with no previous code (a stream that does not start with Clear)
    expect(() => kernels.decodeLzw(pack([[258, 9]]), 10)).toThrow(/beyond the string table/);
    // and the well-formed KwKwK: 65, then 258 = "AA"
    expect(Array.from(kernels.decodeLzw(pack([[256, 9], [65, 9], [258, 9], [257, 9]]), 3))).toEqual([65, 65, 65]);
    for (const input of [pack([[256, 9], [300, 9]]), pack([[256, 9], [65, 9], [259, 9]])]) expectSameOutcome(input, 10);
  });

  it('random garbage: an Error or bytes equal to the reference, never a trap', () => {
    const random = rng(3);
    for (let k = 0; k < 300; k++) {
      const input = Uint8Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256));
      if (k % 2 === 0 && input.length > 2) (input[0] = 0x80), (input[1] &= 0x7f); // starts with Clear
      expectSameOutcome(input, Math.floor(random() * 200));
    }
  });

  it('rejects bad output sizes', () => {
    expect(() => kernels.decodeLzw(new Uint8Array(4), -1)).toThrow(RangeError);
    expect(() => kernels.decodeLzw(new Uint8Array(4), 1.5)).toThrow(RangeError);
    expect(() => kernels.decodeLzw(new Uint8Array(4), 2 ** 31)).toThrow(RangeError);
  });
});

describe('lzw_decode memory safety (raw export)', () => {
  it('never writes outside [dst, dst + dstLen) nor reads a byte past the input', async () => {
    const { instance } = await WebAssembly.instantiate(readFileSync(KERNELS_WASM), { env: { abort: () => { throw new Error('abort'); } } });
    const x = instance.exports as unknown as { memory: WebAssembly.Memory; alloc(n: number): number; reset(): void; lzw_decode(s: number, sl: number, d: number, dl: number): number };
    const random = rng(99);
    const real = lzwBlocks[0]!.compressed;
    const GUARD = 64;
    for (let k = 0; k < 200; k++) {
      // an input placed right before a guard band that changes every run: reading past it would
      // make the result depend on the guard
      const len = 1 + Math.floor(random() * 3000);
      const input = k % 3 === 0 ? Uint8Array.from({ length: len }, () => Math.floor(random() * 256)) : real.slice(0, len);
      if (k % 3 === 1) input[Math.floor(random() * len)] ^= 1 << Math.floor(random() * 8);
      const dstLen = Math.floor(random() * 20_000);
      const results: number[] = [];
      const outputs: Buffer[] = [];
      for (const fill of [0x00, 0xff]) {
        x.reset();
        const src = x.alloc(len + GUARD);
        const dst = x.alloc(GUARD + dstLen + GUARD) + GUARD;
        const mem = new Uint8Array(x.memory.buffer);
        mem.set(input, src);
        mem.fill(fill, src + len, src + len + GUARD);
        mem.fill(0xa5, dst - GUARD, dst + dstLen + GUARD);
        const n = x.lzw_decode(src, len, dst, dstLen);
        const after = new Uint8Array(x.memory.buffer);
        expect(n).toBeLessThanOrEqual(dstLen);
        expect(after.subarray(dst - GUARD, dst).every((v) => v === 0xa5)).toBe(true);
        expect(after.subarray(dst + dstLen, dst + dstLen + GUARD).every((v) => v === 0xa5)).toBe(true);
        results.push(n);
        outputs.push(Buffer.from(after.subarray(dst, dst + Math.max(n, 0))));
      }
      expect(results[0]).toBe(results[1]);
      expect(outputs[0]!.equals(outputs[1]!)).toBe(true);
    }
  });
});
