import { inflateSync } from 'node:zlib';
import { getDecoder } from 'geotiff';
import type { BlockLayout } from './cog-header.js';

/**
 * Decompresses one TIFF block (tile or strip) into its samples, as the file lays them out
 * (pixel-interleaved when planar configuration is 1). Runs in worker threads.
 * Deflate goes through node's zlib (several times faster than a JavaScript inflate); the other
 * codecs and the predictors come from geotiff.js.
 */
export async function decodeBlock(layout: BlockLayout, rows: number, compressed: Uint8Array, littleEndian: boolean): Promise<ArrayBuffer> {
  const samples = layout.planarConfiguration === 2 ? 1 : layout.samplesPerPixel;
  const params = {
    tileWidth: layout.blockWidth,
    tileHeight: rows,
    predictor: layout.predictor,
    bitsPerSample: Array(samples).fill(layout.bitsPerSample),
    planarConfiguration: layout.planarConfiguration,
    samplesPerPixel: layout.samplesPerPixel,
    JPEGTables: layout.jpegTables ? new Uint8Array(layout.jpegTables) : undefined,
  };
  let decoded: ArrayBufferLike;
  if (layout.compression === 8 || layout.compression === 32946) {
    const inflated = inflateSync(compressed);
    const raw = await getDecoder(1, params);
    decoded = await raw.decode(inflated.buffer.slice(inflated.byteOffset, inflated.byteOffset + inflated.byteLength));
  } else {
    const decoder = await getDecoder(layout.compression, params);
    decoded = await decoder.decode(compressed.buffer.slice(compressed.byteOffset, compressed.byteOffset + compressed.byteLength));
  }
  const expected = Math.ceil((layout.blockWidth * samples * layout.bitsPerSample) / 8) * rows;
  if (decoded.byteLength < expected) {
    throw new Error(`block decodes to ${decoded.byteLength} bytes, expected ${expected}`);
  }
  const out = decoded.byteLength === expected ? (decoded as ArrayBuffer) : decoded.slice(0, expected) as ArrayBuffer;
  if (!littleEndian && layout.bitsPerSample > 8) swapBytes(new Uint8Array(out), layout.bitsPerSample / 8);
  return out;
}

/** Big-endian files: the kernels and typed arrays work in little-endian. */
function swapBytes(bytes: Uint8Array, width: number) {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Expands a 1-bit mask block (rows padded to whole bytes, most significant bit first) to one byte a pixel, 0 or 255. */
export function unpackMaskBits(bits: Uint8Array, width: number, rows: number): Uint8Array {
  const out = new Uint8Array(width * rows);
  const stride = Math.ceil(width / 8);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < width; c++) {
      if (bits[r * stride + (c >> 3)] & (0x80 >> (c & 7))) out[r * width + c] = 255;
    }
  }
  return out;
}
