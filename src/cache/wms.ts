/**
 * GetMap requests for meta-tiles and validation of the answers: only a 200 with the asked image type, the format's
 * magic bytes and the expected size is accepted. Exceptions are always asked as XML (never as images).
 */
import sharp, { type Metadata } from 'sharp';
import { HttpError } from '../server/errors.js';
import { withUpstreamTimeout } from '../sources/upstream-timeout.js';
import type { CacheLayer } from './config.js';
import { resolution, TILE_SIZE, tmsBounds, type MetaTile } from './tms.js';

export interface MetaRequest {
  url: string;
  width: number;
  height: number;
  /** Pixels of buffer on each side. */
  buffer: number;
}

/** The GetMap URL of a meta-tile (EPSG:3857, buffer included). */
export function getMapRequest(layer: CacheLayer, meta: MetaTile): MetaRequest {
  const buffer = layer.metaBuffer;
  const [minx, miny, maxx, maxy] = tmsBounds(meta.z, meta.x0, meta.y0, meta.w, meta.h);
  const pad = buffer * resolution(meta.z);
  const width = meta.w * TILE_SIZE + 2 * buffer;
  const height = meta.h * TILE_SIZE + 2 * buffer;
  const v13 = layer.wmsVersion === '1.3.0';
  const params: Record<string, string> = {
    SERVICE: 'WMS',
    VERSION: layer.wmsVersion,
    REQUEST: 'GetMap',
    LAYERS: layer.wmsLayers,
    STYLES: layer.wmsStyles,
    [v13 ? 'CRS' : 'SRS']: 'EPSG:3857',
    BBOX: [minx - pad, miny - pad, maxx + pad, maxy + pad].map((v) => String(v)).join(','),
    WIDTH: String(width),
    HEIGHT: String(height),
    FORMAT: layer.wmsFormat,
    TRANSPARENT: layer.wmsFormat === 'image/png' ? 'TRUE' : 'FALSE',
    EXCEPTIONS: v13 ? 'XML' : 'application/vnd.ogc.se_xml',
  };
  // operator-given extras, but never image exceptions or another geometry
  const fixed = new Set(['SERVICE', 'VERSION', 'REQUEST', 'BBOX', 'WIDTH', 'HEIGHT', 'SRS', 'CRS', 'FORMAT', 'EXCEPTIONS']);
  for (const [k, v] of Object.entries(layer.wmsParams)) if (!fixed.has(k.toUpperCase())) params[k.toUpperCase()] = String(v);
  const url = new URL(layer.wmsServer);
  for (const k of [...url.searchParams.keys()]) if (k.toUpperCase() in params) url.searchParams.delete(k);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { url: url.toString(), width, height, buffer };
}

const MAGIC: Record<string, number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
};

export const hasMagic = (bytes: Uint8Array, mime: string) => {
  const m = MAGIC[mime];
  return !!m && bytes.length >= m.length && m.every((b, i) => bytes[i] === b);
};

/** The text of an OGC ServiceException report (or the start of any other body). */
export function exceptionText(body: Uint8Array): string {
  const text = Buffer.from(body.subarray(0, 64 * 1024)).toString('utf8');
  const found = [...text.matchAll(/<(?:\w+:)?ServiceException\b[^>]*>([\s\S]*?)<\/(?:\w+:)?ServiceException>/g)].map((m) => m[1]);
  const raw = found.length > 0 ? found.join('; ') : text.slice(0, 500);
  // a binary body (an image in another format, say) would put raw bytes into the JSON error
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(raw)) return `${body.length} bytes of binary data`;
  return raw.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1').replace(/\s+/g, ' ').trim();
}

const fail = (detail: string) => new HttpError(502, detail, { 'cache-control': 'no-store' });

/** Why a fetch failed: undici's cause (ECONNRESET, other side closed) says more than its "fetch failed". */
const reason = (e: unknown) => {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (e as Error).message;
};

/**
 * Fetches and validates a meta-tile image. Throws a 502 HttpError with the WMS's exception text when the answer
 * is not the image asked for, a 504 when the WMS does not answer in full within timeoutMs.
 */
export async function fetchMetaTile(layer: CacheLayer, req: MetaRequest, timeoutMs: number): Promise<Uint8Array> {
  const { res, body, readError } = await withUpstreamTimeout(timeoutMs, 'WMS GetMap', undefined, async (signal) => {
    let res: Response;
    try {
      res = await fetch(req.url, { signal });
    } catch (e) {
      throw fail(`WMS request failed: ${reason(e)}`);
    }
    // an error status is reported as such even when its body cannot be read
    let readError: unknown;
    const body = await res.arrayBuffer().then((b) => new Uint8Array(b), (e: unknown) => {
      readError = e;
      return new Uint8Array(0);
    });
    return { res, body, readError };
  });
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (res.status !== 200) throw fail(`WMS answered ${res.status}: ${exceptionText(body)}`);
  if (readError) throw fail(`WMS answer could not be read: ${reason(readError)}`);
  if (type !== layer.wmsFormat) throw fail(`WMS answered ${type || 'no content type'} instead of ${layer.wmsFormat}: ${exceptionText(body)}`);
  if (!hasMagic(body, layer.wmsFormat)) throw fail(`WMS answer is not a ${layer.wmsFormat} image: ${exceptionText(body)}`);
  let meta: Metadata;
  try {
    meta = await sharp(body).metadata();
  } catch (e) {
    throw fail(`WMS image does not decode: ${(e as Error).message}`);
  }
  if (meta.width !== req.width || meta.height !== req.height) {
    throw fail(`WMS image is ${meta.width}x${meta.height}, expected ${req.width}x${req.height}`);
  }
  return body;
}
