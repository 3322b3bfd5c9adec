import type { CogHeader, CogLevel } from '../cog/cog-header.js';
import type { Resampling } from '../kernels/types.js';
import { sameCrs, transformBetween, WEB_MERCATOR, type Crs } from './crs.js';
import { ORIGIN_SHIFT, tileBoundsMercator, type Bounds, type TileIndex } from './web-mercator.js';
import { chooseLevel } from './overview.js';
import { approximateRow } from './approximate-row.js';
import { warpGeometry, warpScales, type WarpScale } from './warp-scale.js';

/**
 * How to make one output raster (a tile or a bbox) from a COG: which level to read, which window of
 * it, which blocks, and where each output pixel falls in that window (a coarse grid of source
 * coordinates that the resampling kernel interpolates). Pure geometry: no I/O, no pixels.
 */
export interface SourceWindow {
  /** Level pixel coordinates of the window's top-left corner. */
  col: number;
  row: number;
  /** Size of the window in level pixels. */
  width: number;
  height: number;
  /** Read every `decimation`-th pixel (a virtual overview for COGs without overviews); 1 normally. */
  decimation: number;
}

export interface RasterPlan {
  level: number;
  window: SourceWindow;
  /** Source coordinates relative to the (decimated) window, see the resample kernel. */
  grid: Float64Array;
  gridStep: number;
  width: number;
  height: number;
  /** Blocks of the level the window touches, as [blockX, blockY]. */
  blocks: Array<[number, number]>;
  /**
   * Set when the output grid coincides with the level's pixel grid (a COG already on the
   * WebMercatorQuad grid): output pixel (col + i, row + j) is window pixel (i, j), copied without
   * resampling (every method gives the source value at pixel centres).
   */
  copy?: { col: number; row: number };
  /** gdalwarp's kernel scales where it reduces (stretched bilinear/cubic), for the resample kernel. */
  warpScale?: WarpScale;
}

/** Output pixels between two grid nodes: 16 keeps the interpolation error far below GDAL's 0.125 px. */
const GRID_STEP = 16;
/** Windows larger than this many pixels are decimated so memory stays bounded. */
const MAX_WINDOW_PIXELS = 4096 * 4096;
const PADDING: Record<Resampling, number> = { nearest: 0, bilinear: 1, cubic: 2 };

/** True when the mercator rectangle overlaps the dataset (checked with a densified outline). */
export function intersectsDataset(header: CogHeader, bounds: Bounds): boolean {
  const [minx, miny, maxx, maxy] = datasetMercatorBounds(header);
  const overlaps = (shift: number) => bounds[0] + shift < maxx && bounds[2] + shift > minx && bounds[1] < maxy && bounds[3] > miny;
  // a dataset crossing the antimeridian extends past ±ORIGIN_SHIFT: compare with the wrapped tile too
  return overlaps(0) || overlaps(2 * ORIGIN_SHIFT) || overlaps(-2 * ORIGIN_SHIFT);
}

const mercatorBoundsCache = new WeakMap<CogHeader, Bounds>();

/** The dataset's outline in Web Mercator, from 32 points an edge. */
export function datasetMercatorBounds(header: CogHeader): Bounds {
  let b = mercatorBoundsCache.get(header);
  if (!b) {
    const { forward } = transformBetween(header.crs, WEB_MERCATOR);
    const [x0, y0, x1, y1] = header.bounds;
    b = [Infinity, Infinity, -Infinity, -Infinity];
    for (let i = 0; i <= 32; i++) {
      const t = i / 32;
      for (const [x, y] of [[x0 + t * (x1 - x0), y0], [x0 + t * (x1 - x0), y1], [x0, y0 + t * (y1 - y0)], [x1, y0 + t * (y1 - y0)]]) {
        const [mx, my] = header.crs.geographic ? geographicToMercator(x, y) : forward(x, y);
        if (!Number.isFinite(mx) || !Number.isFinite(my)) continue;
        b = [Math.min(b[0], mx), Math.min(b[1], my), Math.max(b[2], mx), Math.max(b[3], my)];
      }
    }
    mercatorBoundsCache.set(header, b);
  }
  return b;
}

/** Like proj4's 4326 -> 3857 but without wrapping longitudes, so 170..190 stays continuous. */
function geographicToMercator(lon: number, lat: number): [number, number] {
  const clamped = Math.max(-85.0511287798066, Math.min(85.0511287798066, lat));
  return [(lon * ORIGIN_SHIFT) / 180, Math.log(Math.tan(((90 + clamped) * Math.PI) / 360)) * 6378137];
}

/** Plans the tile z/x/y at `size` pixels. Undefined when no source pixel falls in it. */
export function planTile(header: CogHeader, tile: TileIndex, size: number, resampling: Resampling): RasterPlan | undefined {
  return planRaster(header, tileBoundsMercator(tile), size, size, resampling);
}

/** Plans an output raster covering `bounds` (in `outCrs`, Web Mercator by default) with width x height pixels. */
export function planRaster(header: CogHeader, bounds: Bounds, width: number, height: number, resampling: Resampling, outCrs: Crs = WEB_MERCATOR): RasterPlan | undefined {
  const step = gridStepFor(width, height);
  const gw = width / step + 1;
  const gh = height / step + 1;
  const { level: levelIndex, downsampling } = chooseLevel(header, bounds, width, height, outCrs);
  const level = header.levels[levelIndex];
  const aligned = alignedPlan(header, levelIndex, bounds, width, height, outCrs);
  if (aligned !== null) return aligned;
  // Our tiles match gdalwarp's with GDAL's approximate rows when a level at most 2x finer than the
  // output is read (every tile of a COG with overviews), and with exact coordinates when a much finer
  // level is reduced (no overviews). Measured against GDAL 3.6: test/cog/gdal-parity.test.ts.
  const maxError: [number, number] = downsampling < 2 ? [0.125 * level.resolution[0], 0.125 * level.resolution[1]] : [0, 0];
  const sourceCoords = projectGrid(header.crs, outCrs, header.bounds, bounds, width, height, step, gw, gh, maxError);
  const grid = toLevelPixels(header, level, sourceCoords);
  const warp = warpScales(warpGeometry(header, level, bounds, width, height, resampling, outCrs));
  const window = windowOf(grid, level, Math.max(PADDING[resampling], warp?.padding ?? 0));
  if (!window) return undefined;
  // express the grid relative to the (decimated) window
  for (let i = 0; i < grid.length; i += 2) {
    grid[i] = (grid[i] - window.col) / window.decimation;
    grid[i + 1] = (grid[i + 1] - window.row) / window.decimation;
  }
  return { level: levelIndex, window, grid, gridStep: step, width, height, blocks: blocksOf(level, window), warpScale: warp?.scales(window.decimation) };
}

/**
 * The block-copy plan when the output pixels are the level's pixels (same CRS, same pixel size,
 * origin on a pixel corner); null when they are not, undefined when they do not overlap.
 */
function alignedPlan(header: CogHeader, levelIndex: number, b: Bounds, width: number, height: number, outCrs: Crs): RasterPlan | undefined | null {
  if (!sameCrs(header.crs, outCrs)) return null;
  const level = header.levels[levelIndex];
  const res = (b[2] - b[0]) / width;
  const close = (a: number, c: number) => Math.abs(a - c) <= 1e-9 * Math.max(1, Math.abs(c));
  if (!close(level.resolution[0], res) || !close(level.resolution[1], (b[3] - b[1]) / height)) return null;
  const fc = (b[0] - header.origin[0]) / res;
  const fr = (header.origin[1] - b[3]) / res;
  const c0 = Math.round(fc), r0 = Math.round(fr);
  if (Math.abs(fc - c0) > 1e-6 || Math.abs(fr - r0) > 1e-6) return null;
  const col = Math.max(0, c0), row = Math.max(0, r0);
  const colEnd = Math.min(level.width, c0 + width), rowEnd = Math.min(level.height, r0 + height);
  if (colEnd <= col || rowEnd <= row) return undefined;
  const window = { col, row, width: colEnd - col, height: rowEnd - row, decimation: 1 };
  return {
    level: levelIndex, window, grid: new Float64Array(0), gridStep: 0, width, height,
    blocks: blocksOf(level, window), copy: { col: col - c0, row: row - r0 },
  };
}

function gridStepFor(width: number, height: number): number {
  let step = GRID_STEP;
  while (step > 1 && (width % step !== 0 || height % step !== 0)) step >>= 1;
  return step;
}

/**
 * Source-CRS coordinates of the output pixel centres at the grid nodes (NaN where the transform
 * fails). Each node row is computed the way GDAL's approximate transformer computes an output row
 * (linear between exact points, split in halves until the midpoint is within 0.125 source pixels),
 * so that nearest-neighbour picks the same source pixels as gdalwarp; between node rows the kernel
 * interpolates, which is exact where GDAL's rows are linear.
 */
function projectGrid(crs: Crs, outCrs: Crs, srcBounds: Bounds, bounds: Bounds, width: number, height: number, step: number, gw: number, gh: number, maxError: [number, number]): Float64Array {
  const { inverse } = transformBetween(crs, outCrs);
  const resX = (bounds[2] - bounds[0]) / width;
  const resY = (bounds[3] - bounds[1]) / height;
  const out = new Float64Array(gw * gh * 2);
  const xs = new Float64Array(width);
  for (let i = 0; i < width; i++) xs[i] = bounds[0] + (i + 0.5) * resX;
  const rowX = new Float64Array(width);
  const rowY = new Float64Array(width);
  const transform = (mx: number, my: number): [number, number] => {
    const [x, y] = inverse(mx, my);
    return [crs.geographic ? wrapLongitude(x, srcBounds) : x, y];
  };
  const exact = maxError[0] <= 0 || maxError[1] <= 0;
  for (let j = 0; j < gh; j++) {
    const my = bounds[3] - (j * step + 0.5) * resY;
    if (exact) {
      // only the nodes are needed
      for (let i = 0; i < gw; i++) {
        const [x, y] = transform(bounds[0] + (i * step + 0.5) * resX, my);
        out[(j * gw + i) * 2] = Number.isFinite(x) ? x : NaN;
        out[(j * gw + i) * 2 + 1] = Number.isFinite(y) ? y : NaN;
      }
      continue;
    }
    approximateRow(transform, xs, my, maxError, rowX, rowY);
    for (let i = 0; i < gw; i++) {
      const px = i * step;
      // the node one step past the last pixel continues the row's last linear piece
      const [x, y] = px < width ? [rowX[px], rowY[px]]
        : width >= 2 ? [2 * rowX[width - 1] - rowX[width - 2], 2 * rowY[width - 1] - rowY[width - 2]]
        : transform(bounds[0] + (px + 0.5) * resX, my);
      out[(j * gw + i) * 2] = Number.isFinite(x) ? x : NaN;
      out[(j * gw + i) * 2 + 1] = Number.isFinite(y) ? y : NaN;
    }
  }
  return out;
}

/** Moves a longitude by ±360 into the dataset's range when that is where the data is (antimeridian). */
function wrapLongitude(lon: number, b: Bounds): number {
  if (lon < b[0] && lon + 360 <= b[2]) return lon + 360;
  if (lon > b[2] && lon - 360 >= b[0]) return lon - 360;
  return lon;
}

function toLevelPixels(header: CogHeader, level: CogLevel, coords: Float64Array): Float64Array {
  const out = new Float64Array(coords.length);
  const [ox, oy] = header.origin;
  const [rx, ry] = level.resolution;
  for (let i = 0; i < coords.length; i += 2) {
    out[i] = (coords[i] - ox) / rx;
    out[i + 1] = (oy - coords[i + 1]) / ry;
  }
  return out;
}

function windowOf(grid: Float64Array, level: CogLevel, pad: number): SourceWindow | undefined {
  let minC = Infinity, minR = Infinity, maxC = -Infinity, maxR = -Infinity;
  for (let i = 0; i < grid.length; i += 2) {
    const c = grid[i], r = grid[i + 1];
    if (Number.isNaN(c) || Number.isNaN(r)) continue;
    minC = Math.min(minC, c); maxC = Math.max(maxC, c);
    minR = Math.min(minR, r); maxR = Math.max(maxR, r);
  }
  const col = Math.max(0, Math.floor(minC) - pad);
  const row = Math.max(0, Math.floor(minR) - pad);
  const colEnd = Math.min(level.width, Math.floor(maxC) + 1 + pad);
  const rowEnd = Math.min(level.height, Math.floor(maxR) + 1 + pad);
  if (!(colEnd > col && rowEnd > row)) return undefined;
  const width = colEnd - col;
  const height = rowEnd - row;
  const decimation = Math.max(1, Math.ceil(Math.sqrt((width * height) / MAX_WINDOW_PIXELS)));
  return { col, row, width, height, decimation };
}

function blocksOf(level: CogLevel, w: SourceWindow): Array<[number, number]> {
  const blocks: Array<[number, number]> = [];
  const bx0 = Math.floor(w.col / level.blockWidth);
  const bx1 = Math.floor((w.col + w.width - 1) / level.blockWidth);
  const by0 = Math.floor(w.row / level.blockHeight);
  const by1 = Math.floor((w.row + w.height - 1) / level.blockHeight);
  for (let by = by0; by <= by1; by++) for (let bx = bx0; bx <= bx1; bx++) blocks.push([bx, by]);
  return blocks;
}
