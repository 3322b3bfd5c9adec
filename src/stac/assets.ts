import { dirname, isAbsolute, resolve } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { ServerConfig } from '../config.js';
import { badGateway, notFound } from '../server/errors.js';
import { redactUrl } from '../sources/redact.js';
import { raceAbort } from '../server/in-flight.js';
import { requestJson } from './http-json.js';
import type { StacItem } from './types.js';

/**
 * Asset hrefs as the byte sources read them:
 *  - absolute http(s) and s3:// hrefs are kept (s3:// is read by the S3 source; requester-pays
 *    buckets such as usgs-landsat need S3_REQUESTER_PAYS, which that source turns into
 *    `RequestPayer: 'requester'`);
 *  - relative hrefs are resolved against the item's `self` link (http(s), s3:// or a path);
 *  - Planetary Computer blobs (`https://*.blob.core.windows.net/...`) get a SAS token from
 *    `{PC_SAS_API}/sas/v1/token/{collection}` appended (what `planetary_computer.sign` does),
 *    the token cached until 60 s before its `msft:expiry` and fetched once however many tiles ask.
 * Whether the href may be read is not decided here: openSource applies SOURCE_ALLOWLIST to it.
 */

export type AssetConfig = Pick<ServerConfig, 'pcSasApi' | 'allowPrivateAddresses' | 'allowedPrivateNetworks' | 'upstreamTimeoutMs'>;

const BLOB_HOST = /\.blob\.core\.windows\.net$/i;
/** A token is renewed this long before it expires (planetary_computer renews under 60 s too). */
const EXPIRY_MARGIN_MS = 60_000;
/** How long a token without a readable `msft:expiry` is used. */
const DEFAULT_TOKEN_MS = 5 * 60_000;

interface Token {
  token: string;
  expires: number;
}

const tokens = new LRUCache<string, Token>({ max: 512 });
const pendingTokens = new Map<string, Promise<Token>>();

/** Which of the asked assets the item has (an asset with a string href); missing ones are listed, not errors. */
export function itemAssets(item: StacItem, names: string[]): { found: string[]; missing: string[] } {
  const found: string[] = [];
  const missing: string[] = [];
  for (const name of names) (hasAsset(item, name) ? found : missing).push(name);
  return { found, missing };
}

function hasAsset(item: StacItem, name: string): boolean {
  const assets = item.assets as unknown;
  if (typeof assets !== 'object' || assets === null || !Object.hasOwn(assets, name)) return false;
  const asset = (assets as Record<string, unknown>)[name];
  return typeof asset === 'object' && asset !== null && typeof (asset as { href?: unknown }).href === 'string';
}

/**
 * The href to read for an item's asset: resolved, and signed when it is a Planetary Computer
 * blob. 404 when the item has no such asset (TiTiler's InvalidAssetName); 502 when a relative href
 * cannot be resolved or the token API fails.
 */
export async function assetHref(
  item: StacItem,
  assetName: string,
  config: AssetConfig,
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  if (!hasAsset(item, assetName)) throw notFound(`asset ${assetName} not found in item ${item.id}`);
  const href = resolveHref(item, item.assets[assetName]!.href.trim(), assetName);
  if (config.pcSasApi === '' || !needsSas(href)) return href;
  const token = await sasToken(item, new URL(href), config, options.signal);
  return href + (href.includes('?') ? '&' : '?') + token;
}

/** Absolute hrefs as they are; relative ones against the item's self link. */
function resolveHref(item: StacItem, href: string, assetName: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(href)) return href;
  const self = Array.isArray(item.links) ? item.links.find((link) => link?.rel === 'self' && typeof link.href === 'string') : undefined;
  if (href.startsWith('/') && !self) return href; // a local path
  if (!self) throw badGateway(`asset ${assetName} of item ${item.id} has a relative href and the item no self link`);
  const base = self.href;
  if (isAbsolute(base) && !/^[a-z][a-z0-9+.-]*:/i.test(base)) return href.startsWith('/') ? href : resolve(dirname(base), href);
  try {
    return new URL(href, base).href;
  } catch {
    throw badGateway(`asset ${assetName} of item ${item.id}: cannot resolve ${redactUrl(href)} against ${redactUrl(base)}`);
  }
}

function needsSas(href: string): boolean {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && BLOB_HOST.test(url.hostname) && !url.searchParams.has('sig');
}

/**
 * The token API path: `sas/v1/token/{collection}`, else (an item without a collection)
 * `sas/v1/token/{account}/{container}` from the blob url, the API's other form.
 */
function tokenTarget(item: StacItem, blob: URL): string {
  if (typeof item.collection === 'string' && item.collection !== '') return encodeURIComponent(item.collection);
  const account = blob.hostname.split('.')[0]!;
  const container = blob.pathname.split('/')[1] ?? '';
  if (container === '') throw badGateway(`cannot sign ${redactUrl(blob.href)}: no container in the url`);
  return `${encodeURIComponent(account)}/${encodeURIComponent(decodeURIComponent(container))}`;
}

async function sasToken(item: StacItem, blob: URL, config: AssetConfig, signal?: AbortSignal): Promise<string> {
  const url = new URL(`${config.pcSasApi}/sas/v1/token/${tokenTarget(item, blob)}`);
  const key = url.href;
  const cached = tokens.get(key);
  if (cached && cached.expires - EXPIRY_MARGIN_MS > Date.now()) return cached.token;
  let pending = pendingTokens.get(key);
  if (!pending) {
    pending = fetchToken(url, config)
      .then((token) => {
        tokens.set(key, token);
        return token;
      })
      .finally(() => pendingTokens.delete(key));
    pendingTokens.set(key, pending);
  }
  return (await raceAbort(pending, signal)).token;
}

/** The token API is operator configuration, not client input: its redirects may stay under PC_SAS_API only. */
async function fetchToken(url: URL, config: AssetConfig): Promise<Token> {
  const { json } = await requestJson(url, { method: 'GET', allowlist: [config.pcSasApi + '/'], what: 'SAS token API', malformed: 'SAS token API' }, config);
  const body = json as { token?: unknown; 'msft:expiry'?: unknown } | null;
  if (typeof body !== 'object' || body === null || typeof body.token !== 'string' || body.token === '') {
    throw badGateway(`malformed SAS token API response (no token): ${redactUrl(url.href)}`);
  }
  const expiry = typeof body['msft:expiry'] === 'string' ? Date.parse(body['msft:expiry']) : NaN;
  return { token: body.token.replace(/^\?/, ''), expires: Number.isFinite(expiry) ? expiry : Date.now() + DEFAULT_TOKEN_MS };
}
