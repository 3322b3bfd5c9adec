/**
 * The WebMercatorQuad tile matrix set (OGC TMS 2.0, XYZ: y grows southwards), the only one served.
 * All tile geometry in the server goes through these functions.
 */
export const TILE_MATRIX_SET_ID = 'WebMercatorQuad';
export const ORIGIN_SHIFT = 20037508.342789244; // pi * 6378137
export const MAX_ZOOM = 30;
export const MAX_LATITUDE = 85.0511287798066;

export interface TileIndex { z: number; x: number; y: number }
export type Bounds = [minx: number, miny: number, maxx: number, maxy: number];

/** True when z/x/y names an existing tile. */
export function isValidTile({ z, x, y }: TileIndex): boolean {
  if (!Number.isInteger(z) || z < 0 || z > MAX_ZOOM) return false;
  const n = 2 ** z;
  return Number.isInteger(x) && Number.isInteger(y) && x >= 0 && y >= 0 && x < n && y < n;
}

/** Bounds of a tile in EPSG:3857 metres. */
export function tileBoundsMercator({ z, x, y }: TileIndex): Bounds {
  const size = (2 * ORIGIN_SHIFT) / 2 ** z;
  const minx = -ORIGIN_SHIFT + x * size;
  const maxy = ORIGIN_SHIFT - y * size;
  return [minx, maxy - size, minx + size, maxy];
}

/** Bounds of a tile in degrees. */
export function tileBoundsLonLat(tile: TileIndex): Bounds {
  const [minx, miny, maxx, maxy] = tileBoundsMercator(tile);
  const [w, s] = mercatorToLonLat(minx, miny);
  const [e, n] = mercatorToLonLat(maxx, maxy);
  return [w, s, e, n];
}

/** Metres per pixel of a tile at zoom z with `size` pixels. */
export function tileResolution(z: number, size = 256): number {
  return (2 * ORIGIN_SHIFT) / 2 ** z / size;
}

export function lonLatToMercator(lon: number, lat: number): [number, number] {
  const clamped = Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat));
  const x = (lon * ORIGIN_SHIFT) / 180;
  const y = Math.log(Math.tan(((90 + clamped) * Math.PI) / 360)) * 6378137;
  return [x, y];
}

export function mercatorToLonLat(x: number, y: number): [number, number] {
  const lon = (x / ORIGIN_SHIFT) * 180;
  const lat = (Math.atan(Math.exp(y / 6378137)) * 360) / Math.PI - 90;
  return [lon, lat];
}

/** The zoom whose pixel size is closest to (not coarser than) `metresPerPixel`. */
export function zoomForResolution(metresPerPixel: number, size = 256): number {
  for (let z = 0; z <= MAX_ZOOM; z++) if (tileResolution(z, size) <= metresPerPixel) return z;
  return MAX_ZOOM;
}

/** The tile containing a point, at zoom z. */
export function tileForLonLat(lon: number, lat: number, z: number): TileIndex {
  const [mx, my] = lonLatToMercator(lon, lat);
  const n = 2 ** z;
  const size = (2 * ORIGIN_SHIFT) / n;
  const x = Math.min(n - 1, Math.max(0, Math.floor((mx + ORIGIN_SHIFT) / size)));
  const y = Math.min(n - 1, Math.max(0, Math.floor((ORIGIN_SHIFT - my) / size)));
  return { z, x, y };
}
