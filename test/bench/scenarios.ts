// The fixed tile lists the in-process and HTTP benchmarks request. Every tile was checked to answer
// 200 with a non-empty mask (the harness re-checks that before timing, see verify.ts).
import { join } from 'node:path';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cog');

export type Tile = [z: number, x: number, y: number];

export interface Scenario {
  id: string;
  name: string;
  file: string;
  ext: 'png' | 'npy';
  /** Extra query parameters (the url and the dummy `_` are added by tilePath). */
  query: string;
  /** Request headers (e.g. Accept-Encoding as a browser sends it). */
  headers?: Record<string, string>;
  tiles: Tile[];
}

/** All tiles x0..x1 by y0..y1 at zoom z. */
const range = (z: number, x0: number, x1: number, y0: number, y1: number): Tile[] =>
  Array.from({ length: (x1 - x0 + 1) * (y1 - y0 + 1) }, (_, i): Tile => [z, x0 + (i % (x1 - x0 + 1)), y0 + Math.floor(i / (x1 - x0 + 1))]);

// The DEM (1 km square near 7.1E 45.9N, WGS84) spans z15 17029..17030 x 11667..11668; only 17030/11667
// of the z15 block 17030..17031/11666..11667 holds data, the other three are 404.
const DEM_TILES: Tile[] = [...range(14, 8514, 8515, 5833, 5834), ...range(15, 17029, 17030, 11667, 11668), ...range(16, 34059, 34060, 23335, 23336)];

export const SCENARIOS: Scenario[] = [
  {
    id: 'utm-png',
    name: 'png from UTM uint16 (rescale)',
    file: 'riotiler-cog_uint16_utm_ovr.tif',
    ext: 'png',
    query: 'rescale=0,8000',
    tiles: [[6, 21, 12], ...range(7, 42, 43, 24, 25), [8, 85, 49], [8, 86, 49], [8, 86, 50], [8, 87, 50]],
  },
  { id: 'dem-npy', name: 'float32 DEM npy', file: 'titiler-dem_float32_epsg2056.tif', ext: 'npy', query: '', tiles: DEM_TILES },
  {
    id: 'dem-npy-br',
    name: 'float32 DEM npy (Accept-Encoding br)',
    file: 'titiler-dem_float32_epsg2056.tif',
    ext: 'npy',
    query: '',
    headers: { 'accept-encoding': 'gzip, deflate, br' },
    tiles: DEM_TILES,
  },
  {
    id: 'rgb4326-npy',
    name: 'npy uint8 RGB 4326',
    file: 'riotiler-cog_uint8_rgb_mask_4326.tif',
    ext: 'npy',
    query: 'bidx=1&bidx=2&bidx=3',
    // z9/256/256 is inside the bounds but fully masked: left out
    tiles: [[7, 64, 64], ...range(8, 128, 129, 128, 129), ...range(9, 257, 258, 257, 258)],
  },
];

/** Path of tile i of the scenario's list; `n` (a request counter) makes the URL unique. */
export function tilePath(s: Scenario, i: number, n?: number): string {
  const [z, x, y] = s.tiles[i % s.tiles.length]!;
  const q = [`url=${encodeURIComponent(join(FIXTURES, s.file))}`, s.query, n === undefined ? '' : `_=${n}`].filter(Boolean).join('&');
  return `/cog/tiles/WebMercatorQuad/${z}/${x}/${y}.${s.ext}?${q}`;
}
