import { inflateSync } from 'node:zlib';
import { getDecoder } from 'geotiff';
import type { Kernels, PredictorParams } from '../kernels/kernels.js';
import type { BlockLayout } from './cog-header.js';

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
    if (layout.compression === ZSTD) checkZstdSize(out.byteLength, expected, layout, samples);
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
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * geotiff.js's ZSTD decoder (zstddec) does not report a corrupt frame: it returns the rest of its
 * WASM heap, which may hold another file's pixels. A frame must start with the magic number and
 * decode to the strip's rows or the whole tile, nothing else.
 */
function checkZstdFrame(compressed: Uint8Array) {
  if (!ZSTD_MAGIC.every((b, i) => compressed[i] === b)) throw new Error('corrupt ZSTD block: no frame magic number');
}

function checkZstdSize(decoded: number, expected: number, layout: BlockLayout, samples: number) {
  const wholeBlock = Math.ceil((layout.blockWidth * samples * layout.bitsPerSample) / 8) * layout.blockHeight;
  if (decoded !== expected && decoded !== wholeBlock) throw new Error(`corrupt ZSTD block: decodes to ${decoded} bytes, expected ${wholeBlock}`);
}

/** The codec alone (no predictor). */
async function decompress(layout: BlockLayout, rows: number, samples: number, compressed: Uint8Array): Promise<Uint8Array> {
  if (layout.compression === 1) return compressed.slice(); // a copy: the predictor works in place
  if (layout.compression === 8 || layout.compression === 32946) return inflateSync(compressed);
  if (layout.compression === ZSTD) checkZstdFrame(compressed);
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
  const decoded = await decoder.decode(compressed.buffer.slice(compressed.byteOffset, compressed.byteOffset + compressed.byteLength) as ArrayBuffer);
  return new Uint8Array(decoded);
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
