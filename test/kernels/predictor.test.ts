// applyPredictor (and decodeLzw's predictor step): WASM against the plain references and geotiff.js's
// applyPredictor, on synthetic blocks of every sample size, 1..5 samples per pixel, widths around the
// 16-byte vector steps, plus round trips through the writer's side and big-endian input.
import { getDecoder } from 'geotiff';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels, PredictorParams } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { lzwEncodeReference } from './reference/lzw.js';
import { floatingPointEncode, floatingPointReference, horizontalEncode, horizontalReference } from './reference/predictor.js';
import { rng } from './fixtures.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

const random = rng(5);
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

/** geotiff.js's predictor (RawDecoder + applyPredictor), on a copy. */
async function geotiffPredictor(data: Uint8Array, p: PredictorParams): Promise<Uint8Array> {
  const decoder = await getDecoder(1, {
    tileWidth: p.width,
    tileHeight: p.rows,
    predictor: p.predictor,
    bitsPerSample: Array(p.samplesPerPixel).fill(p.bitsPerSample),
    planarConfiguration: 1,
  });
  return new Uint8Array(await decoder.decode(data.slice().buffer));
}

const WIDTHS = [1, 2, 3, 15, 16, 17, 33, 100];
const SPPS = [1, 2, 3, 4, 5];
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('predictor 2 (horizontal differencing)', () => {
  it('equals the reference and geotiff.js for 8/16/32-bit samples (and the reference for 64-bit)', async () => {
    for (const bits of [8, 16, 32, 64] as const) {
      for (const spp of SPPS) {
        for (const width of WIDTHS) {
          const rows = 3;
          const p: PredictorParams = { predictor: 2, width, rows, samplesPerPixel: spp, bitsPerSample: bits };
          const input = randomBytes((width * spp * bits * rows) / 8);
          const got = input.slice();
          kernels.applyPredictor(got, p);
          const ref = input.slice();
          horizontalReference(ref, width, rows, spp, (bits / 8) as 1 | 2 | 4 | 8);
          expect(same(got, ref), `${bits}-bit spp ${spp} width ${width}`).toBe(true);
          if (bits !== 64) expect(same(got, await geotiffPredictor(input, p)), `geotiff.js ${bits}-bit spp ${spp} width ${width}`).toBe(true);
        }
      }
    }
  });

  it('round-trips the writer side', () => {
    for (const bits of [8, 16, 32, 64] as const) {
      const width = 37, rows = 4, spp = 3;
      const data = randomBytes((width * spp * bits * rows) / 8);
      const enc = data.slice();
      horizontalEncode(enc, width, rows, spp, (bits / 8) as 1 | 2 | 4 | 8);
      kernels.applyPredictor(enc, { predictor: 2, width, rows, samplesPerPixel: spp, bitsPerSample: bits });
      expect(same(enc, data)).toBe(true);
    }
  });

  it('big-endian samples: swapped first, little-endian out', () => {
    for (const bits of [8, 16, 32, 64] as const) {
      const bytes = bits / 8;
      const width = 21, rows = 2, spp = 2;
      const be = randomBytes(width * spp * bytes * rows);
      const got = be.slice();
      kernels.applyPredictor(got, { predictor: 2, width, rows, samplesPerPixel: spp, bitsPerSample: bits, bigEndian: true });
      const le = be.slice();
      for (let i = 0; i < le.length; i += bytes) le.subarray(i, i + bytes).reverse();
      horizontalReference(le, width, rows, spp, bytes as 1 | 2 | 4 | 8);
      expect(same(got, le)).toBe(true);
      const ref = be.slice();
      horizontalReference(ref, width, rows, spp, bytes as 1 | 2 | 4 | 8, true);
      expect(same(got, ref)).toBe(true);
    }
  });
});

describe('predictor 3 (floating point)', () => {
  it('equals the reference and geotiff.js for 16/32/64-bit samples', async () => {
    for (const bits of [16, 32, 64]) {
      for (const spp of SPPS) {
        for (const width of WIDTHS) {
          const rows = 3;
          const p: PredictorParams = { predictor: 3, width, rows, samplesPerPixel: spp, bitsPerSample: bits };
          const input = randomBytes((width * spp * bits * rows) / 8);
          const got = input.slice();
          kernels.applyPredictor(got, p);
          const ref = input.slice();
          floatingPointReference(ref, width, rows, spp, bits / 8);
          expect(same(got, ref), `${bits}-bit spp ${spp} width ${width}`).toBe(true);
          expect(same(got, await geotiffPredictor(input, p)), `geotiff.js ${bits}-bit spp ${spp} width ${width}`).toBe(true);
        }
      }
    }
  });

  it('round-trips float32 and float64 values (NaN, infinities, signed zeros, subnormals)', () => {
    const specials = [Number.NaN, Infinity, -Infinity, 0, -0, 1e-310, -5e-324, 3.4e38, 1.17e-38, 1, -1, 1234.5678];
    for (const [Ctor, bits] of [[Float32Array, 32], [Float64Array, 64]] as const) {
      const width = 41, rows = 3, spp = 2;
      const values = new Ctor(width * rows * spp);
      values.forEach((_, i) => (values[i] = i % 5 === 0 ? specials[i % specials.length]! : (random() - 0.5) * 10 ** Math.floor(random() * 12)));
      const bytes = new Uint8Array(values.buffer.slice(0));
      floatingPointEncode(bytes, width, rows, spp, bits / 8);
      kernels.applyPredictor(bytes, { predictor: 3, width, rows, samplesPerPixel: spp, bitsPerSample: bits });
      expect(same(bytes, new Uint8Array(values.buffer))).toBe(true);
    }
  });

  it('ignores the byte order flag (its output is little-endian in any file)', () => {
    const input = randomBytes(64 * 4 * 2);
    const a = input.slice();
    const b = input.slice();
    kernels.applyPredictor(a, { predictor: 3, width: 64, rows: 2, samplesPerPixel: 1, bitsPerSample: 32 });
    kernels.applyPredictor(b, { predictor: 3, width: 64, rows: 2, samplesPerPixel: 1, bitsPerSample: 32, bigEndian: true });
    expect(same(a, b)).toBe(true);
  });
});

describe('predictor arguments', () => {
  it('touches only the block and leaves bytes after it alone', () => {
    const data = randomBytes(100);
    const tail = data.slice(48);
    kernels.applyPredictor(data, { predictor: 3, width: 4, rows: 3, samplesPerPixel: 1, bitsPerSample: 32 });
    expect(same(data.subarray(48), tail)).toBe(true);
  });

  it('rejects unsupported sizes and blocks larger than the data', () => {
    const data = new Uint8Array(64);
    const p = { width: 4, rows: 2, samplesPerPixel: 1 };
    expect(() => kernels.applyPredictor(data, { ...p, predictor: 2, bitsPerSample: 12 })).toThrow(/does not support 12-bit/);
    expect(() => kernels.applyPredictor(data, { ...p, predictor: 3, bitsPerSample: 8 })).toThrow(/does not support 8-bit/);
    expect(() => kernels.applyPredictor(data, { ...p, predictor: 4 as 2, bitsPerSample: 8 })).toThrow(/unsupported predictor 4/);
    expect(() => kernels.applyPredictor(data, { ...p, rows: 3, predictor: 2, bitsPerSample: 64 })).toThrow(/exceed the 64 bytes/);
    expect(() => kernels.applyPredictor(data, { ...p, width: 0, predictor: 2, bitsPerSample: 8 })).toThrow(/positive integers/);
  });

  it('decodeLzw applies the predictor after decoding', () => {
    const width = 50, rows = 7, spp = 3;
    const values = Float32Array.from({ length: width * rows * spp }, (_, i) => 1000 + Math.sin(i / 10) * 50);
    const bytes = new Uint8Array(values.buffer.slice(0));
    floatingPointEncode(bytes, width, rows, spp, 4);
    const got = kernels.decodeLzw(lzwEncodeReference(bytes), bytes.length, { predictor: 3, width, rows, samplesPerPixel: spp, bitsPerSample: 32 });
    expect(Array.from(new Float32Array(got.buffer))).toEqual(Array.from(values));
    expect(() => kernels.decodeLzw(lzwEncodeReference(bytes), bytes.length - 1, { predictor: 3, width, rows, samplesPerPixel: spp, bitsPerSample: 32 }))
      .toThrow(/exceed/);
  });
});
