import { describe, expect, it } from 'vitest';
import { buildGrid, fillHoles } from '../../src/mesh/elevation-grid.js';

const tile = (n: number, f: (x: number, y: number) => number) => Float32Array.from({ length: n * n }, (_, i) => f(i % n, Math.floor(i / n)));

describe('buildGrid', () => {
  it('takes the east column, south row and corner from the neighbours', () => {
    const n = 4;
    const g = buildGrid(tile(n, (x, y) => x + 10 * y), n, {
      east: tile(n, (x, y) => 100 + x + 10 * y), south: tile(n, (x, y) => 200 + x + 10 * y), southEast: tile(n, () => 999),
    });
    expect(Array.from(g.subarray(0, 5))).toEqual([0, 1, 2, 3, 100]);
    expect(g[3 * 5 + 4]).toBe(130);
    expect(Array.from(g.subarray(20, 25))).toEqual([200, 201, 202, 203, 999]);
  });

  it('repeats its own last column/row where a neighbour is missing', () => {
    const n = 4;
    const g = buildGrid(tile(n, (x, y) => x + 10 * y), n, {});
    expect(Array.from(g.subarray(0, 5))).toEqual([0, 1, 2, 3, 3]);
    expect(Array.from(g.subarray(20, 25))).toEqual([30, 31, 32, 33, 33]);
  });
});

describe('fillHoles', () => {
  it('fills NaN from the nearest valid height', () => {
    const g = Float32Array.from([1, NaN, NaN, NaN, NaN, NaN, NaN, NaN, 9]);
    fillHoles(g, 3, 3);
    expect(g.every((v) => !Number.isNaN(v))).toBe(true);
    expect(g[1]).toBe(1);
    expect(g[7]).toBe(9);
  });
  it('makes an all-NaN grid flat', () => {
    const g = new Float32Array(4).fill(NaN);
    fillHoles(g, 2, 2);
    expect(Array.from(g)).toEqual([0, 0, 0, 0]);
  });
});
