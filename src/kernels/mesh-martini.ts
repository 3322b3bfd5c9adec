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
// createTile + getMesh; exact 2.4 ms and 2.1 ms there (it rasterises every candidate triangle), and
// cheaper than compat on smooth tiles (no full error pass): 0.10-0.3 ms.

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

/**
 * Meshes a gridSize x gridSize row-major Float32 height grid (gridSize = 2^k + 1, 2..4097) to
 * maxError (>= 0; Infinity gives the two corner triangles). Heights must be finite: fill nodata first.
 * Vertices are numbered in first use (depth-first over the RTIN), as Martini does.
 */
export function meshMartini(k: Kernels, grid: Float32Array, gridSize: number, maxError: number, mode: MartiniMode): Mesh {
  const t = gridSize - 1;
  if (!Number.isInteger(gridSize) || t < 1 || gridSize > MARTINI_MAX_GRID || (t & (t - 1)) !== 0) {
    throw new RangeError(`meshMartini: grid size must be 2^k + 1 (2..${MARTINI_MAX_GRID}), got ${gridSize}`);
  }
  const n = gridSize * gridSize;
  if (grid.length < n) throw new RangeError(`meshMartini: grid holds ${grid.length} heights, need ${n}`);
  if (typeof maxError !== 'number' || !(maxError >= 0)) throw new RangeError(`meshMartini: bad maxError ${maxError}`);
  if (mode !== 'compat' && mode !== 'exact') throw new TypeError(`meshMartini: unknown mode ${String(mode)}`);
  const x = k.exports;
  const fn = x.martini_mesh as MartiniFn | undefined;
  if (typeof fn !== 'function') throw new TypeError('kernels module lacks martini_mesh: stale build?');

  x.reset();
  let rc: number;
  let counts: number;
  let vertices: number;
  let triangles: number;
  try {
    const data = x.alloc(n * 4) >>> 0;
    const work = x.alloc(n * 4) >>> 0;
    const index = x.alloc(n * 4) >>> 0;
    const stack = mode === 'exact' ? x.alloc(n * 4) >>> 0 : 0;
    vertices = x.alloc(n * 4) >>> 0;
    triangles = x.alloc(n * 24) >>> 0;
    counts = x.alloc(8) >>> 0;
    new Float32Array(x.memory.buffer, data, n).set(grid.subarray(0, n));
    rc = fn(data, gridSize, maxError, mode === 'exact' ? 1 : 0, work, index, stack, vertices, triangles, counts);
  } catch (err) {
    // the bump allocator traps when memory cannot grow; the next call resets it
    if (err instanceof WebAssembly.RuntimeError) {
      throw new RangeError(`meshMartini: module memory exhausted for a ${gridSize}x${gridSize} grid`, { cause: err });
    }
    throw err;
  }
  if (rc !== 0) throw new Error(`meshMartini: kernel rejected its arguments (error ${rc})`);
  const buf = x.memory.buffer;
  const [nv, nt] = new Uint32Array(buf, counts, 2);
  return {
    vertices: new Uint16Array(buf.slice(vertices, vertices + nv! * 4)),
    triangles: new Uint32Array(buf.slice(triangles, triangles + nt! * 12)),
  };
}
