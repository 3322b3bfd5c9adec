import { describe, expect, it } from 'vitest';
import { SAMPLE_TYPES, dtypeOf, typedArrayFor } from '../../src/kernels/types.js';

describe('sample type <-> typed array', () => {
  it('round-trips every sample type', () => {
    for (const dtype of SAMPLE_TYPES) expect(dtypeOf(new (typedArrayFor(dtype))(2))).toBe(dtype);
  });

  it('treats Node Buffers as uint8 and rejects non-sample views', () => {
    expect(dtypeOf(Buffer.alloc(3))).toBe('uint8');
    expect(() => dtypeOf(new Uint8ClampedArray(1))).toThrow(TypeError);
    expect(() => dtypeOf(new BigInt64Array(1))).toThrow(TypeError);
    expect(() => dtypeOf(new DataView(new ArrayBuffer(1)))).toThrow(TypeError);
    expect(() => typedArrayFor('float16' as never)).toThrow(TypeError);
  });
});
