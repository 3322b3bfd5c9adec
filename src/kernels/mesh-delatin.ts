// Glue of the Delatin mesher (assembly/delatin.ts). Browser-safe: no Node imports.
//
// 'compat' reproduces the delatin npm package (mapbox/delatin 0.2.0): the same vertex and triangle
// arrays as `new Delatin(grid, width, height).run(maxError)` then `.coords` / `.triangles`.
// 'seamless' (what the server serves) keeps the true max error over every grid point AND makes
// each edge's vertices a function of that edge's heights and maxError alone (a 1-D greedy
// simplification of the edge, read west->east / north->south, corners always kept), so two tiles
// sharing an edge with identical heights share its vertices: no cracks, no skirts needed.

import type { Kernels } from './kernels.js';

export interface Mesh {
  /** x, y grid coordinates interleaved (vertex i at 2i, 2i + 1). */
  vertices: Uint16Array;
  /** Three vertex indices per triangle. */
  triangles: Uint32Array;
}

export type DelatinMode = 'compat' | 'seamless';

type DelatinFn = (data: number, width: number, height: number, maxError: number, mode: number, info: number) => number;

/** Bytes of module memory per grid point the kernel may need (assembly/delatin.ts BYTES_PER_POINT). */
const BYTES_PER_POINT = 112;
/** The kernel's limit on grid + work memory (a 32-bit module). */
const MAX_BYTES = 0xf0000000;

const ERRORS: Record<number, string> = {
  [-1]: 'broken triangulation',
  [-2]: 'bad arguments',
  [-3]: 'grid too large for the 32-bit module memory',
};

/**
 * Meshes a width x height row-major Float32 height grid (2 to 65536 a side, at most about 38M
 * points) so that the mesh is within maxError (>= 0) of every grid point. Heights must be finite:
 * fill nodata first. Vertices come in insertion order (corners first); renumber them before
 * high-water-mark encoding. Triangles are counter-clockwise on a north-up map (negative signed area
 * in grid coordinates x east, y south), as Martini's.
 */
export function meshDelatin(k: Kernels, grid: Float32Array, width: number, height: number, maxError: number, mode: DelatinMode): Mesh {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 2 || height < 2 || width > 65536 || height > 65536) {
    throw new RangeError(`meshDelatin: bad grid size ${width}x${height} (2..65536 a side)`);
  }
  if (grid.length < width * height) throw new RangeError(`meshDelatin: grid holds ${grid.length} heights, need ${width * height}`);
  if (!(maxError >= 0) || maxError === Infinity) throw new RangeError(`meshDelatin: bad maxError ${maxError}`);
  if (mode !== 'compat' && mode !== 'seamless') throw new TypeError(`meshDelatin: unknown mode ${String(mode)}`);
  if (width * height * BYTES_PER_POINT > MAX_BYTES) {
    throw new RangeError(`meshDelatin: a ${width}x${height} grid is too large for the 32-bit module memory (${BYTES_PER_POINT} bytes a point)`);
  }
  const x = k.exports;
  const fn = x.delatin_mesh as DelatinFn | undefined;
  if (typeof fn !== 'function') throw new TypeError('kernels module lacks delatin_mesh: stale build?');

  const n = width * height;
  x.reset();
  let rc: number;
  let info: number;
  try {
    const data = x.alloc(n * 4) >>> 0;
    info = x.alloc(16) >>> 0; // right after the grid: the kernel may read a few bytes past it
    new Float32Array(x.memory.buffer, data, n).set(grid.subarray(0, n));
    rc = fn(data, width, height, maxError, mode === 'seamless' ? 1 : 0, info);
  } catch (err) {
    // the bump allocator traps when memory cannot grow; the next call resets it
    if (err instanceof WebAssembly.RuntimeError) {
      throw new RangeError(`meshDelatin: module memory exhausted for a ${width}x${height} grid`, { cause: err });
    }
    throw err;
  }
  if (rc !== 0) throw new Error(`meshDelatin: ${ERRORS[rc] ?? `error ${rc}`}`);
  const buf = x.memory.buffer;
  const [nv, nt, vp, tp] = new Uint32Array(buf, info, 4);
  return {
    vertices: new Uint16Array(buf.slice(vp!, vp! + nv! * 4)),
    triangles: new Uint32Array(buf.slice(tp!, tp! + nt! * 12)),
  };
}
