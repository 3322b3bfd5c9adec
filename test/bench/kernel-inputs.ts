// Real resampling inputs: fixture windows decoded with geotiff.js, and the coordinate grids of real
// Web-Mercator tiles from the server's own planner (planTile: proj4 through src/tiling/crs.ts).
import { join } from 'node:path';
import { fromFile } from 'geotiff';
import { readCogHeader } from '../../src/cog/cog-header.js';
import { loadConfig } from '../../src/config.js';
import { typedArrayFor, type ResampleParams, type Resampling, type TypedArray } from '../../src/kernels/types.js';
import { openSource } from '../../src/sources/open-source.js';
import { planTile } from '../../src/tiling/tile-plan.js';
import { FIXTURES, SCENARIOS, type Tile } from './scenarios.js';

export interface KernelDataset {
  label: string;
  file: string;
  tiles: Tile[];
}

export const DATASETS: KernelDataset[] = [
  {
    label: 'uint16 x3 (riotiler-rgb_uint16_utm)',
    file: 'riotiler-rgb_uint16_utm.tif',
    tiles: [[12, 1136, 1647], [13, 2272, 3294], [13, 2273, 3294], [13, 2272, 3295], [13, 2273, 3295]],
  },
  { label: 'float32 x1 (titiler-dem EPSG:2056)', file: 'titiler-dem_float32_epsg2056.tif', tiles: SCENARIOS.find((s) => s.id === 'dem-npy')!.tiles },
];

/** One ResampleParams per tile of the dataset, 256x256 output, the window the server would read. */
export async function resampleInputs(ds: KernelDataset, method: Resampling): Promise<ResampleParams[]> {
  const path = join(FIXTURES, ds.file);
  const header = await readCogHeader(await openSource(path, loadConfig({ sourceAllowlist: [FIXTURES + '/'] })));
  const tiff = await fromFile(path);
  const bands = Array.from({ length: header.samples }, (_, i) => i).filter((i) => i !== header.alphaSample);
  const out: ResampleParams[] = [];
  for (const [z, x, y] of ds.tiles) {
    const plan = planTile(header, { z, x, y }, 256, method);
    if (!plan || plan.window.decimation !== 1) throw new Error(`${ds.file} ${z}/${x}/${y}: no plan or decimated window`);
    const w = plan.window;
    const image = await tiff.getImage(header.levels[plan.level]!.ifd);
    const rasters = (await image.readRasters({ window: [w.col, w.row, w.col + w.width, w.row + w.height], samples: bands, interleave: false })) as unknown as TypedArray[];
    const source = new (typedArrayFor(header.dtype))(w.width * w.height * bands.length);
    rasters.forEach((r, b) => source.set(r as never, b * w.width * w.height));
    out.push({
      method, dtype: header.dtype, source, srcWidth: w.width, srcHeight: w.height, bands: bands.length,
      nodata: header.nodata, grid: plan.grid, gridStep: plan.gridStep, dstWidth: plan.width, dstHeight: plan.height,
    });
  }
  return out;
}
