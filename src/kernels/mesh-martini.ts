// Glue of the Martini (RTIN) mesher (assembly/martini.ts). Browser-safe: no Node imports.
//
// 'compat' reproduces @mapbox/martini 0.2.0: the same vertex and triangle arrays as
// `new Martini(gridSize).createTile(grid).getMesh(maxError)` (its error test looks only at long-edge
// midpoints, so its meshes deviate up to ~1.8x maxError from the grid).
// 'exact' (what the server serves) keeps every grid point within maxError of the mesh (true error,
// measured over every grid point each triangle covers) AND makes each edge's vertices a function of
// that edge's heights and maxError alone (1-D dyadic simplification of the edge, read west->east /
// north->south, corners always kept). Two tiles whose shared edge has identical heights get
// identical vertices along it: the same edge polyline, no cracks, no skirts needed. Vertices are grid
// points and take the grid's height. Edge points that interior refinement needs but the edge
// decision dropped are moved one step inward, with a band of triangles along the edge (see the
// kernel), so an 'exact' mesh is a valid triangulation but not a pure RTIN.
// Cost (2-core machine, min of 60, copies included): compat 0.54 ms on a rough 257 tile at kepler's
// z11 error (30.10 m) and 0.96 ms on a 513 grid at 30 m, 7-10x faster than @mapbox/martini's
// createTile + getMesh; exact 1.4 ms and 1.5 ms there (min of 150 on the busy machine; it rasterises
// every candidate triangle), and cheaper than compat on smooth tiles (no full error pass): 0.06-0.12 ms.

import type { Kernels } from './kernels.js';

export interface Mesh {
  /** x, y grid coordinates interleaved (vertex i at 2i, 2i + 1); x east, y south. */
  vertices: Uint16Array;
  /** Three vertex indices per triangle, all wound alike: counter-clockwise seen from above, north up (as Martini). */
  triangles: Uint32Array;
}

export type MartiniMode = 'compat' | 'exact';

type MartiniFn = (
  grid: number, size: number, maxError: number, mode: number,
  work: number, index: number, stack: number, vertices: number, triangles: number, counts: number,
) => number;

/** Largest grid side (2^12 + 1): the kernel's scratch is ~44 bytes per grid point. */
export const MARTINI_MAX_GRID = 4097;

/** A mesh left in module memory by meshMartiniInModule (valid until the module's next reset). */
export interface ModuleMesh {
  /** Address of vertexCount (u16 x, u16 y) pairs. */
  vertices: number;
  vertexCount: number;
  /** Address of triangleCount x 3 u32 vertex indices. */
  triangles: number;
  triangleCount: number;
}

/**
 * Meshes a gridSize x gridSize row-major Float32 height grid (gridSize = 2^k + 1, 2..4097) to
 * maxError (>= 0; Infinity gives the two corner triangles). Heights must be finite: fill nodata first.
 * Vertices are numbered in first use (depth-first over the RTIN), as Martini does.
 */
export function meshMartini(k: Kernels, grid: Float32Array, gridSize: number, maxError: number, mode: MartiniMode): Mesh {
  const mesh = meshMartiniInModule(k, gridIntoModule(k, grid, gridSize), gridSize, maxError, mode);
  const buf = k.exports.memory.buffer;
  return {
    vertices: new Uint16Array(buf.slice(mesh.vertices, mesh.vertices + mesh.vertexCount * 4)),
    triangles: new Uint32Array(buf.slice(mesh.triangles, mesh.triangles + mesh.triangleCount * 12)),
  };
}

/** Resets the module and copies a gridSize^2 grid into its memory; returns its address. */
export function gridIntoModule(k: Kernels, grid: Float32Array, gridSize: number): number {
  checkGridSize(gridSize);
  const n = gridSize * gridSize;
  if (grid.length < n) throw new RangeError(`meshMartini: grid holds ${grid.length} heights, need ${n}`);
  k.exports.reset();
  const at = moduleAlloc(k, n * 4, gridSize);
  new Float32Array(k.exports.memory.buffer, at, n).set(grid.subarray(0, n));
  return at;
}

/**
 * meshMartini on a grid already in module memory at `grid` (gridIntoModule): the mesh stays in
 * module memory, allocated after it, so that the encoder reads it and the grid where they are
 * (encodeQuantizedMeshInModule; no copies out and back in).
 */
export function meshMartiniInModule(k: Kernels, grid: number, gridSize: number, maxError: number, mode: MartiniMode): ModuleMesh {
  checkGridSize(gridSize);
  if (typeof maxError !== 'number' || !(maxError >= 0)) throw new RangeError(`meshMartini: bad maxError ${maxError}`);
  if (mode !== 'compat' && mode !== 'exact') throw new TypeError(`meshMartini: unknown mode ${String(mode)}`);
  const x = k.exports;
  const fn = x.martini_mesh as MartiniFn | undefined;
  if (typeof fn !== 'function') throw new TypeError('kernels module lacks martini_mesh: stale build?');
  const n = gridSize * gridSize;
  const work = moduleAlloc(k, n * 4, gridSize);
  const index = moduleAlloc(k, n * 4, gridSize);
  const stack = mode === 'exact' ? moduleAlloc(k, n * 4, gridSize) : 0;
  const vertices = moduleAlloc(k, n * 4, gridSize);
  const triangles = moduleAlloc(k, n * 24, gridSize);
  const counts = moduleAlloc(k, 8, gridSize);
  const rc = fn(grid, gridSize, maxError, mode === 'exact' ? 1 : 0, work, index, stack, vertices, triangles, counts);
  if (rc !== 0) throw new Error(`meshMartini: kernel rejected its arguments (error ${rc})`);
  const [vertexCount, triangleCount] = new Uint32Array(x.memory.buffer, counts, 2);
  return { vertices, vertexCount: vertexCount!, triangles, triangleCount: triangleCount! };
}

function checkGridSize(gridSize: number): void {
  const t = gridSize - 1;
  if (!Number.isInteger(gridSize) || t < 1 || gridSize > MARTINI_MAX_GRID || (t & (t - 1)) !== 0) {
    throw new RangeError(`meshMartini: grid size must be 2^k + 1 (2..${MARTINI_MAX_GRID}), got ${gridSize}`);
  }
}

/** The bump allocator traps when memory cannot grow: a RangeError that says so. */
function moduleAlloc(k: Kernels, bytes: number, gridSize: number): number {
  try {
    return k.exports.alloc(bytes) >>> 0;
  } catch (err) {
    if (err instanceof WebAssembly.RuntimeError) {
      throw new RangeError(`meshMartini: module memory exhausted for a ${gridSize}x${gridSize} grid`, { cause: err });
    }
    throw err;
  }
}
