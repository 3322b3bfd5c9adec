// Martini (RTIN) kernel: WASM vs the TypeScript reference (byte for byte, both modes), 'compat' vs
// @mapbox/martini 0.2.0, the glue's argument checks. Exact mode's guarantees: test/mesh/martini-*.test.ts.
import Martini from '@mapbox/martini';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { meshMartini, type Mesh } from '../../src/kernels/mesh-martini.js';
import { crop, EXPECTED, loadGrid, PNG_FIXTURES } from '../mesh/martini-util.js';
import { martiniReference } from './reference/martini.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

/** kepler.gl's mesh_max_error at zoom 11: 77067.34 / 2^11 * 0.8. */
const Z11_ERROR = (77067.34 / 2 ** 11) * 0.8;

function martiniJs(grid: Float32Array, size: number, maxError: number): Mesh {
  const { vertices, triangles } = new Martini(size).createTile(grid).getMesh(maxError) as Mesh;
  return { vertices, triangles };
}

/** Index of the first difference of two meshes, or -1 ('v' prefix: vertices, 't': triangles). */
function firstDifference(a: Mesh, b: Mesh): string | -1 {
  if (a.vertices.length !== b.vertices.length) return `vertex count ${a.vertices.length / 2} vs ${b.vertices.length / 2}`;
  if (a.triangles.length !== b.triangles.length) return `triangle count ${a.triangles.length / 3} vs ${b.triangles.length / 3}`;
  const v = a.vertices.findIndex((x, i) => x !== b.vertices[i]);
  if (v >= 0) return `v${v}`;
  const t = a.triangles.findIndex((x, i) => x !== b.triangles[i]);
  return t >= 0 ? `t${t}` : -1;
}

let seed = 12345;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

/**
 * Small synthetic grids: noise, sparse spikes, smooth waves, flat border around noise; then (kinds
 * 4-7, where plane errors are 0 or rounding-level) flat, an exact plane, near-planar integers, tiny
 * noise on a large value.
 */
function syntheticGrid(size: number, kind: number): Float32Array {
  const g = new Float32Array(size * size);
  for (let i = 0; i < g.length; i++) {
    const x = i % size, y = Math.floor(i / size);
    const border = x === 0 || y === 0 || x === size - 1 || y === size - 1;
    g[i] = kind === 0 ? random() * 100
      : kind === 1 ? (random() < 0.05 ? random() * 1000 : 0)
        : kind === 2 ? Math.sin(x * 0.3) * 50 + Math.cos(y * 0.2) * 30 + random() * 5
          : kind === 3 ? (border ? 0 : random() * 100)
            : kind === 4 ? 7.25
              : kind === 5 ? 1000 + x * 0.1 + y * 0.3
                : kind === 6 ? Math.round(x * 0.7 + y * 1.3 + random() * 3)
                  : 3000 + random() * 1e-3;
  }
  return g;
}

describe('meshMartini compat', { timeout: 60_000 }, () => {
  it('reproduces martini\'s own test: fuji.png at 500 m -> 46 vertices, 75 triangles, the same arrays', () => {
    const { grid, size } = loadGrid('martini_fuji.png');
    expect(size).toBe(513);
    const got = meshMartini(kernels, grid, size, 500, 'compat');
    expect(got.vertices.length).toBe(92);
    expect(got.triangles.length).toBe(225);
    expect(got.vertices).toBeInstanceOf(Uint16Array);
    expect(got.triangles).toBeInstanceOf(Uint32Array);
    expect(firstDifference(got, martiniJs(grid, size, 500))).toBe(-1);
    expect(Array.from(got.vertices.subarray(0, 4))).toEqual([320, 64, 256, 128]);
  });

  it('equals @mapbox/martini and the counts of expected.json on every fixture at every listed error', () => {
    for (const file of PNG_FIXTURES) {
      const { grid, size } = loadGrid(file);
      expect(size).toBe(EXPECTED.png[file]!.grid);
      const tile = new Martini(size).createTile(grid);
      const listed = EXPECTED.png[file]!.martini;
      for (const e of [...Object.keys(listed).map(Number), 0, Z11_ERROR]) {
        const want = tile.getMesh(e) as Mesh;
        const got = meshMartini(kernels, grid, size, e, 'compat');
        expect(firstDifference(got, want), `${file} @ ${e}`).toBe(-1);
        const counts = listed[String(e)];
        if (counts) expect([got.vertices.length / 2, got.triangles.length / 3], `${file} @ ${e}`).toEqual(counts);
      }
    }
  });

  it('equals @mapbox/martini on small synthetic grids, NaN and infinite heights included', () => {
    for (const size of [2, 3, 5, 9, 17, 33, 65]) {
      for (let kind = 0; kind < 4; kind++) {
        const grid = syntheticGrid(size, kind);
        for (const e of [0, 2, 20, 200]) {
          expect(firstDifference(meshMartini(kernels, grid, size, e, 'compat'), martiniJs(grid, size, e)), `${size}/${kind}/${e}`).toBe(-1);
        }
      }
    }
    const grid = syntheticGrid(33, 0);
    for (const i of [5, 40, 100, 500, 1000]) grid[i] = NaN;
    grid[300] = Infinity;
    grid[301] = -Infinity;
    for (const e of [0, 10, 50]) expect(firstDifference(meshMartini(kernels, grid, 33, e, 'compat'), martiniJs(grid, 33, e))).toBe(-1);
  });
});

describe('meshMartini vs the TypeScript reference', { timeout: 60_000 }, () => {
  it('gives byte-identical meshes on every fixture in both modes at several errors', () => {
    for (const file of PNG_FIXTURES) {
      const { grid, size } = loadGrid(file);
      for (const mode of ['compat', 'exact'] as const) {
        for (const e of [1, 5, Z11_ERROR, 100, 500]) {
          const got = meshMartini(kernels, grid, size, e, mode);
          expect(firstDifference(got, martiniReference(grid, size, e, mode)), `${file} ${mode} @ ${e}`).toBe(-1);
        }
      }
    }
  });

  it('gives byte-identical meshes on small synthetic grids in both modes', () => {
    for (const size of [2, 3, 5, 9, 17, 33, 65]) {
      for (let kind = 0; kind < 4; kind++) {
        const grid = syntheticGrid(size, kind);
        for (const mode of ['compat', 'exact'] as const) {
          for (const e of [0, 0.5, 3, 40, 200, Infinity]) {
            const got = meshMartini(kernels, grid, size, e, mode);
            expect(firstDifference(got, martiniReference(grid, size, e, mode)), `${size}/${kind}/${mode}/${e}`).toBe(-1);
          }
        }
      }
    }
  });

  it('exact: byte-identical on flat, planar, quantised and rough grids at errors from 0 up, fixture crops included', () => {
    // the kernel's shortcuts (small triangles' points listed, rows two points at a time, interior
    // triangles without images) must answer every test as the reference, rounding-level errors included
    const grids: Array<[string, Float32Array, number]> = [];
    for (const size of [3, 5, 9, 17, 33, 65, 129]) {
      for (let kind = 0; kind < 8; kind++) grids.push([`${size}/${kind}`, syntheticGrid(size, kind), size]);
    }
    for (const file of PNG_FIXTURES) {
      const { grid, size } = loadGrid(file);
      for (const n of [17, 65, 129]) {
        const at = Math.floor((size - n) / 3);
        grids.push([`${file} ${n} at ${at}`, crop(grid, size, at, 2 * at, n), n]);
      }
    }
    for (const [name, grid, size] of grids) {
      for (const e of [0, 1e-12, 1e-7, 1e-3, 0.1, 0.5, 2, 10, Z11_ERROR, 200, Infinity]) {
        const got = meshMartini(kernels, grid, size, e, 'exact');
        expect(firstDifference(got, martiniReference(grid, size, e, 'exact')), `${name} @ ${e}`).toBe(-1);
      }
    }
  });

  it('exact: byte-identical where the errors are rounding-level: steep exact planes, tiny bumps where they cross 0', () => {
    // powers of 2 apart: the planes' differences round in f64, so corners that are grid heights get
    // errors of the size of the bumps, which decide tests at errors near 0
    for (const size of [5, 9, 17, 33]) {
      for (let rep = 0; rep < 20; rep++) {
        const grid = new Float32Array(size * size);
        const c = Math.floor(random() * size);
        const sx = 2 ** (30 + Math.floor(random() * 8));
        const sy = random() < 0.5 ? 0 : sx / 2;
        for (let i = 0; i < grid.length; i++) {
          const x = i % size, y = Math.floor(i / size);
          const z = sx * (x - c) + sy * (y - c);
          grid[i] = z !== 0 ? z : (random() < 0.5 ? 1 : -1) * 2 ** -(20 + Math.floor(random() * 10));
        }
        for (const e of [0, 1e-12, 1e-9, 1e-6]) {
          expect(firstDifference(meshMartini(kernels, grid, size, e, 'exact'), martiniReference(grid, size, e, 'exact')), `${size}/${rep} @ ${e}`).toBe(-1);
        }
      }
    }
  });

  it('exact: byte-identical with NaN, infinite and huge heights', () => {
    for (const size of [5, 17, 65]) {
      for (let kind = 0; kind < 3; kind++) {
        const grid = syntheticGrid(size, 0);
        for (let j = 0; j < size; j++) {
          const odd = [NaN, Infinity, -Infinity, 3e38, -3e38];
          grid[Math.floor(random() * grid.length)] = kind === 0 ? NaN : kind === 1 ? odd[1 + (j % 2)]! : odd[j % 5]!;
        }
        for (const e of [0, 1, 20, Infinity]) {
          expect(firstDifference(meshMartini(kernels, grid, size, e, 'exact'), martiniReference(grid, size, e, 'exact')), `${size}/${kind} @ ${e}`).toBe(-1);
        }
      }
    }
  });

  it('two corner triangles at an infinite error; a full-resolution mesh at 0 on a rough grid', () => {
    const grid = syntheticGrid(9, 0);
    for (const mode of ['compat', 'exact'] as const) {
      const coarse = meshMartini(kernels, grid, 9, Infinity, mode);
      expect(Array.from(coarse.vertices)).toEqual([0, 0, 8, 8, 8, 0, 0, 8]);
      expect(Array.from(coarse.triangles)).toEqual([0, 1, 2, 1, 0, 3]);
      const fine = meshMartini(kernels, grid, 9, 0, mode);
      expect(fine.vertices.length / 2).toBe(81);
      expect(fine.triangles.length / 3).toBe(128);
    }
  });
});

describe('meshMartini glue', () => {
  it('rejects bad sizes, short grids, bad errors and modes', () => {
    const grid = new Float32Array(17 * 17);
    expect(() => meshMartini(kernels, grid, 16, 1, 'exact')).toThrow(RangeError);
    expect(() => meshMartini(kernels, grid, 1, 1, 'exact')).toThrow(RangeError);
    expect(() => meshMartini(kernels, grid, 8193, 1, 'exact')).toThrow(RangeError);
    expect(() => meshMartini(kernels, grid.subarray(1), 17, 1, 'exact')).toThrow(RangeError);
    expect(() => meshMartini(kernels, grid, 17, -1, 'exact')).toThrow(RangeError);
    expect(() => meshMartini(kernels, grid, 17, NaN, 'compat')).toThrow(RangeError);
    expect(() => meshMartini(kernels, grid, 17, 1, 'nope' as never)).toThrow(TypeError);
    expect(meshMartini(kernels, grid, 17, 1, 'exact').triangles.length).toBe(6);
  });

  it('results survive later calls; memory settles at the largest call', () => {
    const { grid, size } = loadGrid('pymartini_terrarium_11_385_803.png');
    const first = meshMartini(kernels, grid, size, Z11_ERROR, 'exact');
    const copy = { vertices: first.vertices.slice(), triangles: first.triangles.slice() };
    meshMartini(kernels, grid, size, 1, 'compat');
    const bytes = kernels.memoryBytes;
    for (let i = 0; i < 3; i++) meshMartini(kernels, grid, size, 1, 'exact');
    expect(kernels.memoryBytes).toBe(bytes);
    expect(firstDifference(first, copy)).toBe(-1);
    expect(firstDifference(meshMartini(kernels, grid, size, Z11_ERROR, 'exact'), copy)).toBe(-1);
  });
});
