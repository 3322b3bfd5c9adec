// Delatin kernel: 'compat' vs the delatin npm package 0.2.0 (the same arrays) and expected.json,
// WASM vs the TypeScript reference (byte for byte, both modes), the glue's argument checks.
// Seamless mode's guarantees (error bound, shared edges): test/mesh/delatin-*.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Delatin from 'delatin';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { meshDelatin, type DelatinMode, type Mesh } from '../../src/kernels/mesh-delatin.js';
import { EXPECTED, loadGrid, PNG_FIXTURES, TERRAIN_DIR } from '../mesh/martini-util.js';
import { delatinReference } from './reference/delatin.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

/** kepler.gl's mesh_max_error at zoom 11: 77067.34 / 2^11 * 0.8. */
const Z11_ERROR = (77067.34 / 2 ** 11) * 0.8;

/** delatin's counts in expected.json, by fixture and max error. */
const DELATIN_COUNTS = EXPECTED.png as unknown as Record<string, { delatin: Record<string, [number, number]> }>;

function delatinJs(grid: Float32Array, width: number, height: number, maxError: number): Mesh {
  const d = new Delatin(grid, width, height);
  d.run(maxError);
  return { vertices: Uint16Array.from(d.coords as number[]), triangles: Uint32Array.from(d.triangles as number[]) };
}

/** First difference of two meshes, or -1 ('v' prefix: vertices, 't': triangles). */
function firstDifference(a: Mesh, b: Mesh): string | -1 {
  if (a.vertices.length !== b.vertices.length) return `vertex count ${a.vertices.length / 2} vs ${b.vertices.length / 2}`;
  if (a.triangles.length !== b.triangles.length) return `triangle count ${a.triangles.length / 3} vs ${b.triangles.length / 3}`;
  const v = a.vertices.findIndex((x, i) => x !== b.vertices[i]);
  if (v >= 0) return `v${v}`;
  const t = a.triangles.findIndex((x, i) => x !== b.triangles[i]);
  return t >= 0 ? `t${t}` : -1;
}

function expectSameAsReference(grid: Float32Array, width: number, height: number, maxError: number, mode: DelatinMode): Mesh {
  const got = meshDelatin(kernels, grid, width, height, maxError, mode);
  expect(got.vertices).toBeInstanceOf(Uint16Array);
  expect(got.triangles).toBeInstanceOf(Uint32Array);
  expect(firstDifference(got, delatinReference(grid, width, height, maxError, mode)), `${mode} ${width}x${height} at ${maxError}`).toBe(-1);
  return got;
}

let seed = 12345;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

/** Synthetic grids: noise, sparse spikes, waves with noise, integer steps (many equal errors), flat. */
function syntheticGrid(width: number, height: number, kind: number): Float32Array {
  const g = new Float32Array(width * height);
  for (let i = 0; i < g.length; i++) {
    const x = i % width, y = Math.floor(i / width);
    g[i] = kind === 0 ? random() * 100
      : kind === 1 ? (random() < 0.05 ? random() * 1000 : 0)
        : kind === 2 ? Math.sin(x * 0.3) * 50 + Math.cos(y * 0.2) * 30 + random() * 5
          : kind === 3 ? Math.floor(random() * 4) * 10
            : 7;
  }
  return g;
}

describe('meshDelatin compat', { timeout: 120_000 }, () => {
  it('equals the delatin package, arrays and counts, on every fixture at every error of expected.json', () => {
    for (const file of PNG_FIXTURES) {
      const { grid, size } = loadGrid(file);
      for (const [error, [vertices, triangles]] of Object.entries(DELATIN_COUNTS[file]!.delatin)) {
        const got = meshDelatin(kernels, grid, size, size, Number(error), 'compat');
        expect([got.vertices.length / 2, got.triangles.length / 3], `${file} at ${error}`).toEqual([vertices, triangles]);
        expect(firstDifference(got, delatinJs(grid, size, size, Number(error))), `${file} at ${error}`).toBe(-1);
      }
    }
  });

  it('fuji at 30 m: 5659 vertices, 11122 triangles', () => {
    const { grid, size } = loadGrid('martini_fuji.png');
    const got = meshDelatin(kernels, grid, size, size, 30, 'compat');
    expect(got.vertices.length / 2).toBe(5659);
    expect(got.triangles.length / 3).toBe(11122);
  });

  it('reproduces loaders.gl\'s test: terrarium.png at 10 m without backfill -> 3071 vertices, 6082 triangles', () => {
    // loaders.gl's delatin path: a (w+1)^2 grid whose last row and column stay 0
    const png = decode(readFileSync(join(TERRAIN_DIR, 'loadersgl_terrarium.png')));
    const { width: w, channels, data } = png;
    const size = w + 1;
    const grid = new Float32Array(size * size);
    for (let y = 0; y < w; y++) {
      for (let x = 0; x < w; x++) {
        const k = (y * w + x) * channels;
        grid[y * size + x] = data[k]! * 256 + data[k + 1]! + data[k + 2]! / 256 - 32768;
      }
    }
    const got = meshDelatin(kernels, grid, size, size, 10, 'compat');
    expect([got.vertices.length / 2, got.triangles.length / 3]).toEqual([3071, 6082]);
    expect(firstDifference(got, delatinJs(grid, size, size, 10))).toBe(-1);
  });

  it('equals the delatin package on synthetic grids of any size, down to max error 0', () => {
    const sizes: Array<[number, number]> = [[2, 2], [3, 7], [17, 5], [64, 33], [33, 64], [100, 80]];
    for (const [w, h] of sizes) {
      for (let kind = 0; kind < 5; kind++) {
        const grid = syntheticGrid(w, h, kind);
        for (const error of [0, 1, 10, 50]) {
          expect(firstDifference(meshDelatin(kernels, grid, w, h, error, 'compat'), delatinJs(grid, w, h, error)), `${w}x${h} kind ${kind} at ${error}`).toBe(-1);
        }
      }
    }
  });

  it('a flat grid is two triangles (at 0, rounding of the interpolation already counts as error)', () => {
    const got = meshDelatin(kernels, syntheticGrid(50, 40, 4), 50, 40, 1e-9, 'compat');
    expect(Array.from(got.vertices)).toEqual([0, 0, 49, 0, 0, 39, 49, 39]);
    expect(got.triangles.length).toBe(6);
  });

  it('equals the delatin package on a 3 x 40000 grid (rows past 2^15 in one triangle)', () => {
    const w = 3, h = 40000;
    const grid = new Float32Array(w * h);
    for (let i = 0; i < grid.length; i++) grid[i] = Math.sin(Math.floor(i / w) / 3000) * 500 + (i % w) * 2;
    expect(firstDifference(meshDelatin(kernels, grid, w, h, 5, 'compat'), delatinJs(grid, w, h, 5))).toBe(-1);
  });

  it('ignores NaN heights as the package does (no pixel of NaN error is ever a candidate)', () => {
    const grid = syntheticGrid(40, 30, 2);
    for (let i = 0; i < grid.length; i += 37) grid[i] = NaN;
    grid[0] = 1; // a NaN corner would make every triangle touching it NaN
    expect(firstDifference(meshDelatin(kernels, grid, 40, 30, 2, 'compat'), delatinJs(grid, 40, 30, 2))).toBe(-1);
  });
});

describe('meshDelatin: WASM equals the TypeScript reference', { timeout: 180_000 }, () => {
  it('on every terrain fixture, both modes, at several errors', () => {
    for (const file of PNG_FIXTURES) {
      const { grid, size } = loadGrid(file);
      const errors = size > 257 ? [10, 30, Z11_ERROR, 100] : [2, 5, 20, Z11_ERROR, 50];
      for (const error of errors) {
        for (const mode of ['compat', 'seamless'] as const) expectSameAsReference(grid, size, size, error, mode);
      }
    }
  });

  it('the reference itself equals the delatin package in compat mode', () => {
    for (const [file, error] of [['pymartini_terrarium_11_385_803.png', Z11_ERROR], ['loadersgl_mapbox.png', 5]] as const) {
      const { grid, size } = loadGrid(file);
      expect(firstDifference(delatinReference(grid, size, size, error, 'compat'), delatinJs(grid, size, size, error))).toBe(-1);
    }
  });

  it('on synthetic grids, both modes', () => {
    const sizes: Array<[number, number]> = [[2, 2], [2, 9], [9, 2], [3, 3], [3, 7], [17, 5], [64, 33], [129, 65]];
    for (const [w, h] of sizes) {
      for (let kind = 0; kind < 5; kind++) {
        const grid = syntheticGrid(w, h, kind);
        for (const error of [0, 0.5, 3, 20]) {
          for (const mode of ['compat', 'seamless'] as const) expectSameAsReference(grid, w, h, error, mode);
        }
      }
    }
  });

  it('on windows of fuji of odd sizes, seamless', () => {
    const { grid, size } = loadGrid('martini_fuji.png');
    for (const [x0, y0, w, h] of [[10, 20, 300, 129], [200, 3, 77, 301], [0, 0, 513, 200]] as const) {
      const g = new Float32Array(w * h);
      for (let y = 0; y < h; y++) g.set(grid.subarray((y0 + y) * size + x0, (y0 + y) * size + x0 + w), y * w);
      for (const error of [5, 30]) expectSameAsReference(g, w, h, error, 'seamless');
    }
  });
});

describe('meshDelatin glue', () => {
  it('rejects bad arguments', () => {
    const g = new Float32Array(16);
    expect(() => meshDelatin(kernels, g, 1, 16, 1, 'compat')).toThrow(RangeError);
    expect(() => meshDelatin(kernels, g, 4, 1, 1, 'compat')).toThrow(RangeError);
    expect(() => meshDelatin(kernels, g, 4.5, 4, 1, 'compat')).toThrow(RangeError);
    expect(() => meshDelatin(kernels, g, 70000, 2, 1, 'compat')).toThrow(RangeError);
    expect(() => meshDelatin(kernels, g, 5, 4, 1, 'compat')).toThrow(/grid holds 16 heights, need 20/);
    expect(() => meshDelatin(kernels, g, 4, 4, -1, 'compat')).toThrow(RangeError);
    expect(() => meshDelatin(kernels, g, 4, 4, NaN, 'seamless')).toThrow(RangeError);
    expect(() => meshDelatin(kernels, g, 4, 4, Infinity, 'seamless')).toThrow(RangeError);
    expect(() => meshDelatin(kernels, g, 4, 4, 1, 'exact' as DelatinMode)).toThrow(TypeError);
  });

  it('refuses a grid too large for 32-bit module memory with a clear error, then keeps working', () => {
    const w = 65536, h = 600; // 39.3M points: about 4.4 GB of work arrays
    const huge = { length: w * h, subarray: () => { throw new Error('not reached'); } } as unknown as Float32Array;
    expect(() => meshDelatin(kernels, huge, w, h, 1, 'compat')).toThrow(/too large/);
    const grid = syntheticGrid(20, 20, 2);
    expect(firstDifference(meshDelatin(kernels, grid, 20, 20, 1, 'compat'), delatinJs(grid, 20, 20, 1))).toBe(-1);
  });

  it('reads only width x height heights of a longer grid; memory settles after the first call', () => {
    const { grid, size } = loadGrid('pymartini_terrarium_11_385_803.png');
    const longer = new Float32Array(grid.length + 100).fill(1e6);
    longer.set(grid);
    const a = meshDelatin(kernels, longer, size, size, Z11_ERROR, 'seamless');
    const bytes = kernels.memoryBytes;
    for (let i = 0; i < 3; i++) {
      expect(firstDifference(meshDelatin(kernels, grid, size, size, Z11_ERROR, 'seamless'), a)).toBe(-1);
    }
    expect(kernels.memoryBytes).toBe(bytes);
  });
});
