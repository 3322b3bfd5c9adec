// Delatin 'seamless' meshes: within maxError of every grid point (brute force), valid triangulations
// of the whole rectangle, and edge vertices that depend on the edge's heights and maxError alone, so
// neighbouring tiles sharing an edge row or column get identical vertices along it: no cracks.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../../src/kernels/kernels.js';
import { loadKernels } from '../../src/kernels/load-node.js';
import { meshDelatin, type DelatinMode, type Mesh } from '../../src/kernels/mesh-delatin.js';
import { crop, loadGrid, PNG_FIXTURES } from './martini-util.js';

let kernels: Kernels;
beforeAll(async () => {
  kernels = await loadKernels();
});

/** kepler.gl's mesh_max_error at zoom 11: 77067.34 / 2^11 * 0.8. */
const Z11_ERROR = (77067.34 / 2 ** 11) * 0.8;
/** Slack for the brute force's own rounding (it interpolates with other arithmetic than the mesher). */
const EPS = 1e-6;

/**
 * Max |mesh - height| over every grid point of a width x height grid, written independently of the
 * mesher (bounding-box scan, integer edge functions); also the number of points no triangle covers.
 */
function bruteForceError(grid: Float32Array, width: number, height: number, mesh: Mesh): { maxError: number; uncovered: number } {
  const { vertices: v, triangles: t } = mesh;
  const covered = new Uint8Array(width * height);
  let maxError = 0;
  for (let i = 0; i < t.length; i += 3) {
    const [a, b, c] = [t[i]!, t[i + 1]!, t[i + 2]!];
    const [x0, y0, x1, y1, x2, y2] = [v[2 * a]!, v[2 * a + 1]!, v[2 * b]!, v[2 * b + 1]!, v[2 * c]!, v[2 * c + 1]!];
    const [h0, h1, h2] = [grid[y0 * width + x0]!, grid[y1 * width + x1]!, grid[y2 * width + x2]!];
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    for (let y = Math.min(y0, y1, y2); y <= Math.max(y0, y1, y2); y++) {
      for (let x = Math.min(x0, x1, x2); x <= Math.max(x0, x1, x2); x++) {
        const w0 = (x1 - x) * (y2 - y) - (x2 - x) * (y1 - y);
        const w1 = (x2 - x) * (y0 - y) - (x0 - x) * (y2 - y);
        const w2 = (x0 - x) * (y1 - y) - (x1 - x) * (y0 - y);
        if (area > 0 ? w0 < 0 || w1 < 0 || w2 < 0 : w0 > 0 || w1 > 0 || w2 > 0) continue;
        covered[y * width + x] = 1;
        maxError = Math.max(maxError, Math.abs((w0 * h0 + w1 * h1 + w2 * h2) / area - grid[y * width + x]!));
      }
    }
  }
  return { maxError, uncovered: covered.reduce((n, c) => n + (c === 0 ? 1 : 0), 0) };
}

/**
 * Problems of a triangulation of the rectangle [0, width-1] x [0, height-1] (empty when valid): one
 * winding for all, areas summing to the rectangle's, no duplicate vertex, every edge shared by two
 * triangles except border edges, used once.
 */
function triangulationProblems(width: number, height: number, mesh: Mesh): string[] {
  const { vertices: v, triangles: t } = mesh;
  const [X, Y] = [width - 1, height - 1];
  const problems: string[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < v.length; i += 2) {
    const k = v[i + 1]! * width + v[i]!;
    if (seen.has(k)) problems.push(`duplicate vertex ${v[i]},${v[i + 1]}`);
    seen.add(k);
  }
  const edges = new Map<number, number>();
  const key = (p: number, q: number) => p * 2 ** 26 + q;
  let area2 = 0;
  for (let i = 0; i < t.length; i += 3) {
    const [a, b, c] = [t[i]!, t[i + 1]!, t[i + 2]!];
    const cross = (v[2 * b]! - v[2 * a]!) * (v[2 * c + 1]! - v[2 * a + 1]!) - (v[2 * c]! - v[2 * a]!) * (v[2 * b + 1]! - v[2 * a + 1]!);
    if (cross >= 0) problems.push(`triangle ${i / 3} has cross ${cross}`);
    area2 -= cross;
    for (const [p, q] of [[a, b], [b, c], [c, a]] as const) edges.set(key(p, q), (edges.get(key(p, q)) ?? 0) + 1);
  }
  if (area2 !== 2 * X * Y) problems.push(`area ${area2 / 2}, expected ${X * Y}`);
  for (const [k, n] of edges) {
    const p = Math.floor(k / 2 ** 26), q = k % 2 ** 26;
    const onBorder = (v[2 * p] === v[2 * q] && (v[2 * p] === 0 || v[2 * p] === X)) || (v[2 * p + 1] === v[2 * q + 1] && (v[2 * p + 1] === 0 || v[2 * p + 1] === Y));
    if (n > 1) problems.push(`edge ${p}-${q} used ${n} times in one direction`);
    if (!edges.has(key(q, p)) && !onBorder) problems.push(`edge ${p}-${q} has no twin and is not on the border`);
    if (problems.length > 20) break;
  }
  return problems;
}

interface Edges { north: number[]; south: number[]; west: number[]; east: number[] }

/** Sorted positions of the vertices on each edge (x on north and south, y on west and east). */
function edgeVertices(width: number, height: number, vertices: Uint16Array): Edges {
  const e: Edges = { north: [], south: [], west: [], east: [] };
  for (let i = 0; i < vertices.length; i += 2) {
    const x = vertices[i]!, y = vertices[i + 1]!;
    if (y === 0) e.north.push(x);
    if (y === height - 1) e.south.push(x);
    if (x === 0) e.west.push(y);
    if (x === width - 1) e.east.push(y);
  }
  for (const a of Object.values(e) as number[][]) a.sort((p, q) => p - q);
  return e;
}

/**
 * The 1-D greedy simplification of one edge line, written here from its definition: keep both ends,
 * split a segment at its first point of largest |linear interpolation - height| while that exceeds
 * maxError.
 */
function simplifyLine(h: ArrayLike<number>, maxError: number): number[] {
  const keep = [0, h.length - 1];
  const split = (a: number, b: number) => {
    let worst = 0;
    let at = -1;
    for (let i = a + 1; i < b; i++) {
      const err = Math.abs(h[a]! + ((h[b]! - h[a]!) * (i - a)) / (b - a) - h[i]!);
      if (err > worst) [worst, at] = [err, i];
    }
    if (at < 0 || !(worst > maxError)) return;
    keep.push(at);
    split(a, at);
    split(at, b);
  };
  split(0, h.length - 1);
  return keep.sort((p, q) => p - q);
}

function lineOf(grid: Float32Array, width: number, height: number, edge: keyof Edges): Float32Array {
  const n = edge === 'north' || edge === 'south' ? width : height;
  return Float32Array.from({ length: n }, (_, i) =>
    edge === 'north' ? grid[i]! : edge === 'south' ? grid[(height - 1) * width + i]! : edge === 'west' ? grid[i * width]! : grid[i * width + width - 1]!);
}

function window(grid: Float32Array, size: number, x0: number, y0: number, w: number, h: number): Float32Array {
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) out.set(grid.subarray((y0 + y) * size + x0, (y0 + y) * size + x0 + w), y * w);
  return out;
}

describe('Delatin seamless: shared edges', { timeout: 120_000 }, () => {
  for (const maxError of [2, 10, Z11_ERROR, 100]) {
    it(`fuji cut into 2x2 tiles of 257 sharing edges, at ${maxError.toFixed(2)} m: identical vertices along every shared edge, every tile within maxError`, () => {
      const { grid, size } = loadGrid('martini_fuji.png');
      const tiles = [0, 1].map((ty) => [0, 1].map((tx) => {
        const g = crop(grid, size, tx * 256, ty * 256, 257);
        const mesh = meshDelatin(kernels, g, 257, 257, maxError, 'seamless');
        const err = bruteForceError(g, 257, 257, mesh);
        expect(err.uncovered).toBe(0);
        expect(err.maxError).toBeLessThanOrEqual(maxError + EPS);
        expect(triangulationProblems(257, 257, mesh)).toEqual([]);
        return edgeVertices(257, 257, mesh.vertices);
      }));
      for (let i = 0; i < 2; i++) {
        // the west|east column between tiles of row i, and the north|south row between tiles of column i
        expect(tiles[i]![0]!.east, `row ${i}: west tile's east edge vs east tile's west edge`).toEqual(tiles[i]![1]!.west);
        expect(tiles[0]![i]!.south, `column ${i}: north tile's south edge vs south tile's north edge`).toEqual(tiles[1]![i]!.north);
      }
      for (const row of tiles) {
        for (const e of row) for (const side of Object.values(e) as number[][]) expect([side[0], side.at(-1)]).toEqual([0, 256]);
      }
    });
  }

  it('each edge\'s vertices are exactly the 1-D simplification of that edge, whatever the interior', () => {
    const { grid, size } = loadGrid('pymartini_terrarium_11_385_803.png');
    let seed = 7;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const other = grid.slice();
    for (let y = 1; y < size - 1; y++) for (let x = 1; x < size - 1; x++) other[y * size + x] = other[y * size + x]! + (random() - 0.5) * 200;
    for (const maxError of [1, 5, Z11_ERROR, 80]) {
      const a = edgeVertices(size, size, meshDelatin(kernels, grid, size, size, maxError, 'seamless').vertices);
      const b = edgeVertices(size, size, meshDelatin(kernels, other, size, size, maxError, 'seamless').vertices);
      expect(b).toEqual(a);
      for (const edge of ['north', 'south', 'west', 'east'] as const) {
        expect(a[edge], `${edge} at ${maxError}`).toEqual(simplifyLine(lineOf(grid, size, size, edge), maxError));
      }
    }
  });

  it('non-square neighbours: a column shared by a 300x129 and a 77x129 window of fuji', () => {
    const { grid, size } = loadGrid('martini_fuji.png');
    for (const maxError of [3, 30]) {
      const left = window(grid, size, 10, 50, 300, 129);
      const right = window(grid, size, 309, 50, 77, 129);
      const l = meshDelatin(kernels, left, 300, 129, maxError, 'seamless');
      const r = meshDelatin(kernels, right, 77, 129, maxError, 'seamless');
      expect(edgeVertices(300, 129, l.vertices).east).toEqual(edgeVertices(77, 129, r.vertices).west);
      for (const [g, w, m] of [[left, 300, l], [right, 77, r]] as const) {
        const err = bruteForceError(g, w, 129, m);
        expect(err.uncovered).toBe(0);
        expect(err.maxError).toBeLessThanOrEqual(maxError + EPS);
        expect(triangulationProblems(w, 129, m)).toEqual([]);
      }
    }
  });
});

describe('Delatin: true max error over every grid point', { timeout: 120_000 }, () => {
  it('on every terrain fixture, both modes, at several errors', () => {
    for (const file of PNG_FIXTURES) {
      const { grid, size } = loadGrid(file);
      for (const maxError of [1, 5, Z11_ERROR, 50]) {
        for (const mode of ['compat', 'seamless'] as DelatinMode[]) {
          const mesh = meshDelatin(kernels, grid, size, size, maxError, mode);
          const err = bruteForceError(grid, size, size, mesh);
          expect(err.uncovered, `${file} ${mode} at ${maxError}`).toBe(0);
          expect(err.maxError, `${file} ${mode} at ${maxError}`).toBeLessThanOrEqual(maxError + EPS);
          expect(triangulationProblems(size, size, mesh), `${file} ${mode} at ${maxError}`).toEqual([]);
        }
      }
    }
  });

  it('costs few vertices for it: seamless stays within 3% of compat on the 257 fixtures at kepler\'s z11 error', () => {
    for (const file of PNG_FIXTURES.filter((f) => !f.includes('fuji'))) {
      const { grid, size } = loadGrid(file);
      const compat = meshDelatin(kernels, grid, size, size, Z11_ERROR, 'compat').vertices.length;
      const seamless = meshDelatin(kernels, grid, size, size, Z11_ERROR, 'seamless').vertices.length;
      expect(seamless, file).toBeLessThanOrEqual(compat * 1.03 + 4);
    }
  });
});
