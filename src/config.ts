import { availableParallelism } from 'node:os';
import { DEMO_DATA_DIR } from './paths.js';
import { loadTileCacheConfig, type TileCacheConfig } from './cache/config.js';
import { privateNetworkList } from './sources/private-address.js';

/** AWS's public Terrarium tiles (Mapzen terrain tiles): what kepler.gl's `/mesh?url=terrarium` means. */
export const DEFAULT_TERRARIUM_TEMPLATE = 'https://s3.amazonaws.com/elevation-tiles-prod/terrarium/{z}/{x}/{y}.png';

/** Planetary Computer's API, whose `sas/v1/token/{collection}` signs `*.blob.core.windows.net` asset hrefs. */
export const DEFAULT_PC_SAS_API = 'https://planetarycomputer.microsoft.com/api';

export interface ServerConfig {
  host: string;
  port: number;
  /** URL or path prefixes the `url` parameter may name. Anything else is 403. */
  sourceAllowlist: string[];
  /** Allow http(s) sources that resolve to private, loopback or link-local addresses (all of them). */
  allowPrivateAddresses: boolean;
  /** Private addresses and networks (`10.0.3.7`, `10.0.3.0/24`, `fd00::/8`) sources may reach when not all are allowed. */
  allowedPrivateNetworks: string[];
  /** Byte limit of the decoded-block cache; 0 disables it (the benchmark's cold mode). */
  blockCacheBytes: number;
  /** Byte limit of the cache of raw header bytes and parsed COG headers. */
  headerCacheBytes: number;
  /** Cache-Control of tile responses. */
  tileCacheControl: string;
  /** Worker threads in the CPU pool. */
  workers: number;
  /** Requests that use the worker pool admitted at once; beyond it 503 + Retry-After (0: no limit). */
  maxWorkerRequests: number;
  /** Longest a worker task may wait for a thread (then 503) and may run (then 504, thread restarted); 0: no limit. */
  workerTaskTimeoutMs: number;
  /** Deadline of a whole request, answered 503 when it passes (0: none). */
  requestTimeoutMs: number;
  /** On SIGTERM, how long in-flight requests and tile-cache writes may take before the process exits anyway. */
  drainTimeoutMs: number;
  /** S3 settings for s3:// sources (credentials come from the default AWS chain). */
  s3: {
    region?: string;
    endpoint?: string;
    forcePathStyle: boolean;
    /** Send `RequestPayer: 'requester'` (x-amz-request-payer) on S3 reads: requester-pays buckets such as usgs-landsat. */
    requesterPays?: boolean;
  };
  /** Timeout in ms of one upstream read. */
  upstreamTimeoutMs: number;
  /** The Terrarium PNG tiles `/mesh?url=terrarium` reads ({z}/{x}/{y} template). */
  terrariumUrlTemplate: string;
  /** Byte limit of the decoded elevation tiles cache (/mesh). */
  elevationCacheBytes: number;
  /** Byte limit of the finished terrain meshes cache (/mesh). */
  meshCacheBytes: number;
  /** Items a mosaic tile reads at once. */
  mosaicConcurrency: number;
  /** Most STAC items a mosaic tile uses (the search stops there). */
  mosaicMaxItems: number;
  /** A mosaic tile with no item: 204 (TiTiler) or an empty tile (npy: all-zero mask, images: transparent). */
  mosaicEmpty: '204' | 'empty-tile';
  /** How long STAC search results are reused, in seconds (0: not cached). */
  stacCacheTtlSeconds: number;
  /** Byte limit (JSON size) of the cached STAC search results. */
  stacCacheBytes: number;
  /** A tile's STAC search is made for its ancestor this many zoom levels up and filtered locally (0: off). */
  stacParentZoomDelta: number;
  /** Base of the Planetary Computer SAS token API (`{base}/sas/v1/token/{collection}`); '' turns signing off. */
  pcSasApi: string;
  /** Serve `GET /metrics` (METRICS=off turns it off). */
  metricsEnabled: boolean;
  /** When set, `/metrics` answers only requests with `Authorization: Bearer <token>`. */
  metricsToken: string;
  /** The S3 tile cache rendered through WMS (`/?tile=`, `/tms`, `/xyz`): see src/cache/config.ts. */
  tileCache: TileCacheConfig;
}

const int = (v: string | undefined, fallback: number) => {
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`invalid number in environment: ${v}`);
  return Math.floor(n);
};
const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const bool = (v: string | undefined) => v === '1' || v === 'true' || v === 'yes';
/** A list of addresses/networks, checked now so that a typo fails at startup, not on every request. */
const privateNetworks = (v: string | undefined) => {
  const entries = list(v).filter((s) => !/^(0|false|no)$/i.test(s));
  privateNetworkList(entries);
  return entries;
};

/** Builds the configuration from the environment, with overrides (tests and library users pass these). */
export function loadConfig(overrides: Partial<ServerConfig> = {}, env = process.env): ServerConfig {
  const allowlist = list(env.SOURCE_ALLOWLIST);
  const workers = overrides.workers ?? int(env.WORKERS, availableParallelism());
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int(env.PORT, 8000),
    sourceAllowlist: allowlist.length > 0 ? allowlist : [DEMO_DATA_DIR, 'https://', 's3://'],
    // ALLOW_PRIVATE_ADDRESSES: 1/true/yes for every address, or a list of addresses and networks
    allowPrivateAddresses: bool(env.ALLOW_PRIVATE_ADDRESSES),
    allowedPrivateNetworks: bool(env.ALLOW_PRIVATE_ADDRESSES) ? [] : privateNetworks(env.ALLOW_PRIVATE_ADDRESSES),
    blockCacheBytes: int(env.BLOCK_CACHE_BYTES, 256 * 1024 * 1024),
    headerCacheBytes: int(env.HEADER_CACHE_BYTES, 32 * 1024 * 1024),
    tileCacheControl: env.TILE_CACHE_CONTROL ?? 'public, max-age=3600',
    workers,
    maxWorkerRequests: int(env.MAX_WORKER_REQUESTS, 16 * workers),
    workerTaskTimeoutMs: int(env.WORKER_TASK_TIMEOUT_MS, 30000),
    requestTimeoutMs: int(env.REQUEST_TIMEOUT_MS, 60000),
    drainTimeoutMs: int(env.DRAIN_TIMEOUT_MS, 25000),
    s3: {
      region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: bool(env.S3_FORCE_PATH_STYLE) || env.S3_ENDPOINT !== undefined,
      requesterPays: bool(env.S3_REQUESTER_PAYS),
    },
    upstreamTimeoutMs: int(env.UPSTREAM_TIMEOUT_MS, 15000),
    terrariumUrlTemplate: env.TERRARIUM_URL_TEMPLATE ?? DEFAULT_TERRARIUM_TEMPLATE,
    elevationCacheBytes: int(env.ELEVATION_CACHE_BYTES, 64 * 1024 * 1024),
    meshCacheBytes: int(env.MESH_CACHE_BYTES, 64 * 1024 * 1024),
    mosaicConcurrency: Math.max(1, int(env.MOSAIC_CONCURRENCY, 4)),
    mosaicMaxItems: Math.max(1, int(env.MOSAIC_MAX_ITEMS, 50)),
    mosaicEmpty: env.MOSAIC_EMPTY_RESPONSE === 'empty-tile' ? 'empty-tile' : '204',
    stacCacheTtlSeconds: int(env.STAC_CACHE_TTL_SECONDS, 300),
    stacCacheBytes: int(env.STAC_CACHE_BYTES, 64 * 1024 * 1024),
    stacParentZoomDelta: int(env.STAC_PARENT_ZOOM_DELTA, 2),
    pcSasApi: (env.PC_SAS_API ?? DEFAULT_PC_SAS_API).replace(/\/+$/, ''),
    metricsEnabled: !['0', 'false', 'no', 'off'].includes((env.METRICS ?? '').trim().toLowerCase()),
    metricsToken: env.METRICS_TOKEN ?? '',
    tileCache: overrides.tileCache ?? loadTileCacheConfig(env),
    ...overrides,
  };
}
