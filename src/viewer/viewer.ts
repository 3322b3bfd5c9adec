// The viewer at /viewer: a MapLibre GL JS map (served from node_modules by the server, loaded as a
// classic script: the global `maplibregl`) of a COG's /cog tiles, with controls for the dataset URL,
// bands, rescale, colormap and resampling, and a log of each tile request's timings (Resource
// Timing, including the server's Server-Timing when it sends one). Browser-only: no imports.

type MapLibre = typeof import('maplibre-gl');
type MapInstance = import('maplibre-gl').Map;
declare const maplibregl: MapLibre;

interface Dataset { id: string; label: string; url: string; params: Record<string, string> }
interface TileJson { tiles: string[]; bounds: [number, number, number, number]; minzoom: number; maxzoom: number; center?: number[] }

/** What tests (and the curious) can look at: window.viewer. */
interface ViewerState {
  map: MapInstance;
  /** Tile responses seen so far (any status) and those that failed. */
  tilesLoaded: number;
  tileErrors: number;
  /** The layer currently shown: its tile URL template and lon/lat bounds. */
  current?: { tiles: string; bounds: [number, number, number, number] };
  show(settings: Partial<Settings>): Promise<void>;
  setTerrain?(on: boolean): Promise<void>;
  /** The terrain is on, its DEM loaded and the camera placed over it. */
  terrainReady?: boolean;
}

interface Settings {
  url: string; bidx: string; rescale: string; colormap: string; resampling: string;
  /** STAC mosaics: asset names, search query JSON, pixel selection method. */
  assets: string; query: string; pixelSelection: string;
}

/** A STAC API item-search endpoint: shown through /stac/mosaic rather than /cog. */
const isStacSearch = (url: string) => /^https?:\/\/.*\/search\/?(\?.*)?$/.test(url);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const datasets = JSON.parse($('datasets').textContent ?? '[]') as Dataset[];
const status = $('status');
const info = $('info');
const tbody = $<HTMLTableElement>('timings').tBodies[0]!;
const form = $<HTMLFormElement>('controls');
const select = $<HTMLSelectElement>('dataset');
const fields = {
  url: $<HTMLInputElement>('url'),
  bidx: $<HTMLInputElement>('bidx'),
  rescale: $<HTMLInputElement>('rescale'),
  colormap: $<HTMLSelectElement>('colormap'),
  resampling: $<HTMLSelectElement>('resampling'),
  assets: $<HTMLInputElement>('assets'),
  query: $<HTMLInputElement>('query'),
  pixelSelection: $<HTMLSelectElement>('pixel_selection'),
};

for (const d of datasets) select.add(new Option(d.label, d.id));
select.add(new Option('Other (type a URL)', 'custom'));

const map = new maplibregl.Map({
  container: 'map',
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#dde3ea' } }],
  },
  center: [0, 0],
  zoom: 1,
  attributionControl: false,
  // keep the drawing buffer so screenshots and readPixels see the last frame
  canvasContextAttributes: { preserveDrawingBuffer: true },
});
map.addControl(new maplibregl.NavigationControl(), 'top-left');
map.addControl(new maplibregl.ScaleControl(), 'bottom-left');

const state: ViewerState = { map, tilesLoaded: 0, tileErrors: 0, show };
(window as unknown as { viewer: ViewerState }).viewer = state;

function settingsFromDataset(d: Dataset): Settings {
  return {
    url: d.url, bidx: d.params.bidx ?? '', rescale: d.params.rescale ?? '', colormap: d.params.colormap_name ?? '', resampling: d.params.resampling ?? 'nearest',
    assets: '', query: '', pixelSelection: 'first',
  };
}

function fill(s: Settings) {
  fields.url.value = s.url;
  fields.bidx.value = s.bidx;
  fields.rescale.value = s.rescale;
  fields.colormap.value = s.colormap;
  fields.resampling.value = s.resampling;
  fields.assets.value = s.assets;
  fields.query.value = s.query;
  fields.pixelSelection.value = s.pixelSelection;
}

function read(): Settings {
  return {
    url: fields.url.value.trim(), bidx: fields.bidx.value.trim(), rescale: fields.rescale.value.trim(), colormap: fields.colormap.value, resampling: fields.resampling.value,
    assets: fields.assets.value.trim(), query: fields.query.value.trim(), pixelSelection: fields.pixelSelection.value,
  };
}

function query(s: Settings): URLSearchParams {
  const q = new URLSearchParams({ url: s.url });
  for (const b of s.bidx.split(/[\s,]+/).filter(Boolean)) q.append('bidx', b);
  if (s.rescale) q.set('rescale', s.rescale);
  if (s.colormap) q.set('colormap_name', s.colormap);
  if (s.resampling && s.resampling !== 'nearest') q.set('resampling', s.resampling);
  if (isStacSearch(s.url)) {
    q.set('assets', s.assets);
    if (s.query) q.set('query', s.query);
    if (s.pixelSelection && s.pixelSelection !== 'first') q.set('pixel_selection', s.pixelSelection);
  }
  return q;
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path);
  const body = await res.json() as T & { detail?: string };
  if (!res.ok) throw new Error(`${res.status}: ${body.detail ?? res.statusText}`);
  return body;
}

async function show(partial: Partial<Settings> = {}): Promise<void> {
  const s = { ...read(), ...partial };
  fill(s);
  status.className = '';
  status.textContent = 'loading…';
  const q = query(s);
  if (isStacSearch(s.url)) return showStac(s, q);
  try {
    const [meta, tj] = await Promise.all([
      getJson<Record<string, unknown>>(`/cog/info?${new URLSearchParams({ url: s.url })}`),
      getJson<TileJson>(`/cog/WebMercatorQuad/tilejson.json?${q}&tile_format=png`),
    ]);
    info.textContent = `${String(meta.dtype)} × ${String(meta.count)} bands, ${String(meta.width)}×${String(meta.height)} px, zoom ${tj.minzoom}–${tj.maxzoom}\n${String(meta.crs)}`;
    // the server's TileJSON names the host it was asked by; keep the path, use this page's origin
    const tile = new URL(tj.tiles[0]!);
    const tiles = `${location.origin}${decodeURI(tile.pathname)}${tile.search}`;
    replaceLayer(tiles, { bounds: tj.bounds, minzoom: tj.minzoom, maxzoom: tj.maxzoom });
    state.current = { tiles, bounds: tj.bounds };
    const [w, south, e, n] = tj.bounds;
    map.fitBounds([[w, south], [e, n]], { padding: 20, animate: false, maxZoom: tj.maxzoom });
    status.textContent = 'showing ' + s.url.split('/').pop();
  } catch (err) {
    status.className = 'error';
    status.textContent = (err as Error).message;
  }
}

function replaceLayer(tiles: string, extra: { bounds?: [number, number, number, number]; minzoom?: number; maxzoom?: number }) {
  if (map.getLayer('cog')) map.removeLayer('cog');
  if (map.getSource('cog')) map.removeSource('cog');
  map.addSource('cog', { type: 'raster', tiles: [tiles], tileSize: 256, ...extra });
  map.addLayer({ id: 'cog', type: 'raster', source: 'cog', paint: { 'raster-fade-duration': 0 } });
}

/**
 * A STAC mosaic: tiles from /stac/mosaic (the items a search finds under each tile, blended). No
 * bounds are known before searching: the map keeps its view, or fits ?bbox=w,s,e,n of the page URL.
 */
async function showStac(s: Settings, q: URLSearchParams): Promise<void> {
  if (!s.assets) {
    status.className = 'error';
    status.textContent = 'a STAC mosaic needs assets';
    return;
  }
  const tiles = `${location.origin}/stac/mosaic/tiles/WebMercatorQuad/{z}/{x}/{y}.png?${q}`;
  replaceLayer(tiles, { minzoom: 0, maxzoom: 22 });
  state.current = { tiles, bounds: [-180, -85, 180, 85] };
  info.textContent = `STAC mosaic of ${s.assets} (${s.pixelSelection || 'first'})`;
  const bbox = new URLSearchParams(location.search).get('bbox')?.split(',').map(Number);
  if (bbox?.length === 4 && bbox.every(Number.isFinite)) {
    map.fitBounds([[bbox[0]!, bbox[1]!], [bbox[2]!, bbox[3]!]], { padding: 20, animate: false });
    state.current.bounds = bbox as [number, number, number, number];
  }
  status.textContent = 'showing STAC mosaic ' + s.url;
}

// tile timings: every /cog tile the map fetched, newest first
const TILE_PATH = /\/(cog|mesh|stac\/mosaic)\/tiles\/(?:WebMercatorQuad\/)?(\d+\/\d+\/\d+[^?]*)/;
new PerformanceObserver((list) => {
  for (const e of list.getEntries() as PerformanceResourceTiming[]) {
    const m = TILE_PATH.exec(e.name);
    if (!m) continue;
    const ok = (e.responseStatus ?? 200) < 400;
    state.tilesLoaded++;
    if (!ok) state.tileErrors++;
    const server = e.serverTiming.map((t) => `${t.name} ${t.duration.toFixed(1)}`).join(', ');
    const row = tbody.insertRow(0);
    for (const text of [`${m[1]} ${m[2]}`, String(e.responseStatus ?? ''), e.duration.toFixed(1), (e.encodedBodySize / 1024).toFixed(1), server]) {
      row.insertCell().textContent = text;
    }
    while (tbody.rows.length > 200) tbody.deleteRow(-1);
  }
}).observe({ type: 'resource', buffered: true });
map.on('error', (e) => {
  status.className = 'error';
  status.textContent = `map: ${(e.error as Error | undefined)?.message ?? 'error'}`;
});

// 3D terrain: MapLibre draws raster-dem (Terrarium or Terrain-RGB PNGs), not quantized-mesh, so the
// DEM's float32 heights come from /cog as npy tiles (the same reads /mesh meshes) and are encoded to
// Terrarium PNGs in the page, through a custom protocol.
const DEM_URL = datasets.find((d) => d.id === 'dem')?.url ?? '';
const TERRARIUM = 'krs-terrarium';

/** numpy v1/v2 .npy: float32 planar data, shape [bands, h, w] (the /cog npy tile: heights, then the mask). */
function parseNpy(buf: ArrayBuffer): { data: Float32Array; shape: number[] } {
  const view = new DataView(buf);
  const major = view.getUint8(6);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = new TextDecoder().decode(new Uint8Array(buf, major === 1 ? 10 : 12, headerLen));
  if (!header.includes("'<f4'")) throw new Error(`terrain: expected float32 npy, got ${header}`);
  const shape = (/\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((v) => v.trim()).filter(Boolean).map(Number);
  return { data: new Float32Array(buf.slice(start)), shape };
}

async function terrariumTile(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`terrain tile ${res.status}`);
  const { data, shape } = parseNpy(await res.arrayBuffer());
  const [bands, h, w] = shape as [number, number, number];
  const n = w * h;
  const mask = bands > 1 ? data.subarray((bands - 1) * n, bands * n) : undefined;
  // masked pixels take the tile's lowest height (no cliffs to 0 m at the DEM's edge)
  let lo = Infinity;
  for (let i = 0; i < n; i++) if ((!mask || mask[i]! > 0) && data[i]! < lo) lo = data[i]!;
  if (lo === Infinity) lo = 0;
  const rgba = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    const v = (!mask || mask[i]! > 0 ? data[i]! : lo) + 32768;
    rgba[4 * i] = Math.floor(v / 256);
    rgba[4 * i + 1] = Math.floor(v) % 256;
    rgba[4 * i + 2] = Math.floor((v - Math.floor(v)) * 256);
    rgba[4 * i + 3] = 255;
  }
  const canvas = new OffscreenCanvas(w, h);
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, w, h), 0, 0);
  return (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer();
}

maplibregl.addProtocol(TERRARIUM, async (params) => {
  // krs-terrarium://{z}/{x}/{y}?url=<DEM COG>
  const m = /^krs-terrarium:\/\/(\d+)\/(\d+)\/(\d+)\?(.*)$/.exec(params.url);
  if (!m) throw new Error(`bad terrain URL ${params.url}`);
  return { data: await terrariumTile(`/cog/tiles/WebMercatorQuad/${m[1]}/${m[2]}/${m[3]}.npy?${m[4]}&resampling=bilinear`) };
});

async function setTerrain(on: boolean): Promise<void> {
  if (!on) {
    map.setTerrain(null);
    map.jumpTo({ pitch: 0, bearing: 0 });
    state.terrainReady = false;
    return;
  }
  if (!map.getSource('dem')) {
    const tj = await getJson<TileJson>(`/cog/WebMercatorQuad/tilejson.json?${new URLSearchParams({ url: DEM_URL })}`);
    map.addSource('dem', {
      // MapLibre reads terrain one zoom below the map's (deltaZoom): allow one zoom under the COG's
      // (lower ones would be empty, a small COG without overviews, and put the camera under the terrain)
      type: 'raster-dem', encoding: 'terrarium', tileSize: 256, bounds: tj.bounds, minzoom: Math.max(0, tj.minzoom - 1), maxzoom: tj.maxzoom,
      tiles: [`${TERRARIUM}://{z}/{x}/{y}?${new URLSearchParams({ url: DEM_URL })}`],
    });
  }
  state.terrainReady = false;
  map.setTerrain({ source: 'dem', exaggeration: 1.5 });
  map.jumpTo({ pitch: 60, bearing: -20 });
  // the camera's ground elevation is taken when the map moves: move again once the DEM is loaded,
  // so the camera is above the terrain rather than at 0 m inside it
  map.once('idle', () => {
    map.jumpTo({ center: map.getCenter() });
    map.once('idle', () => { state.terrainReady = true; });
  });
}
const terrainBox = $<HTMLInputElement>('terrain');
terrainBox.addEventListener('change', () => void setTerrain(terrainBox.checked).catch((err: Error) => {
  status.className = 'error';
  status.textContent = `terrain: ${err.message}`;
}));
state.setTerrain = setTerrain;

select.addEventListener('change', () => {
  const d = datasets.find((x) => x.id === select.value);
  if (d) void show(settingsFromDataset(d));
  else fields.url.focus();
});
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void show();
});

// ?url=...&bidx=...&rescale=...&colormap_name=... opens that dataset; otherwise the first demo one
const params = new URLSearchParams(location.search);
const initial = params.get('url')
  ? {
    url: params.get('url')!, bidx: params.getAll('bidx').join(','), rescale: params.get('rescale') ?? '', colormap: params.get('colormap_name') ?? '',
    resampling: params.get('resampling') ?? 'nearest', assets: params.getAll('assets').join(','), query: params.get('query') ?? '',
    pixelSelection: params.get('pixel_selection') ?? 'first',
  }
  : settingsFromDataset(datasets.find((d) => d.id === params.get('dataset')) ?? datasets[0]!);
select.value = datasets.find((d) => d.url === initial.url)?.id ?? 'custom';
map.on('load', () => void show(initial));
