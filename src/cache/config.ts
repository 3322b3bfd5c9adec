/**
 * Tile cache configuration: layers rendered through a WMS and kept in an S3 bucket.
 * Compatible with the old s3maptiler environment (WMS_SERVER, BUCKET_NAME, TILE_PREFIX, MAP_LAYERS) plus
 * TILE_CACHE_LAYERS (JSON array of layers, each with its own WMS and prefix).
 */
export type WmsVersion = '1.1.1' | '1.3.0';
export type TileExt = 'png' | 'jpg';

export interface CacheLayer {
  /** Name in /tms/1.0.0/{name} and /xyz/{name}. */
  name: string;
  /** GetMap endpoint; may already carry query parameters (e.g. `?map=/path/to.map`). */
  wmsServer: string;
  /** WMS LAYERS parameter. */
  wmsLayers: string;
  wmsVersion: WmsVersion;
  wmsStyles: string;
  /** Extra GetMap parameters (e.g. TIME, DIM_*). */
  wmsParams: Record<string, string>;
  /** Format asked of the WMS for meta-tiles (image/png is lossless; tiles are re-encoded to their extension). */
  wmsFormat: 'image/png' | 'image/jpeg';
  /** S3 key prefix of the tiles, ending with '/', e.g. `1.0.0/tms-mercator-naip/`. */
  prefix: string;
  /** Bucket (default: the cache's bucket). */
  bucket: string;
  /** Tile extensions served. */
  formats: TileExt[];
  minZoom: number;
  maxZoom: number;
  /** [minLon, minLat, maxLon, maxLat]; tiles outside are 404. */
  bounds: [number, number, number, number];
  /** Tiles per side of a meta-tile (1 turns meta-tiling off). */
  metaSize: number;
  /** Pixels around the meta-tile asked of the WMS and cut away (labels are not cut at borders). */
  metaBuffer: number;
  /** Cache-Control stored on objects and sent with tiles. */
  cacheControl: string;
}

export interface TileCacheConfig {
  layers: CacheLayer[];
  bucket: string;
  s3: { endpoint?: string; region: string; forcePathStyle: boolean };
  /** Timeout of one GetMap in ms. */
  wmsTimeoutMs: number;
  /** Timeout of one S3 read or write attempt of the tile bucket in ms (UPSTREAM_TIMEOUT_MS). */
  s3TimeoutMs: number;
  /** GetMap requests in flight at once, over all layers (0: no limit). */
  wmsConcurrency: number;
  /** Attempts of one S3 write (with exponential backoff). */
  putAttempts: number;
  /** Base delay of the write backoff in ms. */
  putBackoffMs: number;
  jpegQuality: number;
}

const WORLD: [number, number, number, number] = [-180, -85.0511287798066, 180, 85.0511287798066];

const num = (v: unknown, fallback: number, what: string): number => {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`tile cache: invalid ${what}: ${String(v)}`);
  return Math.floor(n);
};

const normPrefix = (p: string) => {
  const s = p.replace(/^\/+/, '');
  return s === '' || s.endsWith('/') ? s : `${s}/`;
};

/** The layer's name from its prefix: `1.0.0/tms-mercator-naip/` -> `tms-mercator-naip`. */
const nameFromPrefix = (prefix: string) => prefix.split('/').filter(Boolean).pop() ?? 'default';

function layerFrom(raw: Record<string, unknown>, defaults: Omit<CacheLayer, 'name' | 'wmsServer' | 'wmsLayers' | 'prefix'>): CacheLayer {
  const wmsServer = String(raw.wmsServer ?? raw.wms ?? '');
  const wmsLayers = String(raw.wmsLayers ?? raw.layers ?? '');
  if (!wmsServer || !wmsLayers) throw new Error('tile cache: a layer needs wmsServer and wmsLayers');
  const prefix = normPrefix(String(raw.prefix ?? `1.0.0/${String(raw.name ?? wmsLayers)}/`));
  const version = String(raw.wmsVersion ?? defaults.wmsVersion);
  if (version !== '1.1.1' && version !== '1.3.0') throw new Error(`tile cache: WMS version ${version} (1.1.1 or 1.3.0)`);
  const formats = (Array.isArray(raw.formats) ? raw.formats : defaults.formats).map((f) => (String(f) === 'jpeg' ? 'jpg' : String(f)));
  for (const f of formats) if (f !== 'png' && f !== 'jpg') throw new Error(`tile cache: format ${f} (png or jpg)`);
  const wmsFormat = String(raw.wmsFormat ?? defaults.wmsFormat);
  if (wmsFormat !== 'image/png' && wmsFormat !== 'image/jpeg') throw new Error(`tile cache: wmsFormat ${wmsFormat}`);
  const bounds = (raw.bounds ?? defaults.bounds) as number[];
  if (!Array.isArray(bounds) || bounds.length !== 4 || bounds.some((v) => typeof v !== 'number')) throw new Error('tile cache: bounds must be [minLon,minLat,maxLon,maxLat]');
  const metaSize = Math.max(1, num(raw.metaSize, defaults.metaSize, 'metaSize'));
  return {
    name: String(raw.name ?? nameFromPrefix(prefix)),
    wmsServer,
    wmsLayers,
    wmsVersion: version,
    wmsStyles: String(raw.wmsStyles ?? ''),
    wmsParams: (raw.wmsParams as Record<string, string>) ?? {},
    wmsFormat,
    prefix,
    bucket: String(raw.bucket ?? defaults.bucket),
    formats: formats as TileExt[],
    minZoom: num(raw.minZoom, defaults.minZoom, 'minZoom'),
    maxZoom: num(raw.maxZoom, defaults.maxZoom, 'maxZoom'),
    bounds: bounds as [number, number, number, number],
    metaSize,
    metaBuffer: num(raw.metaBuffer, defaults.metaBuffer, 'metaBuffer'),
    cacheControl: String(raw.cacheControl ?? defaults.cacheControl),
  };
}

/** Reads the tile cache settings from the environment (see README, "Tile cache"). */
export function loadTileCacheConfig(env: NodeJS.ProcessEnv = process.env): TileCacheConfig {
  const bucket = env.BUCKET_NAME ?? '';
  const version = env.WMS_VERSION ?? '1.1.1';
  const defaults = {
    wmsVersion: version as WmsVersion,
    wmsStyles: '',
    wmsParams: {},
    wmsFormat: (env.WMS_FORMAT ?? 'image/png') as CacheLayer['wmsFormat'],
    bucket,
    formats: (env.TILE_FORMATS ?? 'png,jpg').split(',').map((s) => s.trim()).filter(Boolean) as TileExt[],
    minZoom: num(env.TILE_MIN_ZOOM, 0, 'TILE_MIN_ZOOM'),
    maxZoom: num(env.TILE_MAX_ZOOM, 22, 'TILE_MAX_ZOOM'),
    bounds: WORLD,
    metaSize: Math.max(1, num(env.META_TILE_SIZE, 4, 'META_TILE_SIZE')),
    metaBuffer: num(env.META_TILE_BUFFER, 64, 'META_TILE_BUFFER'),
    cacheControl: env.TILE_OBJECT_CACHE_CONTROL ?? 'public, max-age=86400',
  };
  const layers: CacheLayer[] = [];
  if (env.TILE_CACHE_LAYERS) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(env.TILE_CACHE_LAYERS);
    } catch (e) {
      throw new Error(`tile cache: TILE_CACHE_LAYERS is not JSON: ${(e as Error).message}`);
    }
    if (!Array.isArray(parsed)) throw new Error('tile cache: TILE_CACHE_LAYERS must be a JSON array');
    for (const raw of parsed) layers.push(layerFrom(raw as Record<string, unknown>, defaults));
  }
  if (env.WMS_SERVER && env.MAP_LAYERS) {
    layers.push(layerFrom({ wmsServer: env.WMS_SERVER, wmsLayers: env.MAP_LAYERS, prefix: env.TILE_PREFIX ?? '1.0.0/tms-mercator/', name: env.TILE_LAYER_NAME }, defaults));
  }
  return buildTileCacheConfig({ layers, bucket, s3: {
    endpoint: env.TILE_CACHE_S3_ENDPOINT ?? env.S3_ENDPOINT,
    region: env.TILE_CACHE_S3_REGION ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    forcePathStyle: (env.TILE_CACHE_S3_ENDPOINT ?? env.S3_ENDPOINT) !== undefined || env.S3_FORCE_PATH_STYLE === '1',
  },
  wmsTimeoutMs: num(env.WMS_TIMEOUT_MS, 30000, 'WMS_TIMEOUT_MS'),
  s3TimeoutMs: num(env.UPSTREAM_TIMEOUT_MS, 15000, 'UPSTREAM_TIMEOUT_MS'),
  wmsConcurrency: num(env.WMS_CONCURRENCY, 8, 'WMS_CONCURRENCY'),
  putAttempts: Math.max(1, num(env.TILE_PUT_ATTEMPTS, 4, 'TILE_PUT_ATTEMPTS')),
  jpegQuality: num(env.TILE_JPEG_QUALITY, 85, 'TILE_JPEG_QUALITY'),
  });
}

/** Fills defaults of a partial configuration (library users and tests): layers may be partial too. */
export function buildTileCacheConfig(partial: Partial<Omit<TileCacheConfig, 'layers'>> & { layers?: Array<Partial<CacheLayer> & { wmsServer: string; wmsLayers: string }> }): TileCacheConfig {
  const bucket = partial.bucket ?? '';
  const defaults = {
    wmsVersion: '1.1.1' as WmsVersion, wmsStyles: '', wmsParams: {}, wmsFormat: 'image/png' as const, bucket,
    formats: ['png', 'jpg'] as TileExt[], minZoom: 0, maxZoom: 22, bounds: WORLD, metaSize: 4, metaBuffer: 64,
    cacheControl: 'public, max-age=86400',
  };
  const layers = (partial.layers ?? []).map((l) => layerFrom(l as Record<string, unknown>, defaults));
  const names = new Set<string>();
  for (const l of layers) {
    if (names.has(l.name)) throw new Error(`tile cache: two layers named ${l.name}`);
    names.add(l.name);
    if (!l.bucket) throw new Error(`tile cache: layer ${l.name} has no bucket (BUCKET_NAME)`);
  }
  return {
    layers,
    bucket,
    s3: partial.s3 ?? { region: 'us-east-1', forcePathStyle: false },
    wmsTimeoutMs: partial.wmsTimeoutMs ?? 30000,
    s3TimeoutMs: partial.s3TimeoutMs ?? 15000,
    wmsConcurrency: partial.wmsConcurrency ?? 8,
    putAttempts: partial.putAttempts ?? 4,
    putBackoffMs: partial.putBackoffMs ?? 200,
    jpegQuality: partial.jpegQuality ?? 85,
  };
}
