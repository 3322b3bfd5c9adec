// Sample types and the parameter/result shapes of the kernels. Browser-safe: no Node imports.

export type SampleType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** The typed array holding samples of each SampleType. */
export interface TypedArrayBySampleType {
  uint8: Uint8Array;
  int8: Int8Array;
  uint16: Uint16Array;
  int16: Int16Array;
  uint32: Uint32Array;
  int32: Int32Array;
  float32: Float32Array;
  float64: Float64Array;
}
export type TypedArrayOf<T extends SampleType> = TypedArrayBySampleType[T];
/** Any typed array holding samples (Uint8ClampedArray and the BigInt arrays are not sample arrays). */
export type TypedArray = TypedArrayOf<SampleType>;

export interface TypedArrayConstructorOf<T extends SampleType> {
  new (length: number): TypedArrayOf<T>;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArrayOf<T>;
  readonly BYTES_PER_ELEMENT: number;
}

export const SAMPLE_TYPES: readonly SampleType[] = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'];

const CONSTRUCTORS: { [T in SampleType]: TypedArrayConstructorOf<T> } = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
};

/** The typed array constructor for a sample type. */
export function typedArrayFor<T extends SampleType>(dtype: T): TypedArrayConstructorOf<T> {
  const ctor = CONSTRUCTORS[dtype];
  if (ctor === undefined) throw new TypeError(`unknown sample type: ${String(dtype)}`);
  return ctor;
}

const BY_TAG: Record<string, SampleType> = {
  Uint8Array: 'uint8', Int8Array: 'int8', Uint16Array: 'uint16', Int16Array: 'int16',
  Uint32Array: 'uint32', Int32Array: 'int32', Float32Array: 'float32', Float64Array: 'float64',
};

/**
 * The sample type of a typed array; throws for views that are not sample arrays. Goes by the
 * array's intrinsic type name, so Node Buffers count as uint8 and arrays from another realm work;
 * Uint8ClampedArray is not uint8 for us (it clamps on write).
 */
export function dtypeOf(array: ArrayBufferView): SampleType {
  const tag = ArrayBuffer.isView(array) ? (array as unknown as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] : undefined;
  const dtype = tag === undefined ? undefined : BY_TAG[tag];
  if (dtype === undefined) throw new TypeError(`not a sample array: ${tag ?? Object.prototype.toString.call(array)}`);
  return dtype;
}

export type Resampling = 'nearest' | 'bilinear' | 'cubic';
export const RESAMPLING_METHODS: readonly Resampling[] = ['nearest', 'bilinear', 'cubic'];

/**
 * Input of `Kernels.resample`. Continuous source coordinates: pixel (col, row) covers
 * [col, col+1) x [row, row+1). Grid node (i, j) holds the source coordinate of the centre of output
 * pixel (i*gridStep, j*gridStep); the grid is (dstWidth/gridStep + 1) x (dstHeight/gridStep + 1)
 * nodes, the last row/column lying one step past the tile (extrapolated by the caller).
 *
 * Output pixel (px, py) lies in grid cell (gx, gy) = (floor(px/step), floor(py/step)) at
 * tx = (px - gx*step)/step (ty likewise); with a, b the nodes (gx, gy), (gx+1, gy) and c, d those
 * of row gy+1, its source coordinate is (1-tx)*((1-ty)*a + ty*c) + tx*((1-ty)*b + ty*d) in f64,
 * in exactly that order (so the inner terms can be shared along an output row). Exact sampling
 * arithmetic: assembly/resample.ts, test/kernels/reference/resample.ts.
 */
export interface ResampleParams<T extends SampleType = SampleType> {
  method: Resampling;
  dtype: T;
  /** Planar: band b occupies [b*srcWidth*srcHeight, (b+1)*srcWidth*srcHeight). */
  source: TypedArrayOf<T>;
  srcWidth: number;
  srcHeight: number;
  bands: number;
  /** srcWidth*srcHeight bytes, 0 = invalid pixel, non-zero = valid. */
  sourceMask?: Uint8Array;
  /** May be NaN (matches NaN). A source pixel is invalid when ALL its bands equal nodata. */
  nodata?: number;
  /** gridWidth*gridHeight nodes, (x, y) interleaved. */
  grid: Float64Array;
  gridStep: number;
  /** Multiples of gridStep. */
  dstWidth: number;
  dstHeight: number;
  /**
   * gdalwarp's kernel scales (GDALWarpKernel::dfXScale/dfYScale): output pixels per source pixel
   * along x and y, below 1 where the output is coarser than the source; default 1. While both are at
   * least 0.95, bilinear and cubic use their fixed 2x2 / 4x4 neighbourhoods (the same bytes as
   * without them); below, the filter is stretched by 1/scale the way GDAL does when it reduces
   * (assembly/resample.ts, "widened filters"). Nearest ignores them.
   */
  scaleX?: number;
  scaleY?: number;
  /** Output rectangles with their own scales (gdalwarp's chunks), at most 255; later ones win. */
  scaleRegions?: readonly ScaleRegion[];
}

/** A rectangle of output pixels resampled with its own scales (see ResampleParams.scaleX). */
export interface ScaleRegion {
  x: number;
  y: number;
  width: number;
  height: number;
  scaleX: number;
  scaleY: number;
}

export interface ResampleResult<T extends SampleType = SampleType> {
  /** Planar, bands x dstWidth x dstHeight; masked pixels hold 0 in every band. */
  data: TypedArrayOf<T>;
  /** dstWidth*dstHeight bytes: 255 valid, 0 masked. */
  mask: Uint8Array;
}
