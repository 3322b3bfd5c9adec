import type { CogHeader } from '../cog/cog-header.js';

/**
 * Picks the level (full resolution or an overview) to read for an output raster, the way GDAL's
 * warper does by default: the coarsest overview that is still at least as fine as the output.
 * `coords` are the source-CRS coordinates of the output grid nodes (see tile-plan.ts).
 */
export function chooseLevel(header: CogHeader, coords: Float64Array, gw: number, step: number): number {
  const ratio = outputToSourceRatio(header, coords, gw, step);
  if (!Number.isFinite(ratio)) return 0;
  let chosen = 0;
  for (let i = 1; i < header.levels.length; i++) {
    const factor = header.width / header.levels[i].width;
    if (factor <= ratio * (1 + 1e-9)) chosen = i;
  }
  return chosen;
}

/** Full-resolution source pixels per output pixel, measured across the whole output grid. */
function outputToSourceRatio(header: CogHeader, coords: Float64Array, gw: number, step: number): number {
  const gh = coords.length / 2 / gw;
  const [rx, ry] = header.levels[0].resolution;
  let sum = 0;
  let n = 0;
  for (let j = 0; j < gh; j++) {
    for (let i = 0; i + 1 < gw; i++) {
      const a = (j * gw + i) * 2;
      const dx = (coords[a + 2] - coords[a]) / rx;
      const dy = (coords[a + 3] - coords[a + 1]) / ry;
      const d = Math.hypot(dx, dy) / step;
      if (Number.isFinite(d)) { sum += d; n++; }
    }
  }
  return n > 0 ? sum / n : NaN;
}
