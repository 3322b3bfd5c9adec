import type { Resampling } from '../kernels/types.js';
import { COLORMAP_NAMES } from '../tiling/colormaps.js';
import { parseCrsName, type Crs } from '../tiling/crs.js';
import { OUTPUT_FORMATS, type OutputFormat, type OutputOptions } from '../tiling/render-output.js';
import { pickContentEncoding } from '../encoders/content-encoding.js';
import { PIXEL_SELECTION_METHODS, type PixelSelection } from '../kernels/blend.js';
import { badRequest, notFound } from './errors.js';
import { MAX_BANDS } from './request-limits.js';
import { isValidTile, TILE_MATRIX_SET_ID, type TileIndex } from '../tiling/web-mercator.js';

/**
 * Parsing of TiTiler's query parameters. Every function takes the raw querystring value (a string,
 * an array for repeated keys, or undefined) and throws a 400 naming the parameter when it is wrong.
 * Unknown parameters are ignored, as TiTiler does.
 */
type Raw = string | string[] | undefined;

const all = (v: Raw): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const last = (v: Raw): string | undefined => (Array.isArray(v) ? v[v.length - 1] : v);

/** `bidx=1&bidx=2` or `bidx=1,2`: 1-based band indexes, checked against the band count. */
export function parseBidx(v: Raw, bandCount: number): number[] | undefined {
  const parts = all(v).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) return undefined;
  if (parts.length > MAX_BANDS) throw badRequest(`invalid bidx: ${parts.length} bands asked, at most ${MAX_BANDS}`);
  return parts.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > bandCount) {
      throw badRequest(`invalid bidx ${JSON.stringify(p)}: band indexes are 1-based and this dataset has ${bandCount} band(s)`);
    }
    return n;
  });
}

/** A number or `nan`. */
export function parseNodata(v: Raw): number | undefined {
  const s = last(v);
  if (s === undefined || s === '') return undefined;
  if (/^nan$/i.test(s.trim())) return NaN;
  const n = Number(s);
  if (!Number.isFinite(n)) throw badRequest(`invalid nodata ${JSON.stringify(s)}: expected a number or nan`);
  return n;
}

const RESAMPLINGS: Record<string, Resampling> = { nearest: 'nearest', bilinear: 'bilinear', cubic: 'cubic' };

export function parseResampling(v: Raw): Resampling {
  const s = last(v);
  if (s === undefined || s === '') return 'nearest';
  const r = RESAMPLINGS[s.toLowerCase()];
  if (!r) throw badRequest(`invalid resampling ${JSON.stringify(s)}: use one of ${Object.keys(RESAMPLINGS).join(', ')}`);
  return r;
}

/** `rescale=0,255&rescale=0,1000`: one min,max per band. */
export function parseRescale(v: Raw): Array<[number, number]> | undefined {
  const values = all(v).filter((s) => s !== '');
  if (values.length === 0) return undefined;
  return values.map((s) => {
    const nums = s.split(',').map((x) => Number(x.trim()));
    if (nums.length !== 2 || !nums.every(Number.isFinite) || nums[0] === nums[1]) {
      throw badRequest(`invalid rescale ${JSON.stringify(s)}: expected "min,max" with min != max`);
    }
    return [nums[0], nums[1]] as [number, number];
  });
}

export function parseColormapName(v: Raw): string | undefined {
  const s = last(v);
  if (s === undefined || s === '') return undefined;
  const name = s.toLowerCase();
  if (!COLORMAP_NAMES.includes(name)) throw badRequest(`invalid colormap_name ${JSON.stringify(s)}: use one of ${COLORMAP_NAMES.join(', ')}`);
  return name;
}

export function parseBoolean(v: Raw, name: string, fallback: boolean): boolean {
  const s = last(v);
  if (s === undefined || s === '') return fallback;
  if (/^(true|1|yes|on)$/i.test(s)) return true;
  if (/^(false|0|no|off)$/i.test(s)) return false;
  throw badRequest(`invalid ${name} ${JSON.stringify(s)}: expected true or false`);
}

export function parseFormat(s: string | undefined): OutputFormat | undefined {
  if (s === undefined) return undefined;
  const f = s.toLowerCase();
  if (!(OUTPUT_FORMATS as readonly string[]).includes(f)) {
    throw badRequest(`invalid format ${JSON.stringify(s)}: use one of ${OUTPUT_FORMATS.join(', ')}`);
  }
  return f as OutputFormat;
}

export function requireUrl(v: Raw): string {
  const s = last(v);
  if (!s) throw badRequest('missing required parameter url');
  return s;
}

/** `{y}`, `{y}@2x`, `{y}.png`, `{y}@2x.png`: the last path segment of a tile route. */
export function parseTileTail(tail: string): { y: number; scale: number; format?: string } {
  const m = /^(\d+)(?:@([1-9]\d*)x)?(?:\.([A-Za-z0-9]+))?$/.exec(tail);
  if (!m) throw badRequest(`invalid tile ${JSON.stringify(tail)}: expected {y}[@{scale}x][.{format}]`);
  const scale = m[2] === undefined ? 1 : Number(m[2]);
  if (scale < 1 || scale > 4) throw badRequest(`invalid scale ${scale}: use 1 to 4`);
  return { y: Number(m[1]), scale, format: m[3] };
}

/** `coord_crs` / `dst_crs`: an EPSG code as `EPSG:n` or an OGC CRS URI. */
export function parseCrs(v: Raw, name: string): Crs | undefined {
  const s = last(v);
  if (s === undefined || s === '') return undefined;
  const crs = parseCrsName(s);
  if (!crs) throw badRequest(`invalid ${name} ${JSON.stringify(s)}: expected EPSG:<code> with a known code`);
  return crs;
}

/** The rendering parameters every tile route shares (format from the path, the rest from the query). */
export function parseOutputOptions(q: Record<string, Raw>, format: string | undefined, acceptEncoding: string | undefined): OutputOptions {
  const output: OutputOptions = {
    format: parseFormat(format),
    returnMask: parseBoolean(q.return_mask, 'return_mask', true),
    rescale: parseRescale(q.rescale),
    colormap: parseColormapName(q.colormap_name),
  };
  if (output.format === 'npy') output.contentEncoding = pickContentEncoding(acceptEncoding);
  return output;
}

/** `assets=B04,B03` or `assets=B04&assets=B03`; required (TiTiler: MissingAssets). */
export function parseAssets(v: Raw): string[] {
  const names = all(v).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw badRequest('missing required parameter assets (e.g. assets=B04,B03,B02)');
  const unique = [...new Set(names)];
  if (unique.length > MAX_BANDS) throw badRequest(`invalid assets: ${unique.length} asked, at most ${MAX_BANDS}`);
  return unique;
}

/** rio-tiler's mosaic methods; `lastbandhight` is TiTiler's old spelling of `lastbandhigh`. */
export function parsePixelSelection(v: Raw): PixelSelection {
  const s = last(v);
  if (s === undefined || s === '') return 'first';
  const name = s.toLowerCase() === 'lastbandhight' ? 'lastbandhigh' : s.toLowerCase();
  if (!(PIXEL_SELECTION_METHODS as readonly string[]).includes(name)) {
    throw badRequest(`invalid pixel_selection ${JSON.stringify(s)}: use one of ${PIXEL_SELECTION_METHODS.join(', ')}`);
  }
  return name as PixelSelection;
}

/**
 * The path parameters of every tile route: `{tileMatrixSetId}` (WebMercatorQuad only; another id is
 * 404 naming it), `{z}`, `{x}` and the `{y}[@{scale}x][.{format}]` tail (400 when invalid).
 */
export function parseTileParams(p: { tms?: string; z: string; x: string; tail: string }): { tile: TileIndex; scale: number; format?: string } {
  if (p.tms !== undefined && p.tms !== TILE_MATRIX_SET_ID) {
    throw notFound(`unknown tile matrix set ${JSON.stringify(p.tms)}: supported: ${TILE_MATRIX_SET_ID}`);
  }
  const { y, scale, format } = parseTileTail(p.tail);
  const tile = { z: Number(p.z), x: Number(p.x), y };
  if (!/^\d+$/.test(p.z) || !/^\d+$/.test(p.x) || !isValidTile(tile)) throw badRequest(`invalid tile ${p.z}/${p.x}/${y}`);
  return { tile, scale, format };
}
