import { inflateSync } from 'node:zlib';
import { getDecoder } from 'geotiff';
import type { Kernels, PredictorParams } from '../kernels/kernels.js';
import type { BlockLayout } from './cog-header.js';
import { withContentSize } from './zstd-frame.js';

/**
 * Decompresses one TIFF block (tile or strip) into its samples, as the file lays them out
 * (pixel-interleaved when planar configuration is 1), little-endian. Runs in worker threads.
 * LZW and the predictors (2 and 3, after any codec) run in the WASM kernels; deflate goes through
 * node's zlib (several times faster than a JavaScript inflate); the other codecs (JPEG, PackBits,
 * ZSTD) come from geotiff.js.
 */
export async function decodeBlock(
  layout: BlockLayout, rows: number, compressed: Uint8Array, littleEndian: boolean, kernels: Kernels,
): Promise<ArrayBuffer> {
  const samples = layout.planarConfiguration === 2 ? 1 : layout.samplesPerPixel;
  const expected = Math.ceil((layout.blockWidth * samples * layout.bitsPerSample) / 8) * rows;
  const predictor = predictorOf(layout, rows, samples, littleEndian);
  let out: Uint8Array;
  if (layout.compression === 5) {
    out = kernels.decodeLzw(compressed, expected, predictor);
  } else {
    out = await decompress(layout, rows, samples, compressed);
    if (out.byteLength < expected) throw new Error(`block decodes to ${out.byteLength} bytes, expected ${expected}`);
    if (out.byteLength > expected || out.byteOffset !== 0 || out.buffer.byteLength !== expected || !(out.buffer instanceof ArrayBuffer)) {
      out = new Uint8Array(out.subarray(0, expected)); // a copy (Buffer#slice would not be one)
    }
    if (predictor) kernels.applyPredictor(out, predictor);
  }
  // the predictors leave little-endian samples; otherwise big-endian files need a swap
  if (!littleEndian && !predictor && layout.bitsPerSample > 8) swapBytes(out, layout.bitsPerSample / 8);
  return out.buffer as ArrayBuffer;
}

function predictorOf(layout: BlockLayout, rows: number, samples: number, littleEndian: boolean): PredictorParams | undefined {
  const predictor = layout.predictor ?? 1;
  if (predictor === 1) return undefined;
  if (predictor !== 2 && predictor !== 3) throw new Error(`unsupported predictor ${predictor}`);
  return { predictor, width: layout.blockWidth, rows, samplesPerPixel: samples, bitsPerSample: layout.bitsPerSample, bigEndian: !littleEndian };
}

const ZSTD = 50000;

/** The codec alone (no predictor). */
async function decompress(layout: BlockLayout, rows: number, samples: number, compressed: Uint8Array): Promise<Uint8Array> {
  if (layout.compression === 1) return compressed.slice(); // a copy: the predictor works in place
  if (layout.compression === 8 || layout.compression === 32946) return inflateSync(compressed);
  const params = {
    tileWidth: layout.blockWidth,
    tileHeight: rows,
    predictor: 1,
    bitsPerSample: Array(samples).fill(layout.bitsPerSample),
    planarConfiguration: layout.planarConfiguration,
    samplesPerPixel: layout.samplesPerPixel,
    JPEGTables: layout.jpegTables ? new Uint8Array(layout.jpegTables) : undefined,
  };
  const decoder = await getDecoder(layout.compression, params);
  const decode = async (bytes: Uint8Array) =>
    new Uint8Array(await decoder.decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer));
  if (layout.compression !== ZSTD) return decode(compressed);
  // a tile holds whole blocks, the last strip only its rows: try the tile's size, then the rows'
  const rowBytes = Math.ceil((layout.blockWidth * samples * layout.bitsPerSample) / 8);
  const sizes = [...new Set([rowBytes * layout.blockHeight, rowBytes * rows])];
  let error = `does not decode to ${sizes.join(' or ')} bytes`;
  for (const size of sizes) {
    try {
      const out = await decode(withContentSize(compressed, size));
      if (out.byteLength === size) return out;
    } catch (err) {
      error = (err as Error).message;
    }
  }
  throw new Error(error.startsWith('corrupt ZSTD') ? error : `corrupt ZSTD block: ${error}`);
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
