import type { FastifyRequest } from 'fastify';
import type { CogHeader } from '../../cog/cog-header.js';
import { datasetMercatorBounds } from '../../tiling/tile-plan.js';
import { mercatorToLonLat, zoomForResolution } from '../../tiling/web-mercator.js';

/**
 * The JSON documents of /cog/info and /cog/tilejson.json, shaped as TiTiler 0.22 (rio-tiler 7) answers.
 */
export function cogInfo(header: CogHeader) {
  const bands = Array.from({ length: header.samples }, (_, i) => i);
  return {
    bounds: header.bounds,
    crs: header.crs.code !== undefined ? `http://www.opengis.net/def/crs/EPSG/0/${header.crs.code}` : header.crs.proj4,
    band_metadata: bands.map((b) => [`b${b + 1}`, {}]),
    band_descriptions: bands.map((b) => [`b${b + 1}`, header.bandDescriptions[b] === `b${b + 1}` ? '' : header.bandDescriptions[b]]),
    dtype: header.dtype,
    nodata_type: header.nodata !== undefined ? 'Nodata' : header.alphaSample !== undefined ? 'Alpha' : header.levels[0].mask ? 'Mask' : 'None',
    nodata_value: header.nodata === undefined ? null : Number.isNaN(header.nodata) ? 'nan' : header.nodata,
    colorinterp: header.colorInterpretation,
    driver: 'GTiff',
    count: header.samples,
    width: header.width,
    height: header.height,
    overviews: header.levels.slice(1).map((l) => Math.round(header.width / l.width)),
    ...zoomRange(header),
  };
}

/** minzoom from the coarsest overview, maxzoom from the native resolution (rio-tiler's rule). */
export function zoomRange(header: CogHeader): { minzoom: number; maxzoom: number } {
  const [minx, , maxx] = datasetMercatorBounds(header);
  const nativeRes = (maxx - minx) / header.width;
  const coarsest = header.levels[header.levels.length - 1];
  const coarseRes = (maxx - minx) / coarsest.width;
  const maxzoom = zoomForResolution(nativeRes);
  const minzoom = Math.min(maxzoom, Math.max(0, zoomForResolution(coarseRes) - 1));
  return { minzoom, maxzoom };
}

export function geographicBounds(header: CogHeader): [number, number, number, number] {
  const [minx, miny, maxx, maxy] = datasetMercatorBounds(header);
  const [w, s] = mercatorToLonLat(minx, miny);
  const [e, n] = mercatorToLonLat(maxx, maxy);
  return [w, s, e, n];
}

export function cogTileJson(header: CogHeader, req: FastifyRequest, query: Record<string, string | string[] | undefined>) {
  const { minzoom, maxzoom } = zoomRange(header);
  const min = numberOr(query.minzoom, minzoom);
  const max = numberOr(query.maxzoom, maxzoom);
  const format = typeof query.tile_format === 'string' ? `.${query.tile_format}` : '';
  const scale = typeof query.tile_scale === 'string' && query.tile_scale !== '1' ? `@${query.tile_scale}x` : '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (['tile_format', 'tile_scale', 'minzoom', 'maxzoom'].includes(k) || v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
  }
  const base = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  const bounds = geographicBounds(header);
  return {
    tilejson: '2.2.0',
    version: '1.0.0',
    scheme: 'xyz',
    tiles: [`${base}/cog/tiles/WebMercatorQuad/{z}/{x}/{y}${scale}${format}?${params.toString()}`],
    minzoom: min,
    maxzoom: max,
    bounds,
    center: [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, min],
  };
}

function numberOr(v: string | string[] | undefined, fallback: number): number {
  const n = typeof v === 'string' ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 && n <= 30 ? n : fallback;
}
