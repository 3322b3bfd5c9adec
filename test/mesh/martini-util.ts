// Shared by the Martini tests: the terrain fixtures as height grids, and independent checks of a mesh
// (brute-force error over every grid point, triangulation validity, edge vertices).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';

export const TERRAIN_DIR = join(import.meta.dirname, '..', 'fixtures', 'terrain');

export interface Expected {
  png: Record<string, { encoding: 'mapbox' | 'terrarium'; width: number; grid: number; martini: Record<string, [number, number]> }>;
}

export const EXPECTED = JSON.parse(readFileSync(join(TERRAIN_DIR, 'expected.json'), 'utf8')) as Expected;

export const PNG_FIXTURES = Object.keys(EXPECTED.png);

/** The PNG decoded to heights (Float32), as a (w+1)^2 grid backfilled like mapbox/martini's test/util.js. */
export function loadGrid(file: string): { grid: Float32Array; size: number } {
  const png = decode(readFileSync(join(TERRAIN_DIR, file)));
  const { width: w, height: h, channels } = png;
  if (w !== h) throw new Error(`${file}: not square`);
  const encoding = EXPECTED.png[file]?.encoding ?? (channels === 3 ? 'terrarium' : 'mapbox');
  const size = w + 1;
  const grid = new Float32Array(size * size);
  const d = png.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const k = (y * w + x) * channels;
      const r = d[k]!, g = d[k + 1]!, b = d[k + 2]!;
      grid[y * size + x] = encoding === 'terrarium' ? r * 256 + g + b / 256 - 32768 : (r * 256 * 256 + g * 256.0 + b) / 10.0 - 10000.0;
    }
  }
  for (let x = 0; x < size - 1; x++) grid[size * (size - 1) + x] = grid[size * (size - 2) + x]!;
  for (let y = 0; y < size; y++) grid[size * y + size - 1] = grid[size * y + size - 2]!;
  return { grid, size };
}

/** A square window of a grid. */
export function crop(grid: Float32Array, size: number, x0: number, y0: number, n: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let y = 0; y < n; y++) out.set(grid.subarray((y0 + y) * size + x0, (y0 + y) * size + x0 + n), y * n);
  return out;
}

/**
 * Max |mesh - height| over every grid point, the mesh interpolating grid heights at its vertices.
 * Written independently of the mesher: bounding-box scan, barycentric weights from integer edge
 * functions. Also returns how many grid points no triangle covers (must be 0).
 */
export function bruteForceError(grid: Float32Array, size: number, vertices: Uint16Array, triangles: Uint32Array): { maxError: number; uncovered: number; at: number } {
  const covered = new Uint8Array(size * size);
  let maxError = 0;
  let at = -1;
  for (let t = 0; t < triangles.length; t += 3) {
    const i0 = triangles[t]!, i1 = triangles[t + 1]!, i2 = triangles[t + 2]!;
    const x0 = vertices[2 * i0]!, y0 = vertices[2 * i0 + 1]!;
    const x1 = vertices[2 * i1]!, y1 = vertices[2 * i1 + 1]!;
    const x2 = vertices[2 * i2]!, y2 = vertices[2 * i2 + 1]!;
    const h0 = grid[y0 * size + x0]!, h1 = grid[y1 * size + x1]!, h2 = grid[y2 * size + x2]!;
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    for (let y = Math.min(y0, y1, y2); y <= Math.max(y0, y1, y2); y++) {
      for (let x = Math.min(x0, x1, x2); x <= Math.max(x0, x1, x2); x++) {
        const w0 = (x1 - x) * (y2 - y) - (x2 - x) * (y1 - y);
        const w1 = (x2 - x) * (y0 - y) - (x0 - x) * (y2 - y);
        const w2 = (x0 - x) * (y1 - y) - (x1 - x) * (y0 - y);
        const inside = area > 0 ? w0 >= 0 && w1 >= 0 && w2 >= 0 : w0 <= 0 && w1 <= 0 && w2 <= 0;
        if (!inside) continue;
        covered[y * size + x] = 1;
        const z = (w0 * h0 + w1 * h1 + w2 * h2) / area;
        const err = Math.abs(z - grid[y * size + x]!);
        if (err > maxError) {
          maxError = err;
          at = y * size + x;
        }
      }
    }
  }
  let uncovered = 0;
  for (const c of covered) if (c === 0) uncovered++;
  return { maxError, uncovered, at };
}

/**
 * Checks that the triangles tile the square [0, T]^2 exactly: all wound the same way (negative x/y
 * cross product, as Martini), areas summing to T^2, every edge shared by two triangles except the
 * outer ones, which lie on the border and are used once. Returns a list of problems (empty when valid).
 */
export function triangulationProblems(size: number, vertices: Uint16Array, triangles: Uint32Array): string[] {
  const T = size - 1;
  const problems: string[] = [];
  let area2 = 0;
  const edges = new Map<number, number>();
  const key = (a: number, b: number) => a * 0x100000 + b;
  const seen = new Set<number>();
  for (let i = 0; i < vertices.length; i += 2) {
    const k = vertices[i + 1]! * size + vertices[i]!;
    if (seen.has(k)) problems.push(`duplicate vertex ${vertices[i]},${vertices[i + 1]}`);
    seen.add(k);
  }
  for (let t = 0; t < triangles.length; t += 3) {
    const [a, b, c] = [triangles[t]!, triangles[t + 1]!, triangles[t + 2]!];
    const cross = (vertices[2 * b]! - vertices[2 * a]!) * (vertices[2 * c + 1]! - vertices[2 * a + 1]!) - (vertices[2 * c]! - vertices[2 * a]!) * (vertices[2 * b + 1]! - vertices[2 * a + 1]!);
    if (cross >= 0) problems.push(`triangle ${t / 3} has cross ${cross}`);
    area2 -= cross;
    for (const [p, q] of [[a, b], [b, c], [c, a]] as const) edges.set(key(p, q), (edges.get(key(p, q)) ?? 0) + 1);
  }
  if (area2 !== 2 * T * T) problems.push(`area ${area2 / 2}, expected ${T * T}`);
  const onBorder = (i: number, j: number) => {
    const [x0, y0, x1, y1] = [vertices[2 * i]!, vertices[2 * i + 1]!, vertices[2 * j]!, vertices[2 * j + 1]!];
    return (x0 === x1 && (x0 === 0 || x0 === T)) || (y0 === y1 && (y0 === 0 || y0 === T));
  };
  for (const [k, n] of edges) {
    const p = Math.floor(k / 0x100000), q = k % 0x100000;
    if (n > 1) problems.push(`edge ${p}-${q} used ${n} times in one direction`);
    const twin = edges.get(key(q, p)) ?? 0;
    if (twin === 0 && !onBorder(p, q)) problems.push(`edge ${p}-${q} has no twin and is not on the border`);
    if (problems.length > 20) break;
  }
  return problems;
}

/** Sorted positions along each edge (N, S, W, E; x for N/S, y for W/E) of the vertices on it. */
export function edgeVertices(size: number, vertices: Uint16Array): { north: number[]; south: number[]; west: number[]; east: number[] } {
  const T = size - 1;
  const e = { north: [] as number[], south: [] as number[], west: [] as number[], east: [] as number[] };
  for (let i = 0; i < vertices.length; i += 2) {
    const x = vertices[i]!, y = vertices[i + 1]!;
    if (y === 0) e.north.push(x);
    if (y === T) e.south.push(x);
    if (x === 0) e.west.push(y);
    if (x === T) e.east.push(y);
  }
  for (const v of Object.values(e)) v.sort((a, b) => a - b);
  return e;
}
