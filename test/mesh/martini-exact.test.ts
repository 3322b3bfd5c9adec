// Martini 'exact' mode: the true error bound at every grid point (checked by brute force, independently
// of the kernel), a valid triangulation, and edge vertices that are the 1-D decision of each edge alone.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { meshMartini } from '../../src/kernels/mesh-martini.js';
import { bruteForceError, edgeVertices, loadGrid, PNG_FIXTURES, triangulationProblems } from './martini-util.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

const Z11_ERROR = (77067.34 / 2 ** 11) * 0.8;
/** Float slack of the brute-force check (its arithmetic differs from the kernel's). */
const TOLERANCE = 1e-6;

/**
 * The edge rule, written out again: split [a, b] at its midpoint while some point inside is off the
 * chord by more than maxError; heights read in the canonical direction. Returns the kept positions.
 */
function edgeDecision(heights: number[], maxError: number): number[] {
  const keep = new Set([0, heights.length - 1]);
  const split = (a: number, b: number): void => {
    if (b - a < 2) return;
    for (let s = a + 1; s < b; s++) {
      const z = heights[a]! + (heights[b]! - heights[a]!) * ((s - a) / (b - a));
      if (Math.abs(z - heights[s]!) > maxError) {
        const m = (a + b) >> 1;
        keep.add(m);
        split(a, m);
        split(m, b);
        return;
      }
    }
  };
  split(0, heights.length - 1);
  return [...keep].sort((x, y) => x - y);
}

function edgeHeights(grid: Float32Array, size: number): { north: number[]; south: number[]; west: number[]; east: number[] } {
  const T = size - 1;
  const line = (f: (i: number) => number) => Array.from({ length: size }, (_, i) => grid[f(i)]!);
  return {
    north: line((i) => i),
    south: line((i) => T * size + i),
    west: line((i) => i * size),
    east: line((i) => i * size + T),
  };
}

/** The mesh edges lying on the tile border, per side, as sorted [from, to] position pairs. */
function borderSegments(size: number, vertices: Uint16Array, triangles: Uint32Array): Record<string, Array<[number, number]>> {
  const T = size - 1;
  const out: Record<string, Array<[number, number]>> = { north: [], south: [], west: [], east: [] };
  for (let t = 0; t < triangles.length; t += 3) {
    for (const [p, q] of [[0, 1], [1, 2], [2, 0]]) {
      const i = triangles[t + p]!, j = triangles[t + q]!;
      const [x0, y0, x1, y1] = [vertices[2 * i]!, vertices[2 * i + 1]!, vertices[2 * j]!, vertices[2 * j + 1]!];
      const add = (side: string, a: number, b: number) => out[side]!.push([Math.min(a, b), Math.max(a, b)]);
      if (y0 === 0 && y1 === 0) add('north', x0, x1);
      if (y0 === T && y1 === T) add('south', x0, x1);
      if (x0 === 0 && x1 === 0) add('west', y0, y1);
      if (x0 === T && x1 === T) add('east', y0, y1);
    }
  }
  for (const s of Object.values(out)) s.sort((a, b) => a[0] - b[0]);
  return out;
}

function checkExact(grid: Float32Array, size: number, maxError: number, label: string) {
  const mesh = meshMartini(kernels, grid, size, maxError, 'exact');
  const { vertices, triangles } = mesh;
  expect(triangulationProblems(size, vertices, triangles), label).toEqual([]);
  const { maxError: err, uncovered } = bruteForceError(grid, size, vertices, triangles);
  expect(uncovered, label).toBe(0);
  expect(err, label).toBeLessThanOrEqual(maxError + TOLERANCE);
  // edge vertices: exactly the 1-D decision of that edge; the border is the polyline through them
  const edges = edgeVertices(size, vertices);
  const heights = edgeHeights(grid, size);
  const border = borderSegments(size, vertices, triangles);
  for (const side of ['north', 'south', 'west', 'east'] as const) {
    const kept = edgeDecision(heights[side], maxError);
    expect(edges[side], `${label} ${side}`).toEqual(kept);
    expect(border[side], `${label} ${side} border`).toEqual(kept.slice(1).map((b, i) => [kept[i]!, b]));
  }
  return mesh;
}

let seed = 777;
const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

describe('meshMartini exact', { timeout: 120_000 }, () => {
  it('keeps every grid point within maxError on every fixture; edges are their 1-D decision', () => {
    for (const file of PNG_FIXTURES) {
      const { grid, size } = loadGrid(file);
      for (const e of [1, 5, Z11_ERROR, 100]) checkExact(grid, size, e, `${file} @ ${e}`);
    }
  });

  it('holds on adversarial synthetic grids (noise, spikes, flat edges around a rough interior)', () => {
    for (let iter = 0; iter < 300; iter++) {
      const size = 2 ** (1 + (iter % 6)) + 1;
      const kind = iter % 4;
      const grid = new Float32Array(size * size);
      for (let i = 0; i < grid.length; i++) {
        const x = i % size, y = Math.floor(i / size);
        const border = x === 0 || y === 0 || x === size - 1 || y === size - 1;
        grid[i] = kind === 0 ? random() * 100
          : kind === 1 ? (random() < 0.05 ? random() * 1000 : 0)
            : kind === 2 ? Math.sin(x * 0.3) * 50 + Math.cos(y * 0.2) * 30 + random() * 5
              : border ? 0 : random() * 100;
      }
      const e = [0, 0.5, 3, 10, 40, 200][iter % 6]!;
      checkExact(grid, size, e, `#${iter} ${size} kind ${kind} @ ${e}`);
    }
  });

  it('is tighter than compat, which overshoots (Martini only looks at long-edge midpoints)', () => {
    const { grid, size } = loadGrid('pymartini_terrarium_11_385_803.png');
    const compat = meshMartini(kernels, grid, size, Z11_ERROR, 'compat');
    const exact = meshMartini(kernels, grid, size, Z11_ERROR, 'exact');
    expect(bruteForceError(grid, size, compat.vertices, compat.triangles).maxError).toBeGreaterThan(1.3 * Z11_ERROR);
    expect(bruteForceError(grid, size, exact.vertices, exact.triangles).maxError).toBeLessThanOrEqual(Z11_ERROR + TOLERANCE);
    // the price: a few more vertices than compat at the same nominal error
    expect(exact.vertices.length).toBeLessThan(compat.vertices.length * 1.2);
  });
});
