import type { CogHeader } from './cog-header.js';
import type { CogReader } from './cog-reader.js';
import { intersectsDataset, planRaster } from '../tiling/tile-plan.js';
import { lonLatToMercator, type Bounds } from '../tiling/web-mercator.js';

/**
 * The values of `bands` (0-based) of a COG at a lon/lat, at full resolution (nearest pixel), or
 * undefined when the point is outside the dataset. null for a masked pixel.
 */
export async function readPoint(
  reader: CogReader, header: CogHeader, lon: number, lat: number, bands: number[], nodata: number | undefined, signal?: AbortSignal,
): Promise<Array<number | null> | undefined> {
  const [mx, my] = lonLatToMercator(lon, lat);
  const eps = 1e-6;
  const bounds: Bounds = [mx - eps, my - eps, mx + eps, my + eps];
  const plan = intersectsDataset(header, bounds) ? planRaster(header, bounds, 1, 1, 'nearest') : undefined;
  if (!plan) return undefined;
  const { values } = await reader.render(header, plan, { bands, resampling: 'nearest', nodata, output: 'values', signal });
  return Array.from(values!.data, (v) => (values!.mask[0] !== 0 ? Number(v) : null));
}
