import type { CogHeader } from '../cog/cog-header.js';
import { transformBetween, WEB_MERCATOR, type Crs } from './crs.js';
import type { Bounds } from './web-mercator.js';

/**
 * Picks the level (full resolution or an overview) to read for an output raster the way gdalwarp
 * (GDAL 3.6, -ovr AUTO) does, so that our tiles match GDAL's pixel for pixel:
 * - target ratio: a 10x10 lattice of output pixel-edge positions (0, W/9, ..., W) is transformed to
 *   full-resolution source pixels; ratio = (max x - min x) / W;
 * - level: walking from full resolution, stop at the level whose ratio is below the target while
 *   the next one is above it, or which is within 0.1 of the target; else the coarsest overview.
 */
export function chooseLevel(header: CogHeader, bounds: Bounds, width: number, height: number, outCrs: Crs = WEB_MERCATOR): { level: number; downsampling: number } {
  const ratio = targetRatio(header, bounds, width, height, outCrs);
  const ratios = header.levels.map((l) => header.width / l.width);
  let i = 0;
  if (ratio > 1) {
    for (; i < ratios.length - 1; i++) {
      if (ratios[i] < ratio && ratios[i + 1] > ratio) break;
      if (Math.abs(ratios[i] - ratio) < 0.1) break;
    }
  }
  // level pixels per output pixel: > 1 when the chosen level is still finer than the output
  return { level: i, downsampling: ratio / ratios[i] };
}

function targetRatio(header: CogHeader, b: Bounds, width: number, height: number, outCrs: Crs): number {
  const { inverse } = transformBetween(header.crs, outCrs);
  const resX = (b[2] - b[0]) / width;
  const resY = (b[3] - b[1]) / height;
  const [ox] = header.origin;
  const rx = header.levels[0].resolution[0];
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < 10; j++) {
      const [x] = inverse(b[0] + ((width * i) / 9) * resX, b[3] - ((height * j) / 9) * resY);
      if (!Number.isFinite(x)) continue;
      const col = (x - ox) / rx;
      min = Math.min(min, col);
      max = Math.max(max, col);
    }
  }
  return max > min ? (max - min) / width : NaN;
}
