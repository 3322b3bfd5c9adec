/**
 * The (n+1) x (n+1) height grid a mesher needs for an n x n tile: the tile's own heights plus the
 * east column, south row and south-east corner taken from the neighbouring tiles (their first
 * column, first row, first pixel), so that two neighbours see the same heights along their shared
 * edge. A missing neighbour (outside the dataset) repeats the tile's own last column or row.
 */
export interface NeighbourHeights {
  east?: Float32Array;
  south?: Float32Array;
  southEast?: Float32Array;
}

export function buildGrid(center: Float32Array, n: number, neighbours: NeighbourHeights): Float32Array {
  const g = n + 1;
  const grid = new Float32Array(g * g);
  for (let r = 0; r < n; r++) {
    grid.set(center.subarray(r * n, (r + 1) * n), r * g);
    grid[r * g + n] = neighbours.east ? neighbours.east[r * n] : center[r * n + n - 1];
  }
  const lastRow = n * g;
  if (neighbours.south) grid.set(neighbours.south.subarray(0, n), lastRow);
  else grid.copyWithin(lastRow, lastRow - g, lastRow - 1);
  grid[lastRow + n] = neighbours.southEast
    ? neighbours.southEast[0]
    : neighbours.south ? neighbours.south[n - 1] : neighbours.east ? neighbours.east[(n - 1) * n] : center[n * n - 1];
  return grid;
}

/**
 * Replaces NaN heights (nodata) with the height of the nearest valid point (breadth-first from
 * every valid point at once), since neither mesher handles holes. All-NaN grids become 0.
 */
export function fillHoles(grid: Float32Array, width: number, height: number): void {
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
