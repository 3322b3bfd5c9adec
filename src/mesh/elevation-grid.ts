/**
 * The (n+1) x (n+1) height grid a mesher needs for an n x n tile: the tile's own heights plus the
 * east column, south row and south-east corner taken from the neighbouring tiles (their first
 * column, first row, first pixel), so that two neighbours see the same heights along their shared
 * edge. A missing neighbour (outside the dataset) repeats the tile's own last column or row.
 */
export interface GridEdges {
  /** n heights: the first column of the tile(s) to the east. */
  eastColumn?: Float32Array;
  /** n heights: the first row of the tile(s) to the south. */
  southRow?: Float32Array;
  /** The first pixel of the south-east tile. */
  corner?: number;
}

export function buildGrid(center: Float32Array, n: number, edges: GridEdges): Float32Array {
  const g = n + 1;
  const grid = new Float32Array(g * g);
  for (let r = 0; r < n; r++) {
    grid.set(center.subarray(r * n, (r + 1) * n), r * g);
    grid[r * g + n] = edges.eastColumn ? edges.eastColumn[r] : center[r * n + n - 1];
  }
  const lastRow = n * g;
  if (edges.southRow) grid.set(edges.southRow.subarray(0, n), lastRow);
  else grid.copyWithin(lastRow, lastRow - g, lastRow - 1);
  grid[lastRow + n] = edges.corner ?? (edges.southRow ? edges.southRow[n - 1] : edges.eastColumn ? edges.eastColumn[n - 1] : center[n * n - 1]);
  return grid;
}

/**
 * One n x n height array from s x s tiles of size m (n = s * m), row-major by tile; a missing tile
 * leaves NaN (filled later, see fillHoles).
 */
export function mosaicHeights(tiles: Array<Float32Array | undefined>, s: number, m: number): Float32Array {
  const n = s * m;
  const out = new Float32Array(n * n).fill(NaN);
  for (let ty = 0; ty < s; ty++) {
    for (let tx = 0; tx < s; tx++) {
      const t = tiles[ty * s + tx];
      if (!t) continue;
      for (let r = 0; r < m; r++) out.set(t.subarray(r * m, (r + 1) * m), (ty * m + r) * n + tx * m);
    }
  }
  return out;
}

/**
 * What a mesh needs of an elevation tile: all of it (the tile itself), its first column (the tile
 * to the east) or its first row (the tiles to the south and south-east: the corner is its first height).
 */
export type ElevationPart = 'full' | 'column' | 'row';

/**
 * The elevation tiles a PNG-sourced grid is made of, slot by slot: the scale x scale tiles of the
 * mesh's own area (row by row), the first columns of the scale tiles to the east (north to south),
 * the first rows of the scale tiles to the south (west to east), and the first row of the
 * south-east tile (its first height is the grid's corner). undefined: no such tile.
 */
export interface TileSlots {
  scale: number;
  /** Pixels a side of each tile. */
  childSize: number;
  slots: Array<Float32Array | undefined>;
}

/** What slot i of a TileSlots of this scale holds of its tile. */
export function slotPart(i: number, scale: number): ElevationPart {
  return i < scale * scale ? 'full' : i < scale * scale + scale ? 'column' : 'row';
}

/** The (n+1)^2 grid of the slots (n = scale * childSize), NaN where one of its own tiles is missing. */
export function gridFromSlots(t: TileSlots): Float32Array {
  const { scale: s, childSize: m, slots } = t;
  const edges = slots.slice(s * s);
  const center = s === 1 && slots[0] ? slots[0] : mosaicHeights(slots.slice(0, s * s), s, m);
  return buildGrid(center, s * m, {
    eastColumn: joinEdges(edges.slice(0, s), m),
    southRow: joinEdges(edges.slice(s, 2 * s), m),
    corner: edges[2 * s]?.[0],
  });
}

/** `part` of an m x m tile's heights that are of part `decoded` (the same part, or the whole tile). */
export function partOf(heights: Float32Array, m: number, decoded: ElevationPart, part: ElevationPart): Float32Array {
  return decoded === part ? heights : tileEdge(heights, m, part);
}

/** The first column or row of an m x m tile (the tile itself for 'full'). */
export function tileEdge(heights: Float32Array, m: number, part: ElevationPart): Float32Array {
  if (part === 'full') return heights;
  if (part === 'row') return heights.slice(0, m);
  return Float32Array.from({ length: m }, (_, r) => heights[r * m]!);
}

/**
 * The edges (m heights each) of s tiles end to end: first columns north to south, or first rows
 * west to east. NaN where a tile is missing; undefined when all are.
 */
export function joinEdges(edges: Array<Float32Array | undefined>, m: number): Float32Array | undefined {
  if (edges.every((e) => !e)) return undefined;
  const out = new Float32Array(edges.length * m).fill(NaN);
  edges.forEach((e, i) => { if (e) out.set(e.subarray(0, m), i * m); });
  return out;
}

/**
 * Replaces NaN heights (nodata) with the height of the nearest valid point (breadth-first from
 * every valid point at once), since neither mesher handles holes. All-NaN grids become 0.
 */
export function fillHoles(grid: Float32Array, width: number, height: number): void {
  if (!hasNaN(grid)) return; // the usual case: no queue to allocate
  const queue = new Int32Array(width * height);
  let head = 0, tail = 0;
  for (let i = 0; i < grid.length; i++) if (!Number.isNaN(grid[i])) queue[tail++] = i;
  if (tail === grid.length) return;
  if (tail === 0) { grid.fill(0); return; }
  while (head < tail) {
    const i = queue[head++];
    const x = i % width, y = (i - x) / width;
    const visit = (j: number) => {
      if (Number.isNaN(grid[j])) { grid[j] = grid[i]; queue[tail++] = j; }
    };
    if (x > 0) visit(i - 1);
    if (x < width - 1) visit(i + 1);
    if (y > 0) visit(i - width);
    if (y < height - 1) visit(i + width);
  }
}

function hasNaN(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== values[i]) return true;
  return false;
}
