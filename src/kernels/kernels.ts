// Typed wrappers around the AssemblyScript kernels (assembly/, built to build/kernels.wasm).
// Browser-safe: no Node imports, so a web app can load the same .wasm (see load-node.ts for Node).
//
// Each call resets the module's bump allocator, copies its inputs into module memory, runs the
// kernel and copies the outputs into fresh JS typed arrays, so results survive the next call. An
// instance is single-threaded: give each worker its own (instantiate the shared compiled Module).

import {
  dtypeOf,
  typedArrayFor,
  type ResampleParams,
  type ResampleResult,
  type Resampling,
  type SampleType,
  type TypedArray,
} from './types.js';

type ResampleFn = (
  method: number, src: number, srcW: number, srcH: number, bands: number, srcMask: number,
  hasNodata: number, nodata: number, grid: number, step: number, dstW: number, dstH: number,
  out: number, outMask: number, scales: number, regions: number,
) => void;
type RescaleFn = (src: number, bands: number, pixels: number, ranges: number, out: number) => void;

interface KernelExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  reset(): void;
  apply_colormap(index: number, mask: number, lut: number, pixels: number, out: number): void;
  lzw_decode(src: number, srcLen: number, dst: number, dstLen: number): number;
  predictor_horizontal(data: number, width: number, rows: number, spp: number, bytes: number, bigEndian: number): number;
  predictor_float(data: number, width: number, rows: number, spp: number, bytes: number, scratch: number): number;
}

/**
 * A TIFF predictor to undo on a decoded block: `rows` rows of `width` pixels of `samplesPerPixel`
 * samples (1 with planar configuration 2) of `bitsPerSample` bits, rows packed without padding.
 */
export interface PredictorParams {
  /** 2: horizontal differencing (8, 16, 32 or 64-bit samples); 3: floating point (16, 32 or 64-bit). */
  predictor: 2 | 3;
  width: number;
  rows: number;
  samplesPerPixel: number;
  bitsPerSample: number;
  /** The samples are big-endian (predictor 2 swaps them before summing). Output is always little-endian. */
  bigEndian?: boolean;
}

/** lzw_decode's negative results. */
const LZW_ERRORS: Record<number, string> = {
  [-1]: 'bad arguments',
  [-2]: 'a code after Clear is not a literal',
  [-3]: 'a code beyond the string table',
};

/** Suffix of the per-type exports (resample_u16, rescale_f32, ...). */
const SUFFIX: Record<SampleType, string> = {
  uint8: 'u8', int8: 'i8', uint16: 'u16', int16: 'i16', uint32: 'u32', int32: 'i32', float32: 'f32', float64: 'f64',
};
const METHOD: Record<Resampling, number> = { nearest: 0, bilinear: 1, cubic: 2 };

function isPositiveInt(n: number): boolean {
  return Number.isInteger(n) && n > 0;
}

/** Validated predictor arguments; `available` is the byte length the block must cover. */
function predictorArgs(p: PredictorParams, available: number) {
  const { predictor, width, rows, samplesPerPixel: spp, bitsPerSample: bits } = p;
  if (predictor !== 2 && predictor !== 3) throw new RangeError(`unsupported predictor ${String(predictor)}`);
  if (![width, rows, spp].every(isPositiveInt)) throw new RangeError('predictor: width, rows and samplesPerPixel must be positive integers');
  const okBits = predictor === 2 ? [8, 16, 32, 64] : [16, 32, 64];
  if (!okBits.includes(bits)) throw new RangeError(`predictor ${predictor} does not support ${bits}-bit samples`);
  const rowBytes = (width * spp * bits) / 8;
  if (rowBytes * rows > available) throw new RangeError(`predictor: ${rows} rows of ${rowBytes} bytes exceed the ${available} bytes of the block`);
  return { predictor, width, rows, spp, bytes: bits / 8, rowBytes, bigEndian: p.bigEndian ? 1 : 0 };
}
type PredictorArgs = ReturnType<typeof predictorArgs>;

const isScale = (s: number) => Number.isFinite(s) && s > 0;

/** The kernel's scale table: scaleX, scaleY, then x, y, width, height, scaleX, scaleY per region. */
function scaleTable(p: ResampleParams): Float64Array {
  const { scaleX = 1, scaleY = 1, scaleRegions = [] } = p;
  if (!isScale(scaleX) || !isScale(scaleY)) throw new RangeError('resample: scaleX/scaleY must be finite and positive');
  if (scaleRegions.length > 255) throw new RangeError('resample: at most 255 scale regions');
  const table = new Float64Array(2 + 6 * scaleRegions.length);
  table[0] = scaleX;
  table[1] = scaleY;
  scaleRegions.forEach((r, k) => {
    const int = (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 30;
    if (![r.x, r.y, r.width, r.height].every(int) || r.width < 0 || r.height < 0) {
      throw new RangeError('resample: scale regions need integer x, y and non-negative width, height');
    }
    if (!isScale(r.scaleX) || !isScale(r.scaleY)) throw new RangeError('resample: region scales must be finite and positive');
    table.set([r.x, r.y, r.width, r.height, r.scaleX, r.scaleY], 2 + 6 * k);
  });
  return table;
}

export class Kernels {
  readonly #x: KernelExports;
  readonly #resample = new Map<SampleType, ResampleFn>();
  readonly #rescale = new Map<SampleType, RescaleFn>();

  /** Wraps an instance of the kernels module (see instantiateKernels for the usual way). */
  constructor(instance: WebAssembly.Instance) {
    const x = instance.exports as unknown as KernelExports & Record<string, unknown>;
    for (const [dtype, suffix] of Object.entries(SUFFIX) as Array<[SampleType, string]>) {
      const resample = x[`resample_${suffix}`];
      const rescale = x[`rescale_${suffix}`];
      if (typeof resample !== 'function' || typeof rescale !== 'function') {
        throw new TypeError(`kernels module lacks resample_${suffix}/rescale_${suffix}: stale build?`);
      }
      this.#resample.set(dtype, resample as ResampleFn);
      this.#rescale.set(dtype, rescale as RescaleFn);
    }
    this.#x = x;
  }

  /** Linear memory currently held by the instance; it grows to the largest call and never shrinks. */
  get memoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }

  /**
   * The raw exports (memory, alloc, reset and every kernel), for glue kept in its own file
   * (e.g. the mesh kernels in mesh-*.ts). The same bump-allocator rules apply: reset, alloc, copy in,
   * run, copy out; never keep a view of memory across calls (memory may grow).
   */
  get exports(): Record<string, unknown> & Pick<KernelExports, 'memory' | 'alloc' | 'reset'> {
    return this.#x as unknown as Record<string, unknown> & Pick<KernelExports, 'memory' | 'alloc' | 'reset'>;
  }

  /**
   * Resamples planar `source` through the coordinate grid (semantics in types.ts and
   * assembly/resample.ts). Returns planar data of p.dtype plus a 0/255 mask.
   */
  resample<T extends SampleType>(p: ResampleParams<T>): ResampleResult<T> {
    const { srcWidth, srcHeight, bands, gridStep: step, dstWidth, dstHeight } = p;
    const fn = this.#resample.get(p.dtype);
    if (fn === undefined) throw new TypeError(`unknown dtype: ${String(p.dtype)}`);
    if (dtypeOf(p.source) !== p.dtype) throw new TypeError(`source is ${dtypeOf(p.source)}, dtype says ${p.dtype}`);
    const method = METHOD[p.method];
    if (method === undefined) throw new TypeError(`unknown resampling method: ${String(p.method)}`);
    if (![srcWidth, srcHeight, bands, step, dstWidth, dstHeight].every(isPositiveInt)) {
      throw new RangeError('resample: sizes, bands and gridStep must be positive integers');
    }
    if (dstWidth % step !== 0 || dstHeight % step !== 0) {
      throw new RangeError(`resample: ${dstWidth}x${dstHeight} is not a multiple of gridStep ${step}`);
    }
    const plane = srcWidth * srcHeight;
    if (p.source.length < plane * bands) throw new RangeError('resample: source shorter than bands*srcWidth*srcHeight');
    if (p.sourceMask !== undefined && p.sourceMask.length < plane) throw new RangeError('resample: sourceMask too short');
    const nodes = (dstWidth / step + 1) * (dstHeight / step + 1);
    if (p.grid.length < nodes * 2) throw new RangeError(`resample: grid needs ${nodes} (x, y) nodes`);
    const scales = scaleTable(p);

    const x = this.#x;
    x.reset();
    const src = this.#copyIn(p.source.subarray(0, plane * bands));
    const srcMask = p.sourceMask === undefined ? 0 : this.#copyIn(p.sourceMask.subarray(0, plane));
    const grid = this.#copyIn(p.grid.subarray(0, nodes * 2));
    const pixels = dstWidth * dstHeight;
    const outBytes = pixels * bands * p.source.BYTES_PER_ELEMENT;
    const out = this.#alloc(outBytes);
    const outMask = this.#alloc(pixels);
    const hasNodata = p.nodata === undefined ? 0 : 1;
    const table = this.#copyIn(scales);
    const regions = (scales.length - 2) / 6;
    fn(method, src, srcWidth, srcHeight, bands, srcMask, hasNodata, p.nodata ?? 0, grid, step, dstWidth, dstHeight, out, outMask, table, regions);
    const Ctor = typedArrayFor(p.dtype);
    return { data: new Ctor(this.#copyOut(out, outBytes)), mask: new Uint8Array(this.#copyOut(outMask, pixels)) };
  }

  /**
   * Planar samples -> planar uint8: clip to [min, max], (v - min) * 255 / (max - min), truncate;
   * NaN -> 0. `ranges` holds one [min, max] per band, or one for all bands.
   */
  rescaleToUint8(data: TypedArray, bands: number, pixels: number, ranges: ReadonlyArray<readonly [number, number]>): Uint8Array {
    const fn = this.#rescale.get(dtypeOf(data))!;
    if (!isPositiveInt(bands) || !Number.isInteger(pixels) || pixels < 0) throw new RangeError('rescaleToUint8: bad bands/pixels');
    if (data.length < bands * pixels) throw new RangeError('rescaleToUint8: data shorter than bands*pixels');
    if (ranges.length !== 1 && ranges.length !== bands) throw new RangeError(`rescaleToUint8: need 1 or ${bands} ranges`);
    const pairs = new Float64Array(bands * 2);
    for (let b = 0; b < bands; b++) {
      const [lo, hi] = ranges.length === 1 ? ranges[0]! : ranges[b]!;
      pairs[2 * b] = lo;
      pairs[2 * b + 1] = hi;
    }
    const x = this.#x;
    x.reset();
    const src = this.#copyIn(data.subarray(0, bands * pixels));
    const rng = this.#copyIn(pairs);
    const out = this.#alloc(bands * pixels);
    fn(src, bands, pixels, rng, out);
    return new Uint8Array(this.#copyOut(out, bands * pixels));
  }

  /** uint8 indices -> pixel-interleaved RGBA through a 256x4 LUT; alpha 0 where mask is 0. */
  applyColormap(index: Uint8Array, mask: Uint8Array | undefined, lut: Uint8Array): Uint8Array {
    if (lut.length !== 256 * 4) throw new RangeError('applyColormap: lut must hold 256 RGBA entries');
    if (mask !== undefined && mask.length < index.length) throw new RangeError('applyColormap: mask shorter than index');
    const n = index.length;
    const x = this.#x;
    x.reset();
    const idx = this.#copyIn(index);
    const msk = mask === undefined ? 0 : this.#copyIn(mask.subarray(0, n));
    const tbl = this.#copyIn(lut);
    const out = this.#alloc(n * 4);
    x.apply_colormap(idx, msk, tbl, n, out);
    return new Uint8Array(this.#copyOut(out, n * 4));
  }

  /**
   * Decodes a TIFF LZW (compression 5) block into exactly `outputBytes` bytes (the block's decoded
   * size; decoding stops there), then undoes `predictor` when given. Throws an Error on corrupt data,
   * including a stream that ends (EOI or end of input) before `outputBytes` bytes.
   */
  decodeLzw(input: Uint8Array, outputBytes: number, predictor?: PredictorParams): Uint8Array {
    if (!(Number.isInteger(outputBytes) && outputBytes >= 0 && outputBytes <= 0x7fffffff)) {
      throw new RangeError(`decodeLzw: bad output size ${outputBytes}`);
    }
    if (input.byteLength > 0x7fffffff) throw new RangeError('decodeLzw: input over 2 GiB');
    const p = predictor && predictorArgs(predictor, outputBytes);
    const x = this.#x;
    x.reset();
    const src = this.#copyIn(input);
    const dst = this.#alloc(outputBytes);
    const scratch = p?.predictor === 3 ? this.#alloc(p.rowBytes) : 0;
    const n = x.lzw_decode(src, input.byteLength, dst, outputBytes);
    if (n < 0) throw new Error(`corrupt LZW data: ${LZW_ERRORS[n] ?? `error ${n}`}`);
    if (n < outputBytes) throw new Error(`corrupt LZW data: it decodes to ${n} bytes, expected ${outputBytes}`);
    if (p) this.#predictor(p, dst, scratch);
    return new Uint8Array(this.#copyOut(dst, outputBytes));
  }

  /**
   * Undoes TIFF predictor 2 or 3 in place on the first rows * width * samplesPerPixel samples of
   * `data` (which must hold them), leaving little-endian samples.
   */
  applyPredictor(data: Uint8Array, predictor: PredictorParams): void {
    const p = predictorArgs(predictor, data.byteLength);
    const x = this.#x;
    x.reset();
    const bytes = data.subarray(0, p.rowBytes * p.rows);
    const ptr = this.#copyIn(bytes);
    const scratch = p.predictor === 3 ? this.#alloc(p.rowBytes) : 0;
    this.#predictor(p, ptr, scratch);
    bytes.set(new Uint8Array(x.memory.buffer, ptr, bytes.byteLength));
  }

  #predictor(p: PredictorArgs, ptr: number, scratch: number): void {
    const x = this.#x;
    const rc = p.predictor === 2
      ? x.predictor_horizontal(ptr, p.width, p.rows, p.spp, p.bytes, p.bigEndian)
      : x.predictor_float(ptr, p.width, p.rows, p.spp, p.bytes, scratch);
    if (rc !== 0) throw new RangeError(`predictor ${p.predictor}: bad arguments (error ${rc})`);
  }

  /** Module memory for this call; a failure leaves the instance usable (nothing was reserved). */
  #alloc(bytes: number): number {
    // the export takes an i32: larger requests would wrap to a small block
    if (!(bytes >= 0 && bytes <= 0xffff0000)) throw new RangeError(`kernels: cannot allocate ${bytes} bytes`);
    try {
      return this.#x.alloc(bytes) >>> 0;
    } catch (err) {
      throw new RangeError(`kernels: module memory exhausted allocating ${bytes} bytes`, { cause: err });
    }
  }

  /** Copies a typed array into fresh module memory; returns its address. */
  #copyIn(a: ArrayBufferView): number {
    const ptr = this.#alloc(a.byteLength);
    // the buffer is fetched after alloc: growing memory detaches the previous ArrayBuffer
    new Uint8Array(this.#x.memory.buffer, ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return ptr;
  }

  #copyOut(ptr: number, bytes: number): ArrayBuffer {
    return this.#x.memory.buffer.slice(ptr, ptr + bytes);
  }
}

/** Instantiates the kernels from a compiled Module (shared by workers) or from the .wasm bytes. */
export async function instantiateKernels(source: WebAssembly.Module | BufferSource): Promise<Kernels> {
  // the release build imports nothing; abort is provided in case a debug build ever asserts
  const imports = {
    env: {
      abort(_msg: number, _file: number, line: number, column: number): never {
        throw new Error(`kernels: abort at ${line}:${column}`);
      },
    },
  };
  const instance =
    source instanceof WebAssembly.Module
      ? await WebAssembly.instantiate(source, imports)
      : (await WebAssembly.instantiate(source, imports)).instance;
  return new Kernels(instance);
}

