// Crack-free edges of Martini 'exact' meshes: neighbouring tiles whose shared edge has identical
// heights get identical vertices (hence heights and edge polyline) along it, whatever their interiors.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { meshMartini, type MartiniMode } from '../../src/kernels/mesh-martini.js';
import { crop, edgeVertices, loadGrid } from './martini-util.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

interface TileEdges {
  grid: Float32Array;
  edges: ReturnType<typeof edgeVertices>;
}

/** fuji (513) cut into 2x2 tiles of 257 that share their edge rows and columns. */
function fujiQuadrants(maxError: number, mode: MartiniMode): TileEdges[][] {
  const { grid, size } = loadGrid('martini_fuji.png');
  const tiles: TileEdges[][] = [];
  for (let ty = 0; ty < 2; ty++) {
    tiles.push([]);
    for (let tx = 0; tx < 2; tx++) {
      const g = crop(grid, size, tx * 256, ty * 256, 257);
      const mesh = meshMartini(kernels, g, 257, maxError, mode);
      tiles[ty]!.push({ grid: g, edges: edgeVertices(257, mesh.vertices) });
    }
  }
  return tiles;
}

/** Each shared edge: [label, positions and heights on one side, on the other side]. */
function sharedEdges(tiles: TileEdges[][]): Array<[string, number[][], number[][]]> {
  const h = (t: TileEdges, x: number, y: number) => t.grid[y * 257 + x]!;
  const out: Array<[string, number[][], number[][]]> = [];
  for (let ty = 0; ty < 2; ty++) {
    const [w, e] = [tiles[ty]![0]!, tiles[ty]![1]!];
    out.push([`row ${ty} west|east`, w.edges.east.map((y) => [y, h(w, 256, y)]), e.edges.west.map((y) => [y, h(e, 0, y)])]);
  }
  for (let tx = 0; tx < 2; tx++) {
    const [n, s] = [tiles[0]![tx]!, tiles[1]![tx]!];
    out.push([`column ${tx} north|south`, n.edges.south.map((x) => [x, h(n, x, 256)]), s.edges.north.map((x) => [x, h(s, x, 0)])]);
  }
  return out;
}

describe('Martini exact: shared tile edges', { timeout: 60_000 }, () => {
  it('neighbouring 257 tiles of fuji have identical vertices and heights along every shared edge', () => {
    for (const e of [1, 5, 15.05, 30.1, 60.21, 500]) {
      for (const [label, a, b] of sharedEdges(fujiQuadrants(e, 'exact'))) {
        expect(a.length, `${label} @ ${e}`).toBeGreaterThanOrEqual(2);
        expect(a, `${label} @ ${e}`).toEqual(b);
      }
    }
  });

  it('compat (Martini) does not: its edge vertices depend on the tile interior', () => {
    const mismatched = [5, 15.05, 30.1, 60.21].some((e) => sharedEdges(fujiQuadrants(e, 'compat')).some(([, a, b]) => JSON.stringify(a) !== JSON.stringify(b)));
    expect(mismatched).toBe(true);
  });

  it('an edge\'s vertices do not change when the rest of the tile does', () => {
    const { grid, size } = loadGrid('loadersgl_mapbox.png');
    const base = edgeVertices(size, meshMartini(kernels, grid, size, 20, 'exact').vertices);
    const noisy = grid.slice();
    let seed = 99;
    for (let y = 1; y < size - 1; y++) {
      for (let x = 1; x < size - 1; x++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        noisy[y * size + x] = noisy[y * size + x]! + ((seed / 2 ** 32) - 0.5) * 400;
      }
    }
    const other = edgeVertices(size, meshMartini(kernels, noisy, size, 20, 'exact').vertices);
    expect(other).toEqual(base);
  });
});
