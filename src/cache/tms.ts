/**
 * TMS global-mercator geometry (OSGeo TMS, EPSG:3857): tile (0,0) is bottom-left, XYZ row = 2^z - 1 - TMS row.
 */
import type { CacheLayer, TileExt } from './config.js';

export const ORIGIN = 20037508.342789244;
export const TILE_SIZE = 256;

/** A tile in TMS numbering (y counted from the south). */
export interface TmsTile {
  z: number;
  x: number;
  y: number;
  ext: TileExt;
  /** The extension as written in the key when it differs from `ext` (`jpeg`, `JPG`): tiles are stored under it. */
  keyExt?: string;
}

export const xyzToTmsY = (z: number, y: number) => 2 ** z - 1 - y;

/** Metres per pixel at zoom z. */
export const resolution = (z: number) => (2 * ORIGIN) / TILE_SIZE / 2 ** z;

/** EPSG:3857 bounds [minx, miny, maxx, maxy] of a block of tiles starting at TMS (x, y), w x h tiles. */
export function tmsBounds(z: number, x: number, y: number, w = 1, h = 1): [number, number, number, number] {
  const span = TILE_SIZE * resolution(z);
  return [x * span - ORIGIN, y * span - ORIGIN, (x + w) * span - ORIGIN, (y + h) * span - ORIGIN];
}

/** The S3 key of a tile of a layer. */
export const tileKey = (layer: CacheLayer, t: TmsTile) => `${layer.prefix}${t.z}/${t.x}/${t.y}.${t.keyExt ?? t.ext}`;

export const extOf = (s: string): TileExt | undefined => (s === 'png' ? 'png' : s === 'jpg' || s === 'jpeg' ? 'jpg' : undefined);

export const MEDIA_TYPES: Record<TileExt, string> = { png: 'image/png', jpg: 'image/jpeg' };

/**
 * Parses an S3 key `<prefix>/<z>/<x>/<y>.<ext>` (prefix of any depth, possibly empty) into prefix and tile.
 * Returns undefined when the key does not end in a tile.
 */
export function parseTileKey(key: string): { prefix: string; tile: TmsTile } | undefined {
  const m = /^((?:[^/]+\/)*)(\d{1,2})\/(\d{1,8})\/(\d{1,8})\.([A-Za-z]+)$/.exec(key.replace(/^\/+/, ''));
  if (!m) return undefined;
  const ext = extOf(m[5].toLowerCase());
  if (!ext) return undefined;
  const tile: TmsTile = { z: Number(m[2]), x: Number(m[3]), y: Number(m[4]), ext };
  if (m[5] !== ext) tile.keyExt = m[5];
  return { prefix: m[1], tile };
}

/** Whether the tile exists at its zoom (x, y in range). */
export const validTile = (t: { z: number; x: number; y: number }) =>
  Number.isInteger(t.z) && t.z >= 0 && t.z <= 30 && t.x >= 0 && t.y >= 0 && t.x < 2 ** t.z && t.y < 2 ** t.z;

const mercX = (lon: number) => (lon * ORIGIN) / 180;
const mercY = (lat: number) => {
  const c = Math.max(-85.0511287798066, Math.min(85.0511287798066, lat));
  return (Math.log(Math.tan(((90 + c) * Math.PI) / 360)) * ORIGIN) / Math.PI;
};

/** EPSG:3857 bounds of lon/lat bounds. */
export const lonLatToMercator = (b: [number, number, number, number]): [number, number, number, number] => [mercX(b[0]), mercY(b[1]), mercX(b[2]), mercY(b[3])];

/** Whether the tile is in the layer's zoom range and touches its bounds (more than an edge). */
export function tileInLayer(layer: CacheLayer, t: { z: number; x: number; y: number }): boolean {
  if (!validTile(t) || t.z < layer.minZoom || t.z > layer.maxZoom) return false;
  const [minx, miny, maxx, maxy] = lonLatToMercator(layer.bounds);
  const b = tmsBounds(t.z, t.x, t.y);
  return b[0] < maxx && b[2] > minx && b[1] < maxy && b[3] > miny;
}

/** TMS tile range [x0, y0, x1, y1] (inclusive) covering lon/lat bounds at zoom z. */
export function tileRange(b: [number, number, number, number], z: number): [number, number, number, number] {
  const [minx, miny, maxx, maxy] = lonLatToMercator(b);
  const span = TILE_SIZE * resolution(z);
  const n = 2 ** z;
  const clamp = (v: number) => Math.max(0, Math.min(n - 1, v));
  const eps = 1e-9 * span;
  return [
    clamp(Math.floor((minx + ORIGIN) / span)), clamp(Math.floor((miny + ORIGIN) / span)),
    clamp(Math.ceil((maxx + ORIGIN - eps) / span) - 1), clamp(Math.ceil((maxy + ORIGIN - eps) / span) - 1),
  ];
}

/** The meta-tile holding a tile: its first TMS column/row and size in tiles (clipped to the world at low zooms). */
export interface MetaTile {
  z: number;
  x0: number;
  y0: number;
  /** Tiles across and up (metaSize, or fewer at the world's edge). */
  w: number;
  h: number;
}

export function metaTileOf(z: number, x: number, y: number, metaSize: number): MetaTile {
  const n = 2 ** z;
  const x0 = Math.floor(x / metaSize) * metaSize;
  const y0 = Math.floor(y / metaSize) * metaSize;
  return { z, x0, y0, w: Math.min(metaSize, n - x0), h: Math.min(metaSize, n - y0) };
}
