// `kepler-raster-server/wasm`: the WASM kernels for the browser (or any ESM runtime with fetch and
// WebAssembly), with no Node imports. It loads the same build/kernels.wasm the server's workers use
// and wraps the same glue (src/kernels/), so a mesh made here is byte for byte the server's.
//
//   import { loadKernels } from 'kepler-raster-server/wasm';
//   const k = await loadKernels();                       // fetches ../../../kernels.wasm next to this file
//   const heights = k.decodeTerrarium(rgba, 256, 256, 4);
//   const mesh = k.meshMartini(grid, 257, 10);            // 'exact' (the server's) by default
//   const bytes = k.encodeQuantizedMesh({ ...mesh, heights: grid, gridSize: 257, bounds, orientation: 'kepler' });

import { instantiateKernels, type Kernels, type PredictorParams } from '../kernels/kernels.js';
import { decodeElevation as decodeElevationRaw, type ElevationEncoding } from '../kernels/elevation.js';
import { meshMartini as meshMartiniRaw, type MartiniMode, type Mesh } from '../kernels/mesh-martini.js';
import { meshDelatin as meshDelatinRaw, type DelatinMode } from '../kernels/mesh-delatin.js';
import { encodeQuantizedMesh as encodeQuantizedMeshRaw, webMercatorTileFrame, type QuantizedMeshInput } from '../kernels/quantized-mesh.js';
import type { ResampleParams, ResampleResult, SampleType, TypedArray } from '../kernels/types.js';
import { buildGrid, fillHoles } from '../mesh/elevation-grid.js';
import { tileBoundsLonLat, tileBoundsMercator, type TileIndex } from '../tiling/web-mercator.js';

export type { Kernels, PredictorParams, ElevationEncoding, MartiniMode, DelatinMode, Mesh, QuantizedMeshInput, ResampleParams, ResampleResult, SampleType, TypedArray, TileIndex };
export { QUANTIZED_MESH_MEDIA_TYPE, parseAcceptExtensions } from '../kernels/quantized-mesh.js';
export { buildGrid, fillHoles, tileBoundsLonLat, tileBoundsMercator };

/** Where the kernels are by default: build/kernels.wasm, three levels above build/js/src/browser/. */
export const DEFAULT_WASM_URL: URL = new URL('../../../kernels.wasm', import.meta.url);

/**
 * The kernels with their memory management hidden: every method copies its inputs in and its
 * outputs out (results are plain typed arrays that survive the next call). Single-threaded: make
 * one per Web Worker.
 */
export class WasmKernels {
  /** The raw glue (for the functions of src/kernels/ taking a Kernels first). */
  readonly kernels: Kernels;

  constructor(kernels: Kernels) {
    this.kernels = kernels;
  }

  /** RTIN mesh of a gridSize^2 (2^k + 1) height grid; 'exact' is what the server serves. */
  meshMartini(grid: Float32Array, gridSize: number, maxError: number, mode: MartiniMode = 'exact'): Mesh {
    return meshMartiniRaw(this.kernels, grid, gridSize, maxError, mode);
  }

  /** Delaunay mesh of a width x height grid; 'seamless' is what the server serves. */
  meshDelatin(grid: Float32Array, width: number, height: number, maxError: number, mode: DelatinMode = 'seamless'): Mesh {
    return meshDelatinRaw(this.kernels, grid, width, height, maxError, mode);
  }

  /** quantized-mesh-1.0 bytes of a mesh (uncompressed). */
  encodeQuantizedMesh(input: QuantizedMeshInput): Uint8Array {
    return encodeQuantizedMeshRaw(this.kernels, input);
  }

  /**
   * Bounds and row latitudes of a Web-Mercator tile's gridSize^2 grid for encodeQuantizedMesh,
   * computed with the module's libm so they are the server's to the last bit.
   */
  webMercatorTileFrame(tile: TileIndex, gridSize: number): Pick<QuantizedMeshInput, 'bounds' | 'rowLatitudes'> {
    return webMercatorTileFrame(this.kernels, tile, gridSize);
  }

  /** Heights (metres) of 8-bit RGB(A) elevation pixels, Terrarium or Mapbox Terrain-RGB. */
  decodeElevation(rgba: Uint8Array, width: number, height: number, channels: 3 | 4, encoding: ElevationEncoding): Float32Array {
    return decodeElevationRaw(this.kernels, rgba, width, height, channels, encoding);
  }

  /** Heights of Terrarium pixels: R*256 + G + B/256 - 32768 (as float32). */
  decodeTerrarium(rgba: Uint8Array, width: number, height: number, channels: 3 | 4 = 4): Float32Array {
    return decodeElevationRaw(this.kernels, rgba, width, height, channels, 'terrarium');
  }

  /** Resamples planar data through a coordinate grid (nearest, bilinear, cubic; see src/kernels/types.ts). */
  resample<T extends SampleType>(p: ResampleParams<T>): ResampleResult<T> {
    return this.kernels.resample(p);
  }

  /** Planar samples to planar uint8 over [min, max] per band (or one range for all). */
  rescaleToUint8(data: TypedArray, bands: number, pixels: number, ranges: ReadonlyArray<readonly [number, number]>): Uint8Array {
    return this.kernels.rescaleToUint8(data, bands, pixels, ranges);
  }

  /** uint8 indices to interleaved RGBA through a 256-entry RGBA table; alpha 0 where mask is 0. */
  applyColormap(index: Uint8Array, mask: Uint8Array | undefined, lut: Uint8Array): Uint8Array {
    return this.kernels.applyColormap(index, mask, lut);
  }

  /** A TIFF LZW block (compression 5), optionally with its predictor undone. */
  decodeLzw(input: Uint8Array, outputBytes: number, predictor?: PredictorParams): Uint8Array {
    return this.kernels.decodeLzw(input, outputBytes, predictor);
  }

  /**
   * The quantized-mesh tile the server's `/mesh/tiles/{z}/{x}/{y}.terrain` answers for 256 px
   * elevation tiles: the tile's heights plus the first column of its east neighbour, the first row of
   * its south neighbour and the first pixel of the south-east one (missing: the tile's own edge),
   * holes filled, meshed (Martini 'exact' or Delatin 'seamless') and encoded.
   */
  meshTerrainTile(tile: TileIndex, heights: TerrainTileHeights, options: TerrainMeshOptions = {}): TerrainMesh {
    const { center, east, south, southEast } = heights;
    const n = Math.round(Math.sqrt(center.length));
    if (n * n !== center.length || n < 1) throw new RangeError(`meshTerrainTile: the centre tile holds ${center.length} heights, not a square`);
    const grid = buildGrid(center, n, {
      eastColumn: east && Float32Array.from({ length: n }, (_, r) => east[r * n]!),
      southRow: south?.subarray(0, n),
      corner: southEast?.[0],
    });
    fillHoles(grid, n + 1, n + 1);
    const maxError = options.maxError ?? 10;
    const mesh = (options.quantizer ?? 'martini') === 'martini'
      ? this.meshMartini(grid, n + 1, maxError, 'exact')
      : this.meshDelatin(grid, n + 1, n + 1, maxError, 'seamless');
    const quantizedMesh = this.encodeQuantizedMesh({
      vertices: mesh.vertices,
      triangles: mesh.triangles,
      heights: grid,
      gridSize: n + 1,
      ...this.webMercatorTileFrame(tile, n + 1),
      orientation: options.orientation ?? 'kepler',
    });
    return { grid, gridSize: n + 1, mesh, quantizedMesh };
  }
}

/** Heights (n x n, row-major, north first) of a tile and of the neighbours its grid borrows edges from. */
export interface TerrainTileHeights {
  center: Float32Array;
  east?: Float32Array;
  south?: Float32Array;
  southEast?: Float32Array;
}

export interface TerrainMeshOptions {
  /** Metres (default 10, as the server). */
  maxError?: number;
  quantizer?: 'martini' | 'delatin';
  /** 'kepler' (v = 0 north, /mesh/tiles) or 'spec' (v = 0 south, /mesh/cesium). */
  orientation?: 'kepler' | 'spec';
}

export interface TerrainMesh {
  grid: Float32Array;
  gridSize: number;
  mesh: Mesh;
  quantizedMesh: Uint8Array;
}

/**
 * Fetches, compiles and instantiates the kernels. `source`: a URL (default DEFAULT_WASM_URL), a
 * Response, the .wasm bytes or a compiled Module.
 */
export async function loadKernels(source: string | URL | Response | BufferSource | WebAssembly.Module = DEFAULT_WASM_URL): Promise<WasmKernels> {
  let module: WebAssembly.Module | BufferSource;
  if (typeof source === 'string' || source instanceof URL) module = await compileResponse(await fetch(source));
  else if (typeof Response !== 'undefined' && source instanceof Response) module = await compileResponse(source);
  else module = source as WebAssembly.Module | BufferSource;
  return new WasmKernels(await instantiateKernels(module));
}

async function compileResponse(res: Response): Promise<WebAssembly.Module> {
  if (!res.ok) throw new Error(`kernels: ${res.url || 'the .wasm'} answered ${res.status}`);
  // streaming compilation needs the application/wasm media type; fall back to the bytes otherwise
  if ((res.headers.get('content-type') ?? '').startsWith('application/wasm') && typeof WebAssembly.compileStreaming === 'function') {
    return WebAssembly.compileStreaming(res);
  }
  return WebAssembly.compile(await res.arrayBuffer());
}

/**
 * RGBA pixels of an image (e.g. a Terrarium PNG) decoded by the browser without colour conversion
 * or premultiplication, so the bytes are the file's.
 */
export async function decodeImage(data: Blob | BufferSource): Promise<{ rgba: Uint8Array; width: number; height: number }> {
  const blob = data instanceof Blob ? data : new Blob([data]);
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('decodeImage: no 2d context');
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const pixels = ctx.getImageData(0, 0, width, height).data;
  return { rgba: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength), width, height };
}
