import { describe, expect, it } from 'vitest';
import { buildGrid, fillHoles, joinEdges, mosaicHeights, tileEdge } from '../../src/mesh/elevation-grid.js';

const tile = (n: number, f: (x: number, y: number) => number) => Float32Array.from({ length: n * n }, (_, i) => f(i % n, Math.floor(i / n)));

describe('buildGrid', () => {
  it('takes the east column, south row and corner from the neighbours', () => {
    const n = 4;
    const g = buildGrid(tile(n, (x, y) => x + 10 * y), n, {
      eastColumn: tileEdge(tile(n, (x, y) => 100 + x + 10 * y), n, 'column'), southRow: tileEdge(tile(n, (x, y) => 200 + x + 10 * y), n, 'row'), corner: 999,
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

describe('mosaics of child tiles (@2x)', () => {
  it('places 2x2 tiles and stacks neighbour edges; a missing tile is NaN', () => {
    const m = 2;
    const t = (v: number) => tile(m, (x, y) => v + x + 10 * y);
    const mosaic = mosaicHeights([t(0), t(100), undefined, t(300)], 2, m);
    expect(Array.from(mosaic.subarray(0, 4))).toEqual([0, 1, 100, 101]);
    expect(Number.isNaN(mosaic[8])).toBe(true);
    expect(mosaic[15]).toBe(311);
    expect(Array.from(tileEdge(t(100), m, 'column'))).toEqual([100, 110]);
    expect(Array.from(tileEdge(t(100), m, 'row'))).toEqual([100, 101]);
    expect(tileEdge(t(100), m, 'full')).toEqual(t(100));
    expect(Array.from(joinEdges([tileEdge(t(0), m, 'column'), undefined], m)!)).toEqual([0, 10, NaN, NaN]);
    expect(Array.from(joinEdges([tileEdge(t(0), m, 'row'), tileEdge(t(100), m, 'row')], m)!)).toEqual([0, 1, 100, 101]);
    expect(joinEdges([undefined, undefined], m)).toBeUndefined();
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
