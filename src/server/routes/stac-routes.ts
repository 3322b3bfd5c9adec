import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CogReader } from '../../cog/cog-reader.js';
import { readPoint } from '../../cog/read-point.js';
import { bandsToRead } from '../../cog/bands.js';
import type { ServerConfig } from '../../config.js';
import type { MosaicReader } from '../../mosaic/mosaic-reader.js';
import { assetHref, itemAssets } from '../../stac/assets.js';
import { searchItems, parseStacQuery } from '../../stac/search.js';
import type { Polygon } from '../../stac/types.js';
import { badRequest, notFound } from '../errors.js';
import {
  parseAssets, parseBidx, parseNodata, parseOutputOptions, parsePixelSelection, parseResampling, parseTileParams, requireUrl,
} from '../query-params.js';
import type { WorkerPool } from '../worker-pool.js';

/**
 * /stac/mosaic: tiles blended from the items a STAC API search finds under each tile (kepler.gl's
 * STAC Collection mode), and the values at a point.
 */
type Query = Record<string, string | string[] | undefined>;

export function stacRoutes(app: FastifyInstance, opts: { mosaic: MosaicReader; cogs: CogReader; pool: WorkerPool; config: ServerConfig }) {
  const { mosaic, cogs, pool, config } = opts;

  const tile = async (req: FastifyRequest, reply: FastifyReply) => {
    const { tile: t, scale, format } = parseTileParams(req.params as { tms?: string; z: string; x: string; tail: string });
    const q = req.query as Query;
    const output = parseOutputOptions(q, format, req.headers['accept-encoding']);
    const size = 256 * scale;
    const result = await mosaic.tile({
      searchUrl: requireUrl(q.url),
      query: parseStacQuery(last(q.query)),
      tile: t,
      size,
      assets: parseAssets(q.assets),
      bands: parseBidx(q.bidx, 65535)?.map((b) => b - 1),
      method: parsePixelSelection(q.pixel_selection),
      resampling: parseResampling(q.resampling),
      nodata: parseNodata(q.nodata),
      maxItems: maxItems(q.max_items, config.mosaicMaxItems),
      output,
      signal: req.abortSignal,
    });
    const ms = result.timings;
    reply.header('x-assets', headerValue(result.assets.join(',')));
    reply.header('server-timing', `search;dur=${ms.search.toFixed(1)}, read;dur=${ms.read.toFixed(1)}, blend;dur=${ms.blend.toFixed(1)}, encode;dur=${ms.encode.toFixed(1)}`);
    let rendered = result.rendered;
    if (!rendered) {
      // TiTiler answers 204 (no content); kepler.gl handles an empty tile better (MOSAIC_EMPTY_RESPONSE=empty-tile)
      if (config.mosaicEmpty === '204') return reply.status(204).header('cache-control', config.tileCacheControl).send();
      const bands = Math.max(1, parseAssets(q.assets).length);
      const pixels = size * size;
      rendered = (await pool.blend({
        kind: 'blend', method: 'first', dtype: 'uint8', bands, width: size, height: size,
        tiles: [{ data: new Uint8Array(bands * pixels), mask: new Uint8Array(pixels) }], output: { ...output, format: output.format ?? 'png', colormap: undefined },
      }, req.abortSignal)).rendered;
    }
    reply.header('content-type', rendered.contentType).header('cache-control', config.tileCacheControl);
    if (rendered.contentEncoding) reply.header('content-encoding', rendered.contentEncoding);
    if (rendered.format === 'npy') reply.header('vary', 'Accept-Encoding');
    return reply.send(Buffer.from(rendered.body.buffer, rendered.body.byteOffset, rendered.body.byteLength));
  };
  const schema = { schema: { tags: ['STAC mosaic'], querystring: mosaicQuerySchema } };
  app.get('/stac/mosaic/tiles/:tms/:z/:x/:tail', schema, tile);
  app.get('/stac/mosaic/tiles/:z/:x/:tail', schema, tile);

  app.get('/stac/mosaic/point/:lonlat', schema, async (req) => {
    const nums = (req.params as { lonlat: string }).lonlat.split(',').map(Number);
    const [lon, lat] = nums;
    if (nums.length !== 2 || !nums.every(Number.isFinite) || Math.abs(lon) > 180 || Math.abs(lat) > 90) throw badRequest('invalid point: expected {lon},{lat}');
    const q = req.query as Query;
    const assets = parseAssets(q.assets);
    const d = 1e-7;
    const geometry: Polygon = { type: 'Polygon', coordinates: [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]] };
    const items = await searchItems(requireUrl(q.url), parseStacQuery(last(q.query)), geometry, { maxItems: maxItems(q.max_items, config.mosaicMaxItems), signal: req.abortSignal }, config);
    const bidx = parseBidx(q.bidx, 65535)?.map((b) => b - 1);
    const values = [];
    for (const item of items) {
      for (const name of itemAssets(item, assets).found) {
        const header = await cogs.header(await assetHref(item, name, config, { signal: req.abortSignal }), req.abortSignal);
        const bands = bandsToRead(header, bidx, `asset ${name} of ${item.id}`);
        const v = await readPoint(cogs, header, lon, lat, bands, parseNodata(q.nodata), req.abortSignal);
        if (v) values.push({ item: item.id, asset: name, values: v, band_names: bands.map((b) => `b${b + 1}`) });
      }
    }
    if (values.length === 0) throw notFound(`no item has data at ${lon},${lat}`);
    return { coordinates: [lon, lat], values };
  });
}

const last = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v);

/** Asset names (the client's) and item ids (the STAC API's) may hold any character: percent-encode all but printable ASCII. */
const headerValue = (s: string) =>
  s.replace(/[^\x20-\x7e]/gu, (c) => Array.from(Buffer.from(c, 'utf8'), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));

function maxItems(v: string | string[] | undefined, limit: number): number {
  const s = last(v);
  if (s === undefined || s === '') return limit;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw badRequest(`invalid max_items ${JSON.stringify(s)}`);
  return Math.min(n, limit);
}

const mosaicQuerySchema = {
  type: 'object',
  properties: {
    url: { type: 'string', description: 'STAC API item-search endpoint (…/search)' },
    query: { type: 'string', description: 'JSON merged into the search body (the server adds the tile as intersects)' },
    assets: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'Asset names, comma-separated or repeated' },
    pixel_selection: { type: 'string', description: 'first (default), highest, lowest, mean, median, stdev, count, lastbandlow, lastbandhigh' },
    max_items: { type: 'string', description: 'Most items to use (capped by MOSAIC_MAX_ITEMS)' },
  },
  additionalProperties: true,
} as const;
