// Inputs of the mesh benchmarks (parts `mesh` and `mesh-http`): the terrain fixtures as backfilled
// height grids, and two mosaics of Terrarium PNG tiles with real neighbours to serve over HTTP.
//
// Mosaics (17 x 17 tiles, so that the 16 x 16 block at the top-left has all its east, south and
// south-east neighbours):
// - 'gc': pymartini_terrarium_11_385_803.png (AWS elevation-tiles-prod 11/385/803, Grand Canyon) at
//   11/385/803, its mirror images around it (tile (i, j) flipped in x when i is odd, in y when j is
//   odd). A mirrored neighbour's first column is the tile's own last column, so the server's grid of
//   every tile is exactly the backfilled 257 grid of the original tile (@mapbox/martini's test/util.js).
// - 'fuji': martini_fuji.png (512 x 512 Terrain-RGB) re-encoded as Terrarium (the same pixels as
//   test/helpers/terrain-tiles.ts writeFujiTiles: z12, 3630..3631 x 1612..1613 are those four tiles),
//   extended by mirroring to 17 x 17 tiles (16 distinct tiles).
// Every PNG except the original AWS tile is encoded by sharp (libpng, adaptive filters, zlib 6), as
// the AWS tiles are (mostly Paeth-filtered rows): fast-png's own encoder writes unfiltered rows, which
// decode about 1.6x faster and would flatter the PNG decode stage.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import sharp from '../../src/encoders/sharp.js';
import type { TileIndex } from '../../src/tiling/web-mercator.js';
import { fujiHeights, FUJI_TILES, terrariumHeight, terrariumPixel, writeFujiTiles } from '../helpers/terrain-tiles.js';
import { loadGrid, TERRAIN_DIR } from '../mesh/martini-util.js';

/** kepler.gl's mesh_max_error at zoom 11 and 12 (77067.34 / 2^z * 0.8), as its URLs carry them. */
export const Z11_ERROR = 30.1;
export const Z12_ERROR = 15.05;
export const GC_FILE = 'pymartini_terrarium_11_385_803.png';
export const GC_TILE: TileIndex = { z: 11, x: 385, y: 803 };

export interface MeshGrid {
  id: string;
  label: string;
  grid: Float32Array;
  size: number;
  /** The tile the grid is meshed as when encoding (bounds and row latitudes). */
  tile: TileIndex;
}

/** A fixture decoded to a (w+1)^2 backfilled grid (as mapbox/martini's test/util.js). */
export function fixtureGrid(id: string, label: string, file: string, tile: TileIndex): MeshGrid {
  const { grid, size } = loadGrid(file);
  return { id, label, grid, size, tile };
}

export const MESH_GRIDS = (): MeshGrid[] => [
  // fuji.png is 512 px: the z11 tile holding the 2x2 z12 tiles of writeFujiTiles
  fixtureGrid('fuji', 'fuji 513 (Terrain-RGB, rough)', 'martini_fuji.png', { z: 11, x: FUJI_TILES.x0 / 2, y: FUJI_TILES.y0 / 2 }),
  fixtureGrid('gc', 'grand canyon 257 (Terrarium 11/385/803)', GC_FILE, GC_TILE),
  fixtureGrid('helens', 'st helens 257 (Terrain-RGB, smooth)', 'pymartini_mapbox_st_helens_14_2630_5812.png', { z: 14, x: 2630, y: 5812 }),
];

export interface Mosaic {
  id: 'gc' | 'fuji';
  label: string;
  z: number;
  x0: number;
  y0: number;
  /** Tiles a side. */
  n: number;
  /** PNG bytes of tile (i, j) = (x0 + i, y0 + j). */
  png: (i: number, j: number) => Uint8Array;
}

const TILE = 256;
const encodePng = (rgb: Uint8Array) =>
  sharp(Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength), { raw: { width: TILE, height: TILE, channels: 3 } })
    .png({ compressionLevel: 6, adaptiveFiltering: true })
    .toBuffer()
    .then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));

/** The Grand Canyon tile and its mirror images (see the top of this file). */
export async function gcMosaic(n = 17): Promise<Mosaic> {
  const original = new Uint8Array(readFileSync(join(TERRAIN_DIR, GC_FILE)));
  const img = decode(original);
  if (img.channels !== 3 || img.width !== TILE) throw new Error(`${GC_FILE}: expected 256 px RGB`);
  const src = img.data as Uint8Array;
  const flipped = async (fx: boolean, fy: boolean) => {
    const out = new Uint8Array(TILE * TILE * 3);
    for (let r = 0; r < TILE; r++) {
      for (let c = 0; c < TILE; c++) {
        const s = ((fy ? TILE - 1 - r : r) * TILE + (fx ? TILE - 1 - c : c)) * 3;
        out.set(src.subarray(s, s + 3), (r * TILE + c) * 3);
      }
    }
    return encodePng(out);
  };
  const variants = [original, await flipped(true, false), await flipped(false, true), await flipped(true, true)];
  return { id: 'gc', label: 'grand canyon z11 (AWS tile + mirrors)', ...GC_TILE, x0: GC_TILE.x, y0: GC_TILE.y, n, png: (i, j) => variants[(i % 2) + 2 * (j % 2)]! };
}

/** fuji.png as Terrarium tiles, mirrored out to n x n tiles (see the top of this file). */
export async function fujiMosaic(n = 17): Promise<Mosaic> {
  const { heights, size } = fujiHeights();
  const source = (a: number, k: number) => (a < 2 ? a * TILE + k : a === 2 ? 2 * TILE - 1 - k : TILE - 1 - k);
  const distinct: Uint8Array[] = [];
  const rgbs: Uint8Array[] = [];
  for (let b = 0; b < 4; b++) {
    for (let a = 0; a < 4; a++) {
      const rgb = new Uint8Array(TILE * TILE * 3);
      for (let r = 0; r < TILE; r++) {
        for (let c = 0; c < TILE; c++) rgb.set(terrariumPixel(heights[source(b, r) * size + source(a, c)]!), (r * TILE + c) * 3);
      }
      rgbs.push(rgb);
      distinct.push(await encodePng(rgb));
    }
  }
  // the unmirrored 2x2 block holds the same heights as the /mesh tests' tiles
  const dir = mkdtempSync(join(tmpdir(), 'bench-fuji-'));
  try {
    for (const t of writeFujiTiles(dir)) {
      const rgb = rgbs[(t.x - FUJI_TILES.x0) + 4 * (t.y - FUJI_TILES.y0)]!;
      for (let p = 0; p < TILE * TILE; p++) {
        if (terrariumHeight(rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!) !== t.heights[p]) throw new Error(`fuji mosaic differs from writeFujiTiles at ${t.x}/${t.y} pixel ${p}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { id: 'fuji', label: 'fuji z12 (terrain-tiles 2x2 + mirrors)', z: FUJI_TILES.z, x0: FUJI_TILES.x0, y0: FUJI_TILES.y0, n, png: (i, j) => distinct[(i % 4) + 4 * (j % 4)]! };
}

/** Writes the mosaic as root/{z}/{x}/{y}.png. */
export function writeMosaic(root: string, m: Mosaic): void {
  for (let i = 0; i < m.n; i++) {
    const dir = join(root, String(m.z), String(m.x0 + i));
    mkdirSync(dir, { recursive: true });
    for (let j = 0; j < m.n; j++) writeFileSync(join(dir, `${m.y0 + j}.png`), m.png(i, j));
  }
}
