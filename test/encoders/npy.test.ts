import { parse } from '@loaders.gl/core';
import { NPYLoader } from '@loaders.gl/textures';
import { describe, expect, it } from 'vitest';
import { encodeNpy, npyHeader, type NpyArray } from '../../src/encoders/npy.js';

const bytesOf = (a: NpyArray) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const latin1 = (bytes: Uint8Array) => bytesOf(bytes).toString('latin1');

/**
 * Expected preambles written out from numpy's format (numpy >= 1.23, `np.save`):
 * 10-byte prefix, the dict, 21 - len(str(shape[0])) "growth" spaces, then `64 - (10 + len + 1) % 64`
 * more spaces (so 1..64, never 0) and '\n'. The space counts below are that arithmetic done by hand
 * (and checked against numpy 2.4's write_array_header_1_0).
 */
const CASES: { name: string; make: () => NpyArray; shape: number[]; dict: string; spaces: number; total: number }[] = [
  // 10 + 66 + 20 growth + 1 = 97 -> +31 pad = 128; 20 + 31 = 51 spaces
  { name: '<f4 (2, 256, 256)', make: () => new Float32Array(2 * 256 * 256), shape: [2, 256, 256], dict: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 256, 256), }", spaces: 51, total: 128 },
  { name: '<u2 (4, 256, 256)', make: () => new Uint16Array(4 * 256 * 256), shape: [4, 256, 256], dict: "{'descr': '<u2', 'fortran_order': False, 'shape': (4, 256, 256), }", spaces: 51, total: 128 },
  { name: '<i2 (1, 512, 512)', make: () => new Int16Array(512 * 512), shape: [1, 512, 512], dict: "{'descr': '<i2', 'fortran_order': False, 'shape': (1, 512, 512), }", spaces: 51, total: 128 },
  // one-element tuple keeps its comma; single bytes have no byte order
  { name: '|u1 (3,)', make: () => new Uint8Array(3), shape: [3], dict: "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", spaces: 60, total: 128 },
  { name: '|i1 (2, 3)', make: () => new Int8Array(6), shape: [2, 3], dict: "{'descr': '|i1', 'fortran_order': False, 'shape': (2, 3), }", spaces: 58, total: 128 },
  { name: '<u4 (10,)', make: () => new Uint32Array(10), shape: [10], dict: "{'descr': '<u4', 'fortran_order': False, 'shape': (10,), }", spaces: 59, total: 128 },
  { name: '<i4 (2, 2)', make: () => new Int32Array(4), shape: [2, 2], dict: "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", spaces: 58, total: 128 },
  // a scalar: no growth spaces; 10 + 55 + 1 = 66 -> +62 = 128
  { name: '<f8 ()', make: () => new Float64Array(1), shape: [], dict: "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", spaces: 62, total: 128 },
];

describe('encodeNpy header', () => {
  for (const c of CASES) {
    it(`matches numpy for ${c.name}`, () => {
      const data = c.make();
      const out = encodeNpy(data, c.shape);
      const text = latin1(out.subarray(0, c.total));
      expect(text).toBe('\x93NUMPY\x01\x00' + String.fromCharCode(c.total - 10, 0) + c.dict + ' '.repeat(c.spaces) + '\n');
      expect(out.length).toBe(c.total + data.byteLength);
      expect(c.total % 64).toBe(0);
    });
  }

  it('adds a full 64 spaces when the header would already be aligned (numpy quirk)', () => {
    // 10 + 97 + 20 growth + 1 = 128, already a multiple of 64, so numpy pads 64 more: 84 spaces, 192 bytes.
    const dict = "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 9999999, 9999999, 9999999, 999999, 9999), }";
    const header = npyHeader('<i4', [1, 9999999, 9999999, 9999999, 999999, 9999]);
    expect(header).toBe(dict + ' '.repeat(84) + '\n');
    expect(10 + header.length).toBe(192);
  });

  it('writes the data little-endian right after the preamble, and owns its buffer from offset 0', () => {
    const out = encodeNpy(new Uint16Array([0x0102, 0xa0b0]), [2]);
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(out.length);
    expect(Array.from(out.subarray(128))).toEqual([0x02, 0x01, 0xb0, 0xa0]);
  });

  it('copies from a view with a byte offset', () => {
    const backing = new Float32Array([9, 1.5, -2, 9]);
    const out = encodeNpy(backing.subarray(1, 3), [2]);
    expect(Array.from(new Float32Array(out.buffer, 128, 2))).toEqual([1.5, -2]);
  });

  it('rejects a shape that does not match the data', () => {
    expect(() => encodeNpy(new Uint8Array(10), [3, 3])).toThrow(RangeError);
  });
});

describe('encodeNpy -> loaders.gl NPYLoader (what kepler.gl runs)', () => {
  const fill = <T extends NpyArray>(a: T, f: (i: number) => number): T => {
    for (let i = 0; i < a.length; i++) a[i] = f(i);
    return a;
  };
  const n = 3 * 256 * 256;
  const arrays: [string, NpyArray][] = [
    ['|u1', fill(new Uint8Array(n), (i) => i * 7)],
    ['<u2', fill(new Uint16Array(n), (i) => i * 7919)],
    ['<i2', fill(new Int16Array(n), (i) => (i * 7919) - 32768)],
    ['<f4', fill(new Float32Array(n), (i) => Math.sin(i) * 1e3)],
    ['<f8', fill(new Float64Array(n), (i) => Math.cos(i) / 3)],
  ];
  for (const [descr, data] of arrays) {
    it(`round-trips ${descr} (3, 256, 256)`, async () => {
      const out = encodeNpy(data, [3, 256, 256]);
      const parsed = (await parse(out.buffer, NPYLoader)) as { data: NpyArray; header: { descr: string; shape: number[]; fortran_order: boolean } };
      expect(parsed.header).toEqual({ descr, fortran_order: false, shape: [3, 256, 256] });
      expect(parsed.data.constructor).toBe(data.constructor);
      expect(parsed.data.length).toBe(data.length);
      expect(bytesOf(parsed.data).equals(bytesOf(data))).toBe(true); // toEqual on 196k elements takes ~1 s
    });
  }

  it('parses a one-element shape such as (3,)', async () => {
    const parsed = (await parse(encodeNpy(new Int8Array([-1, 0, 1]), [3]).buffer, NPYLoader)) as { data: Int8Array; header: { shape: number[] } };
    expect(parsed.header.shape).toEqual([3]);
    expect(Array.from(parsed.data)).toEqual([-1, 0, 1]);
  });
});
