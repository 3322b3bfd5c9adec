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
}

interface Settings { url: string; bidx: string; rescale: string; colormap: string; resampling: string }

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
  return { url: d.url, bidx: d.params.bidx ?? '', rescale: d.params.rescale ?? '', colormap: d.params.colormap_name ?? '', resampling: d.params.resampling ?? 'nearest' };
}

function fill(s: Settings) {
  fields.url.value = s.url;
  fields.bidx.value = s.bidx;
  fields.rescale.value = s.rescale;
  fields.colormap.value = s.colormap;
  fields.resampling.value = s.resampling;
}

function read(): Settings {
  return { url: fields.url.value.trim(), bidx: fields.bidx.value.trim(), rescale: fields.rescale.value.trim(), colormap: fields.colormap.value, resampling: fields.resampling.value };
}

function query(s: Settings): URLSearchParams {
  const q = new URLSearchParams({ url: s.url });
  for (const b of s.bidx.split(/[\s,]+/).filter(Boolean)) q.append('bidx', b);
  if (s.rescale) q.set('rescale', s.rescale);
  if (s.colormap) q.set('colormap_name', s.colormap);
  if (s.resampling && s.resampling !== 'nearest') q.set('resampling', s.resampling);
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
  try {
    const [meta, tj] = await Promise.all([
      getJson<Record<string, unknown>>(`/cog/info?${new URLSearchParams({ url: s.url })}`),
      getJson<TileJson>(`/cog/WebMercatorQuad/tilejson.json?${q}&tile_format=png`),
    ]);
    info.textContent = `${String(meta.dtype)} × ${String(meta.count)} bands, ${String(meta.width)}×${String(meta.height)} px, zoom ${tj.minzoom}–${tj.maxzoom}\n${String(meta.crs)}`;
    // the server's TileJSON names the host it was asked by; keep the path, use this page's origin
    const tile = new URL(tj.tiles[0]!);
    const tiles = `${location.origin}${decodeURI(tile.pathname)}${tile.search}`;
    if (map.getLayer('cog')) map.removeLayer('cog');
    if (map.getSource('cog')) map.removeSource('cog');
    map.addSource('cog', { type: 'raster', tiles: [tiles], tileSize: 256, bounds: tj.bounds, minzoom: tj.minzoom, maxzoom: tj.maxzoom });
    map.addLayer({ id: 'cog', type: 'raster', source: 'cog', paint: { 'raster-fade-duration': 0 } });
    state.current = { tiles, bounds: tj.bounds };
    const [w, south, e, n] = tj.bounds;
    map.fitBounds([[w, south], [e, n]], { padding: 20, animate: false, maxZoom: tj.maxzoom });
    status.textContent = 'showing ' + s.url.split('/').pop();
  } catch (err) {
    status.className = 'error';
    status.textContent = (err as Error).message;
  }
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
  ? { url: params.get('url')!, bidx: params.getAll('bidx').join(','), rescale: params.get('rescale') ?? '', colormap: params.get('colormap_name') ?? '', resampling: params.get('resampling') ?? 'nearest' }
  : settingsFromDataset(datasets.find((d) => d.id === params.get('dataset')) ?? datasets[0]!);
select.value = datasets.find((d) => d.url === initial.url)?.id ?? 'custom';
map.on('load', () => void show(initial));
