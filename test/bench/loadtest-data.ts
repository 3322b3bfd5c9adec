// The load test's data, all local and on loopback, and the map layers its clients view.
// - One static file server with Range (tile-server.ts, its own process) serves a temp dir holding
//   the fixture COGs (cog/) and the two Terrarium mosaics of the mesh benchmark (terrarium/{z}/{x}/{y}.png,
//   built from test/fixtures/terrain by mesh-inputs.ts).
// - The STAC API stand-in (test/helpers/stac-api.ts, in this process) serves clones of the real
//   Earth Search v1 Sentinel-2 item whose red/green/blue assets are the UTM uint16 COG.
// Layers are what a kepler.gl user adds: the request URL kepler builds (see the kepler-client spec:
// /cog npy with return_mask and bidx, /stac/mosaic npy with assets, return_mask and query, /mesh
// terrain with url=terrarium and kepler's mesh_max_error), one png layer with rescale and a colormap,
// and the tile extent at each zoom (deck.gl's TileLayer requests only tiles inside the data's extent).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ask, forkBenchChild } from './bench-child.js';
import type { StacItem } from '../../src/stac/types.js';
import { tileForLonLat } from '../../src/tiling/web-mercator.js';
import { cloneItem, fixtureItems, startStacApi, type StacApi } from '../helpers/stac-api.js';
import { fujiMosaic, gcMosaic, writeMosaic, type Mosaic } from './mesh-inputs.js';
import { FIXTURES } from './scenarios.js';

export type Kind = 'cog' | 'mosaic' | 'mesh';
export const KINDS: Kind[] = ['cog', 'mosaic', 'mesh'];

/** Tiles x0..x1, y0..y1 (inclusive) at one zoom. */
export type TileRange = [x0: number, y0: number, x1: number, y1: number];

export interface Layer {
  id: string;
  kind: Kind;
  /** What a 200 body must start with: npy, png or terrain (a quantized-mesh header: at least 88 bytes). */
  body: 'npy' | 'png' | 'terrain';
  /** Path and query with {z}, {x} and {y} to fill in. */
  template: string;
  /** The zooms a user views the layer at, and the layer's tiles at each. */
  extents: Record<number, TileRange>;
}

export interface LoadData {
  /** The prefixes the server's SOURCE_ALLOWLIST needs. */
  allowlist: string[];
  terrariumTemplate: string;
  /** The layers, once the server runs (the COG layers' extents come from its tilejson). */
  layers(server: string): Promise<Layer[]>;
  close(): Promise<void>;
}

const COGS = ['riotiler-cog_uint16_utm_ovr.tif', 'riotiler-cog_uint8_rgb_mask_4326.tif', 'titiler-dem_float32_epsg2056.tif'];
const MESH_BLOCK = 16; // the mosaics are 17 x 17: the top-left 16 x 16 tiles have all their E, S and SE neighbours
/** Zooms past a dataset's maxzoom a user still views it at (the server overzooms). */
const OVERZOOM = 2;

/** kepler.gl's mesh_max_error for a zoom, as its URLs carry it (2 decimals). */
export const keplerMeshMaxError = (z: number) => ((77067.34 / 2 ** z) * 0.8).toFixed(2);

/** The tiles covering a lon/lat box at zoom z. */
function rangeOf([w, s, e, n]: number[], z: number): TileRange {
  const nw = tileForLonLat(w!, n!, z), se = tileForLonLat(e!, s!, z);
  return [nw.x, nw.y, se.x, se.y];
}

const boxPolygon = ([w, s, e, n]: number[]): StacItem['geometry'] => ({ type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] }) as StacItem['geometry'];

/** The mesh layer over a mosaic: its zoom only (no other zoom has PNGs), its 16 x 16 block. */
function meshLayer(m: Mosaic): Layer {
  return {
    id: `mesh-${m.id}`, kind: 'mesh', body: 'terrain',
    template: `/mesh/tiles/{z}/{x}/{y}.terrain?url=terrarium&mesh_max_error=${keplerMeshMaxError(m.z)}`,
    extents: { [m.z]: [m.x0, m.y0, m.x0 + MESH_BLOCK - 1, m.y0 + MESH_BLOCK - 1] },
  };
}

export async function startLoadData(log: (s: string) => void): Promise<LoadData> {
  const dir = mkdtempSync(join(tmpdir(), 'loadtest-data-'));
  mkdirSync(join(dir, 'cog'));
  for (const f of COGS) copyFileSync(join(FIXTURES, f), join(dir, 'cog', f));
  log('  building the Terrarium mosaics (17 x 17 tiles each, from test/fixtures/terrain)');
  const mosaics = [await gcMosaic(MESH_BLOCK + 1), await fujiMosaic(MESH_BLOCK + 1)];
  for (const m of mosaics) writeMosaic(join(dir, 'terrarium'), m);
  const files = forkBenchChild('./tile-server.ts');
  let api: StacApi | undefined;
  try {
    const { url } = await ask<{ url: string }>(files, { root: dir });
    api = await startStacApi([]);
    const stac = api;
    const cogUrl = (f: string) => `${url}/cog/${f}`;
    return {
      allowlist: [`${url}/`, stac.root],
      terrariumTemplate: `${url}/terrarium/{z}/{x}/{y}.png`,
      layers: async (server) => {
        const tilejson = async (f: string) => {
          const r = await fetch(`${server}/cog/tilejson.json?url=${encodeURIComponent(cogUrl(f))}`);
          if (!r.ok) throw new Error(`tilejson of ${f}: HTTP ${r.status} ${await r.text()}`);
          return (await r.json()) as { bounds: number[]; minzoom: number; maxzoom: number };
        };
        const extents = (t: { bounds: number[]; minzoom: number; maxzoom: number }) =>
          Object.fromEntries(Array.from({ length: t.maxzoom + OVERZOOM - t.minzoom + 1 }, (_, i) => [t.minzoom + i, rangeOf(t.bounds, t.minzoom + i)]));
        const [utm, rgb, dem] = await Promise.all(COGS.map(tilejson));
        // three Sentinel-2 scenes over the UTM COG's footprint; red, green and blue all read it
        const href = cogUrl(COGS[0]!);
        stac.items = [8, 18, 28].map((day) => {
          const item = cloneItem(fixtureItems().v1S2, { id: `S2A_LOADTEST_202310${day}`, datetime: `2023-10-${day}T12:00:00Z` });
          item.geometry = boxPolygon(utm!.bounds);
          item.bbox = utm!.bounds;
          item.assets = { red: { ...item.assets.red!, href }, green: { ...item.assets.green!, href }, blue: { ...item.assets.blue!, href } };
          return item;
        });
        const query = encodeURIComponent(JSON.stringify({ collections: ['sentinel-2-l2a'], datetime: '2023-10-01T00:00:00Z/2023-10-31T23:59:59Z' }));
        const cogTile = (f: string, ext: string, params: string) => `/cog/tiles/WebMercatorQuad/{z}/{x}/{y}.${ext}?${params}&url=${encodeURIComponent(cogUrl(f))}`;
        return [
          { id: 'cog-rgb-npy', kind: 'cog', body: 'npy', template: cogTile(COGS[1]!, 'npy', 'return_mask=true&bidx=1&bidx=2&bidx=3'), extents: extents(rgb!) },
          { id: 'cog-dem-npy', kind: 'cog', body: 'npy', template: cogTile(COGS[2]!, 'npy', 'return_mask=true&bidx=1'), extents: extents(dem!) },
          { id: 'cog-utm-png', kind: 'cog', body: 'png', template: cogTile(COGS[0]!, 'png', 'rescale=0,8000&colormap_name=viridis'), extents: extents(utm!) },
          {
            id: 'mosaic-s2-npy', kind: 'mosaic', body: 'npy',
            template: `/stac/mosaic/tiles/WebMercatorQuad/{z}/{x}/{y}.npy?assets=red,green,blue&return_mask=true&url=${encodeURIComponent(stac.url)}&query=${query}`,
            extents: extents(utm!),
          },
          ...mosaics.map(meshLayer),
        ];
      },
      close: async () => {
        files.disconnect();
        await stac.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    files.disconnect();
    await api?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
