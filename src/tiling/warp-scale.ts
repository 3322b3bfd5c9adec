// gdalwarp's chunks and warp-kernel scales (GDAL 3.6), so that the resampling kernel stretches its
// bilinear/cubic filter where gdalwarp does, by as much as gdalwarp does (see ResampleParams.scaleX).
//
// gdalwarp does not warp an output raster in one piece: GDALWarpOperation::CollectChunkListInternal
// splits it in halves while the source window of a piece is less than half inside the source raster
// (or the piece needs more than the warp memory), dropping pieces without source pixels. Each chunk's
// kernel gets its own scale, GDALWarpKernel::PerformWarp: dfXScale = dstXSize / (srcXSize -
// srcXExtraSize), i.e. chunk width over the raw (unpadded, clamped) width of the source window that
// GDALWarpOperation::ComputeSourceWindow finds by transforming 21 points along each chunk edge.
// Away from the data edges a tile is a single chunk; at the edges the scales of its chunks differ.

import type { CogHeader, CogLevel } from '../cog/cog-header.js';
import type { ResampleParams, Resampling, ScaleRegion } from '../kernels/types.js';
import { transformBetween, WEB_MERCATOR, type Crs } from './crs.js';
import type { Bounds } from './web-mercator.js';

/** What ComputeSourceWindow and the kernels need to know about an output raster and the level it reads. */
export interface WarpGeometry {
  /** Output pixel coordinates (pixel edges: 0..width) to level pixel coordinates; NaN where it fails. */
  toSource(px: number, py: number): [number, number];
  /** Level pixel coordinates to output pixel coordinates (only used when edge points fail to transform). */
  fromSource?(sx: number, sy: number): [number, number];
  /** Output size. */
  width: number;
  height: number;
  /** Level size. */
  srcWidth: number;
  srcHeight: number;
  /** GWKGetFilterRadius: 0 nearest, 1 bilinear, 2 cubic. */
  radius: number;
  /** CollectChunkListInternal's cost of a source / output pixel in bits; without them the memory limit is ignored. */
  srcPixelBits?: number;
  dstPixelBits?: number;
  /** gdalwarp -wm in bytes (64 MiB by default). */
  memoryLimit?: number;
}

/** The raw source window of an output rectangle, as ComputeSourceWindow returns it. */
export interface SourceWindowGdal {
  /** Padded by the filter radius and clamped to the level (zero size when nothing overlaps). */
  x: number;
  y: number;
  width: number;
  height: number;
  /** width/height minus the unpadded (clamped) extent of the transformed edge points. */
  extraX: number;
  extraY: number;
  /** Clamped over unclamped window area; below 0.5 makes gdalwarp split the chunk. */
  fillRatio: number;
}

export interface WarpChunk extends ScaleRegion {
  source: SourceWindowGdal;
}

const STEPS = 21;

/**
 * GDALWarpOperation::ComputeSourceWindow for the output rectangle (dx, dy, dw, dh): undefined when
 * (almost) no point transforms. Not modelled: the retry with CHECK_WITH_INVERT_PROJ, the grid
 * sampling forced by poles inside the output, and the translation-only shortcut (radius 0).
 */
export function computeSourceWindow(g: WarpGeometry, dx: number, dy: number, dw: number, dh: number): SourceWindowGdal | undefined {
  const step = 1 / (STEPS - 1);
  let xs: number[] = [];
  let ys: number[] = [];
  let useGrid = false;
  let failed = 0;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (;;) {
    const points: Array<[number, number]> = [];
    if (useGrid) {
      // (the y ratios use the width, as GDAL does)
      const ratio = (i: number, size: number) => (i === 0 ? 0.5 / size : i <= STEPS ? (i - 1) * step : 1 - 0.5 / size);
      for (let iy = 0; iy < STEPS + 2; iy++) {
        for (let ix = 0; ix < STEPS + 2; ix++) points.push([ratio(ix, dw) * dw + dx, ratio(iy, dw) * dh + dy]);
      }
    } else {
      // the ratio accumulates like GDAL's loop variable
      for (let r = 0; r <= 1 + step * 0.5; r += step) {
        points.push([r * dw + dx, dy], [r * dw + dx, dy + dh], [dx, r * dh + dy], [dw + dx, r * dh + dy]);
      }
    }
    xs = [];
    ys = [];
    failed = 0;
    for (const [px, py] of points) {
      const [x, y] = g.toSource(px, py);
      if (!Number.isFinite(x) || !Number.isFinite(y)) failed++;
      else {
        xs.push(x);
        ys.push(y);
      }
    }
    if (!useGrid && failed > 0) {
      useGrid = true;
      continue;
    }
    if (failed > points.length - 5) return undefined;
    break;
  }
  for (let i = 0; i < xs.length; i++) {
    minX = Math.min(minX, xs[i]!); maxX = Math.max(maxX, xs[i]!);
    minY = Math.min(minY, ys[i]!); maxY = Math.max(maxY, ys[i]!);
  }
  const W = g.srcWidth, H = g.srcHeight;
  if (useGrid && g.fromSource) {
    // ComputeSourceWindowStartingFromSource: source points landing in the rectangle widen the window
    const ratio = (i: number, size: number) => (i === 0 ? 0.5 / size : i <= STEPS ? (i - 1) * step : 1 - 0.5 / size);
    for (let iy = 0; iy < STEPS + 2; iy++) {
      for (let ix = 0; ix < STEPS + 2; ix++) {
        const sx = ratio(ix, W) * W, sy = ratio(iy, H) * H;
        const [px, py] = g.fromSource(sx, sy);
        if (px >= dx && px <= dx + dw && py >= dy && py <= dy + dh) {
          minX = Math.min(minX, sx); maxX = Math.max(maxX, sx);
          minY = Math.min(minY, sy); maxY = Math.max(maxY, sy);
        }
      }
    }
  }
  if (minX > W || maxX < 0 || minY > H || maxY < 0) return { x: 0, y: 0, width: 0, height: 0, extraX: 0, extraY: 0, fillRatio: 0 };
  const roundIfClose = (v: number) => (Math.abs(Math.round(v) - v) < 1e-6 ? Math.round(v) : v);
  minX = roundIfClose(minX); minY = roundIfClose(minY); maxX = roundIfClose(maxX); maxY = roundIfClose(maxY);

  const R = g.radius;
  const scaleX = Math.max(1e-3, dw / (maxX - minX));
  const scaleY = Math.max(1e-3, dh / (maxY - minY));
  let rx = scaleX < 0.95 ? Math.ceil(R / scaleX) : R;
  let ry = scaleY < 0.95 ? Math.ceil(R / scaleY) : R;
  if (failed > 0) {
    rx += 10;
    ry += 10;
  }
  const minXc = Math.trunc(Math.max(0, minX)), minYc = Math.trunc(Math.max(0, minY));
  const maxXc = Math.trunc(Math.min(Math.ceil(maxX), W)), maxYc = Math.trunc(Math.min(Math.ceil(maxY), H));
  const rawX = Math.max(0, Math.min(W - minXc, maxX - minX));
  const rawY = Math.max(0, Math.min(H - minYc, maxY - minY));
  let x: number, y: number, width: number, height: number;
  // a window over 90% of the raster takes all of it (antimeridian discontinuities)
  if (maxXc - minXc > 0.9 * W) [x, width] = [0, W];
  else {
    x = Math.max(0, Math.min(minXc - rx, W));
    width = Math.max(0, Math.min(W - x, maxXc - x + rx));
  }
  if (maxYc - minYc > 0.9 * H) [y, height] = [0, H];
  else {
    y = Math.max(0, Math.min(minYc - ry, H));
    height = Math.max(0, Math.min(H - y, maxYc - y + ry));
  }
  const fillRatio = (width * height) / Math.max(1, (maxX - minX + 2 * rx) * (maxY - minY + 2 * ry));
  return { x, y, width, height, extraX: width - rawX, extraY: height - rawY, fillRatio };
}

/**
 * GDALWarpOperation::CollectChunkListInternal with gdalwarp's SKIP_NOSOURCE: the chunks gdalwarp
 * warps the output in, each with its kernel's scales.
 */
export function warpChunks(g: WarpGeometry): WarpChunk[] {
  const chunks: WarpChunk[] = [];
  const limit = g.memoryLimit ?? 64 * 1024 * 1024;
  const collect = (dx: number, dy: number, dw: number, dh: number): void => {
    const src = computeSourceWindow(g, dx, dy, dw, dh);
    if (!src) return; // "Unable to compute source region", skipped
    if (src.width === 0 || src.height === 0) return;
    const memory = g.srcPixelBits === undefined || g.dstPixelBits === undefined ? 0
      : (g.srcPixelBits * src.width * src.height + g.dstPixelBits * dw * dh) / 8;
    if ((memory > limit && (dw > 2 || dh > 2)) || (src.fillRatio > 0 && src.fillRatio < 0.5 && (dw > 100 || dh > 100))) {
      if (dw > dh) {
        const half = Math.floor(dw / 2);
        collect(dx, dy, half, dh);
        collect(dx + half, dy, dw - half, dh);
      } else {
        const half = Math.floor(dh / 2);
        collect(dx, dy, dw, half);
        collect(dx, dy + half, dw, dh - half);
      }
      return;
    }
    const [scaleX, scaleY] = kernelScales(g, dx, dy, dw, dh, src);
    chunks.push({ x: dx, y: dy, width: dw, height: dh, scaleX, scaleY, source: src });
  };
  collect(0, 0, g.width, g.height);
  return chunks;
}

/** GDALWarpKernel::PerformWarp's dfXScale, dfYScale for a chunk (non-finite ones as 1: same filter). */
export function kernelScales(g: WarpGeometry, dx: number, dy: number, dw: number, dh: number, src: SourceWindowGdal): [number, number] {
  const axis = (dst: number, size: number, extra: number): number => {
    let s = dst / (size - extra);
    if (size >= dst && size <= dst + extra) s = 1;
    if (s < 1) {
      const reciprocal = 1 / s;
      const n = Math.trunc(reciprocal + 0.5);
      if (Math.abs(reciprocal - n) < 0.05) s = 1 / n;
    }
    return s;
  };
  let scaleX = axis(dw, src.width, src.extraX);
  const scaleY = axis(dh, src.height, src.extraY);
  if (scaleY / scaleX > 100) {
    // a suspiciously small x scale (a wrapped antimeridian): the mean of local scales on a grid,
    // taken, as GDAL does, at output pixels (0..dw, 0..dh) whatever the chunk's offset
    const nx = Math.min(10, dw), ny = Math.min(10, dh);
    const local: number[] = [];
    for (let iy = 0; iy < ny; iy++) {
      for (let ix = 0; ix < nx; ix++) {
        const x = nx === 1 ? 0 : (ix * dw) / (nx - 1);
        const y = ny === 1 ? 0 : (iy * dh) / (ny - 1);
        const p0 = g.toSource(x, y);
        const p1 = g.toSource(ix === nx - 1 ? x - 1 : x + 1, y);
        const p2 = g.toSource(x, iy === ny - 1 ? y - 1 : y + 1);
        if ([...p0, ...p1, ...p2].every(Number.isFinite)) local.push(1 / Math.max(Math.abs(p1[0] - p0[0]), Math.abs(p2[0] - p0[0])));
      }
    }
    local.sort((a, b) => a - b);
    if (local.length > 0) {
      const max = local[local.length - 1]!;
      const kept = local.filter((s) => s > max / 10);
      scaleX = kept.reduce((a, b) => a + b, 0) / kept.length;
    }
  }
  return [Number.isFinite(scaleX) ? scaleX : 1, Number.isFinite(scaleY) ? scaleY : 1];
}

const FILTER_RADIUS: Record<Resampling, number> = { nearest: 0, bilinear: 1, cubic: 2 };
const DTYPE_BITS = { uint8: 8, int8: 8, uint16: 16, int16: 16, uint32: 32, int32: 32, float32: 32, float64: 64 };

/** The WarpGeometry of an output raster over `bounds` (in `outCrs`) read from `level`, as gdalwarp -dstalpha sees it. */
export function warpGeometry(header: CogHeader, level: CogLevel, bounds: Bounds, width: number, height: number, resampling: Resampling, outCrs: Crs = WEB_MERCATOR): WarpGeometry {
  const { forward, inverse } = transformBetween(header.crs, outCrs);
  const resX = (bounds[2] - bounds[0]) / width;
  const resY = (bounds[3] - bounds[1]) / height;
  const [ox, oy] = header.origin;
  const [rx, ry] = level.resolution;
  const b = header.bounds;
  // like tile-plan's wrapLongitude: a longitude moves by 360 into the dataset when that is where the data is
  const wrap = (lon: number) => (lon < b[0] && lon + 360 <= b[2] ? lon + 360 : lon > b[2] && lon - 360 >= b[0] ? lon - 360 : lon);
  // gdalwarp warps every band but the alpha one, adds an alpha band, masks with the source's mask/nodata
  const bands = header.samples - (header.alphaSample === undefined ? 0 : 1);
  const bits = DTYPE_BITS[header.dtype];
  const srcPixelBits = bits * bands + (header.alphaSample !== undefined ? 32 : level.mask ? 1 : 0) + (header.nodata !== undefined ? bands : 0);
  return {
    toSource(px, py) {
      const [x, y] = inverse(bounds[0] + px * resX, bounds[3] - py * resY);
      const sx = ((header.crs.geographic ? wrap(x) : x) - ox) / rx;
      const sy = (oy - y) / ry;
      return Number.isFinite(sx) && Number.isFinite(sy) ? [sx, sy] : [NaN, NaN];
    },
    fromSource(sx, sy) {
      const [mx, my] = forward(ox + sx * rx, oy - sy * ry);
      return [(mx - bounds[0]) / resX, (bounds[3] - my) / resY];
    },
    width, height, srcWidth: level.width, srcHeight: level.height, radius: FILTER_RADIUS[resampling],
    srcPixelBits, dstPixelBits: bits * bands + 32,
  };
}

export type WarpScale = Pick<ResampleParams, 'scaleX' | 'scaleY' | 'scaleRegions'>;

/**
 * The padding (level pixels) a source window needs for gdalwarp's stretched filter, and the scales
 * to resample with (ResampleParams.scaleX, scaleY, scaleRegions) in pixels of a window that reads
 * every `decimation`-th level pixel. Undefined for nearest, and where gdalwarp keeps the fixed
 * kernels everywhere.
 */
export function warpScales(g: WarpGeometry): { padding: number; scales(decimation: number): WarpScale } | undefined {
  if (g.radius === 0) return undefined;
  const reduced = warpChunks(g).filter((c) => c.scaleX < 0.95 || c.scaleY < 0.95);
  if (reduced.length === 0) return undefined;
  const radius = (s: number) => (s < 1 ? Math.ceil(g.radius / s) : g.radius);
  // the stretched filter reaches r pixels from floor(x - 0.5), bilinear with validity one more (weight 0)
  const padding = Math.max(...reduced.map((c) => Math.max(radius(c.scaleX), radius(c.scaleY)))) + 1;
  const whole = reduced.length === 1 && reduced[0]!.x === 0 && reduced[0]!.y === 0 && reduced[0]!.width === g.width && reduced[0]!.height === g.height;
  const scales = (decimation: number): WarpScale => {
    const inWindow = (c: WarpChunk): ScaleRegion => ({
      x: c.x, y: c.y, width: c.width, height: c.height, scaleX: c.scaleX * decimation, scaleY: c.scaleY * decimation,
    });
    if (whole) {
      const { scaleX, scaleY } = inWindow(reduced[0]!);
      return { scaleX, scaleY };
    }
    // elsewhere the fixed kernels (scale 1); more chunks than the kernel takes would need a memory-split
    // window far past what we read without decimation: keep the first 255
    return { scaleRegions: reduced.slice(0, 255).map(inWindow) };
  };
  return { padding, scales };
}
