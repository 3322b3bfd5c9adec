import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tileMap, tileMapService, xmlEscape } from '../../cache/capabilities.js';
import type { TileAnswer, TileCache } from '../../cache/tile-cache.js';
import { extOf, metaTileOf, parseTileKey, validTile, xyzToTmsY, type TmsTile } from '../../cache/tms.js';
import { getMapRequest } from '../../cache/wms.js';
import { redactCredentials } from '../../sources/redact.js';
import { badRequest, notFound } from '../errors.js';

/**
 * The S3 tile cache's routes: the S3 website-redirect contract `/?tile=<key>` (and `&test` for the debug page),
 * `/tms/1.0.0/{layer}/{z}/{x}/{y}.{png|jpg}` (TMS rows), `/xyz/{layer}/{z}/{x}/{y}.{png|jpg}` (XYZ rows), the TMS
 * capabilities and `/heartbeat`. `/` without `tile` is left to the landing page.
 */
export function tileCacheRoutes(app: FastifyInstance, opts: { cache: TileCache }) {
  const { cache } = opts;
  const base = (req: FastifyRequest) => `${req.protocol}://${req.host}`;

  const send = (req: FastifyRequest, reply: FastifyReply, t: TileAnswer) => {
    reply.header('content-type', t.contentType).header('etag', t.etag).header('cache-control', t.cacheControl).header('x-tile-cache', t.source);
    if (req.headers['if-none-match'] === t.etag) return reply.status(304).send();
    return reply.send(Buffer.from(t.body.buffer, t.body.byteOffset, t.body.byteLength));
  };

  const tileFromKey = (key: string) => {
    const parsed = parseTileKey(key);
    if (!parsed) throw badRequest(`not a tile key: ${key}`);
    const layer = cache.layerForPrefix(parsed.prefix);
    if (!layer) throw notFound(`no layer has the prefix ${parsed.prefix || '(empty)'}`);
    if (!validTile(parsed.tile)) throw notFound(`no tile ${parsed.tile.z}/${parsed.tile.x}/${parsed.tile.y}`);
    return { layer, tile: parsed.tile };
  };

  const debugPage = (key: string) => {
    let rows: Array<[string, string]>;
    try {
      const { layer, tile } = tileFromKey(key);
      const meta = metaTileOf(tile.z, tile.x, tile.y, layer.metaSize);
      rows = [['tile', key], ['bucket', layer.bucket], ['layer', layer.name], ['WMS', redactCredentials(layer.wmsServer)], ['GetMap (meta-tile)', redactCredentials(getMapRequest(layer, meta).url)]];
    } catch (e) {
      rows = [['tile', key], ['error', (e as Error).message]];
    }
    const esc = xmlEscape;
    return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tile cache: ${esc(key)}</title></head><body>
<h1>Tile cache debug</h1>
<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(v)}</code></td></tr>`).join('')}</table>
<p><img src="/?tile=${esc(encodeURIComponent(key))}" alt="${esc(key)}" width="256" height="256"></p>
</body></html>
`;
  };

  // `/?tile=` belongs to the cache; `/` alone stays the landing page (a hook, as both share the route `/`)
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.url !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return;
    const query = req.query as Record<string, unknown>;
    if (query.tile === undefined) return;
    const key = String(Array.isArray(query.tile) ? query.tile[0] : query.tile);
    if ('test' in query) {
      return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(debugPage(key));
    }
    const { layer, tile } = tileFromKey(key);
    return send(req, reply, await cache.getTile(layer, tile));
  });

  app.get('/heartbeat', { schema: { hide: true } }, async (_req, reply) => reply.header('cache-control', 'no-store').type('text/plain').send('Success'));

  const service = async (req: FastifyRequest, reply: FastifyReply) =>
    reply.type('application/xml').send(tileMapService(cache.config.layers, base(req)));
  app.get('/tms/1.0.0', { schema: { hide: true } }, service);
  app.get('/tms/1.0.0/', { schema: { hide: true } }, service);

  app.get<{ Params: { layer: string } }>('/tms/1.0.0/:layer', { schema: { hide: true } }, async (req, reply) => {
    const layer = cache.layer(req.params.layer);
    if (!layer) throw notFound(`no layer ${req.params.layer}`);
    return reply.type('application/xml').send(tileMap(layer, base(req)));
  });

  const parseTile = (p: { z: string; x: string; file: string }, xyz: boolean): TmsTile => {
    const m = /^(\d+)\.([a-z]+)$/.exec(p.file);
    const ext = m ? extOf(m[2]) : undefined;
    if (!m || !ext || !/^\d+$/.test(p.z) || !/^\d+$/.test(p.x)) throw notFound(`not a tile: ${p.z}/${p.x}/${p.file}`);
    const t = { z: Number(p.z), x: Number(p.x), y: Number(m[1]), ext };
    if (!validTile(t)) throw notFound(`no tile ${t.z}/${t.x}/${t.y}`);
    return xyz ? { ...t, y: xyzToTmsY(t.z, t.y) } : t;
  };

  for (const [path, xyz] of [['/tms/1.0.0/:layer/:z/:x/:file', false], ['/xyz/:layer/:z/:x/:file', true]] as const) {
    app.get<{ Params: { layer: string; z: string; x: string; file: string } }>(path, { schema: { hide: true } }, async (req, reply) => {
      const layer = cache.layer(req.params.layer);
      if (!layer) throw notFound(`no layer ${req.params.layer}`);
      return send(req, reply, await cache.getTile(layer, parseTile(req.params, xyz)));
    });
  }
}
