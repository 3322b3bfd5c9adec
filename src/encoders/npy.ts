/**
 * numpy `.npy` v1.0 writer, byte-for-byte what `numpy.save` (numpy >= 1.23) writes.
 *
 * kepler.gl parses the body with loaders.gl's NPYLoader, which turns the header into JSON with a few
 * string replacements, so the header text must be numpy's exact layout (key order, spacing, `(3,)`).
 */

export type NpyArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]; // "\x93NUMPY", version 1.0
const ARRAY_ALIGN = 64; // numpy.lib.format.ARRAY_ALIGN
const GROWTH_AXIS_MAX_DIGITS = 21; // numpy pads so the first axis can grow in place

/** numpy's dtype.str; single-byte types have no byte order ('|'). */
function descr(data: NpyArray): string {
  if (data instanceof Uint8Array) return '|u1';
  if (data instanceof Int8Array) return '|i1';
  if (data instanceof Uint16Array) return '<u2';
  if (data instanceof Int16Array) return '<i2';
  if (data instanceof Uint32Array) return '<u4';
  if (data instanceof Int32Array) return '<i4';
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  throw new TypeError('encodeNpy: unsupported array type');
}

/** Python's repr of a tuple of ints: `()`, `(3,)`, `(4, 256, 256)`. */
function shapeRepr(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * The header text that follows the 10-byte prefix (magic, version, uint16 length): the dict, numpy's
 * growth spaces, then spaces so the whole preamble is a multiple of 64 bytes, then '\n'.
 */
export function npyHeader(dtype: string, shape: number[]): string {
  let header = `{'descr': '${dtype}', 'fortran_order': False, 'shape': ${shapeRepr(shape)}, }`;
  if (shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(shape[0]).length));
  // numpy's _wrap_header: padlen is 1..64, so a header that would already align gets 64 more spaces.
  const padlen = ARRAY_ALIGN - ((MAGIC.length + 2 + header.length + 1) % ARRAY_ALIGN);
  return header + ' '.repeat(padlen) + '\n';
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encode `data` (C order) as an .npy file of the given shape. One allocation for the whole file and one
 * copy of the data. The result owns its ArrayBuffer from offset 0: NPYLoader reads `new DataView(buffer)`.
 */
export function encodeNpy(data: NpyArray, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`encodeNpy: shape (${shape.join(', ')}) needs ${count} values, got ${data.length}`);
  }
  if (!LITTLE_ENDIAN_HOST && data.BYTES_PER_ELEMENT > 1) {
    throw new Error('encodeNpy: big-endian hosts are not supported'); // every Node target we run on is LE
  }
  const header = npyHeader(descr(data), shape);
  if (header.length > 0xffff) throw new RangeError('encodeNpy: header too long for npy v1.0');
  const start = MAGIC.length + 2 + header.length;
  const out = new Uint8Array(start + data.byteLength);
  out.set(MAGIC, 0);
  out[8] = header.length & 0xff;
  out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i); // ASCII only
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), start);
  return out;
}
