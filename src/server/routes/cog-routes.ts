import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CogHeader } from '../../cog/cog-header.js';
import type { CogReader } from '../../cog/cog-reader.js';
import type { ServerConfig } from '../../config.js';
import type { OutputOptions } from '../../tiling/render-output.js';
import { transformBounds, WGS84 } from '../../tiling/crs.js';
import { intersectsDataset, planRaster, planTile, type RasterPlan } from '../../tiling/tile-plan.js';
import { TILE_MATRIX_SET_ID, tileBoundsMercator, type Bounds } from '../../tiling/web-mercator.js';
import { badRequest, notFound } from '../errors.js';
import {
  parseBidx, parseCrs, parseOutputOptions, parseNodata, parseResampling, parseTileParams, requireUrl,
} from '../query-params.js';
import { cogInfo, cogTileJson } from './cog-metadata.js';
import { readPoint } from '../../cog/read-point.js';
import { bandsToRead } from '../../cog/bands.js';
import { checkOutputSize } from '../request-limits.js';
import { layerQuerySchema, tileParamsSchema } from './schemas.js';

/**
 * /cog: TiTiler's COG endpoints (tiles, info, tilejson, point, bbox). Routes validate and parse;
 * the CogReader does the I/O and the worker pool the pixels.
 */
type Query = Record<string, string | string[] | undefined>;

export function cogRoutes(app: FastifyInstance, opts: { reader: CogReader; config: ServerConfig }) {
  const { reader, config } = opts;

  const tile = async (req: FastifyRequest, reply: FastifyReply) => {
    const { tile: t, scale, format } = parseTileParams(req.params as { tms?: string; z: string; x: string; tail: string });
    const q = req.query as Query;
    const layer = await layerOptions(q, format, req);
    const header = await reader.header(layer.url, signalOf(req));
    if (!intersectsDataset(header, tileBoundsMercator(t))) throw notFound(`tile ${t.z}/${t.x}/${t.y} is outside the bounds of the dataset`);
    const plan = planTile(header, t, 256 * scale, layer.resampling);
    await send(reply, header, plan ?? emptyPlan(256 * scale, 256 * scale), layer, req);
  };

  const tileSchema = { schema: { params: tileParamsSchema, querystring: layerQuerySchema, tags: ['COG'] } };
  app.get('/cog/tiles/:tms/:z/:x/:tail', tileSchema, tile);
  app.get('/cog/tiles/:z/:x/:tail', tileSchema, tile);

  app.get('/cog/info', { schema: { querystring: layerQuerySchema, tags: ['COG'] } }, async (req) => {
    const url = requireUrl((req.query as Query).url);
    return cogInfo(await reader.header(url, signalOf(req)));
  });

  const tilejson = async (req: FastifyRequest) => {
    const q = req.query as Query;
    const header = await reader.header(requireUrl(q.url), signalOf(req));
    return cogTileJson(header, req, q);
  };
  app.get('/cog/tilejson.json', { schema: { querystring: layerQuerySchema, tags: ['COG'] } }, tilejson);
  app.get('/cog/:tms/tilejson.json', { schema: { querystring: layerQuerySchema, tags: ['COG'] } }, async (req) => {
    const { tms } = req.params as { tms: string };
    if (tms !== TILE_MATRIX_SET_ID) throw notFound(`unknown tile matrix set ${JSON.stringify(tms)}: supported: ${TILE_MATRIX_SET_ID}`);
    return tilejson(req);
  });

  app.get('/cog/point/:lonlat', { schema: { querystring: layerQuerySchema, tags: ['COG'] } }, async (req) => {
    const [lon, lat] = parseNumbers((req.params as { lonlat: string }).lonlat, 2, 'lon,lat');
    if (Math.abs(lon) > 180 || Math.abs(lat) > 90) throw badRequest(`invalid point ${lon},${lat}`);
    const q = req.query as Query;
    const header = await reader.header(requireUrl(q.url), signalOf(req));
    const bands = bandsOf(header, q.bidx);
    const values = await readPoint(reader, header, lon, lat, bands, parseNodata(q.nodata), signalOf(req));
    if (!values) throw notFound(`point ${lon},${lat} is outside the bounds of the dataset`);
    return {
      coordinates: [lon, lat],
      values,
      band_names: bands.map((b) => `b${b + 1}`),
    };
  });

  const bbox = async (req: FastifyRequest, reply: FastifyReply) => {
    const { coords, size } = req.params as { coords: string; size?: string };
    const tail = size ?? coords;
    const dot = tail.lastIndexOf('.');
    if (dot < 0) throw badRequest('missing format: /bbox/{minx},{miny},{maxx},{maxy}[/{w}x{h}].{format}');
    const format = tail.slice(dot + 1);
    const bbox = parseNumbers(size ? coords : coords.slice(0, dot), 4, 'minx,miny,maxx,maxy') as Bounds;
    if (!(bbox[0] < bbox[2] && bbox[1] < bbox[3])) throw badRequest('invalid bbox: expected minx < maxx and miny < maxy');
    const q = req.query as Query;
    const layer = await layerOptions(q, format, req);
    const header = await reader.header(layer.url, signalOf(req));
    // TiTiler: the box is in coord_crs (WGS84), the image in dst_crs (the dataset's CRS)
    const outCrs = parseCrs(q.dst_crs, 'dst_crs') ?? header.crs;
    const bounds = transformBounds(bbox, parseCrs(q.coord_crs, 'coord_crs') ?? WGS84, outCrs);
    const data = transformBounds(header.bounds, header.crs, outCrs);
    if (!(bounds[0] < data[2] && bounds[2] > data[0] && bounds[1] < data[3] && bounds[3] > data[1])) {
      throw notFound('bbox is outside the bounds of the dataset');
    }
    const [w, h] = size ? parseSize(size.slice(0, size.lastIndexOf('.'))) : nativeSize(header, data, bounds);
    const plan = planRaster(header, bounds, w, h, layer.resampling, outCrs);
    await send(reply, header, plan ?? emptyPlan(w, h), layer, req);
  };
  app.get('/cog/bbox/:coords', { schema: { querystring: layerQuerySchema, tags: ['COG'] } }, bbox);
  app.get('/cog/bbox/:coords/:size', { schema: { querystring: layerQuerySchema, tags: ['COG'] } }, bbox);

  interface Layer { url: string; output: OutputOptions; resampling: ReturnType<typeof parseResampling>; nodata?: number; bidx: Query[string] }

  async function layerOptions(q: Query, format: string | undefined, req: FastifyRequest): Promise<Layer> {
    const output = parseOutputOptions(q, format, req.headers['accept-encoding']);
    return { url: requireUrl(q.url), output, resampling: parseResampling(q.resampling), nodata: parseNodata(q.nodata), bidx: q.bidx };
  }

  async function send(reply: FastifyReply, header: CogHeader, plan: RasterPlan, layer: Layer, req: FastifyRequest) {
    const bands = bandsOf(header, layer.bidx);
    checkOutputSize(plan.width, plan.height, bands.length);
    if (layer.output.colormap && bands.length !== 1) throw badRequest('colormap_name needs a single band (use bidx)');
    const result = await reader.render(header, plan, { bands, resampling: layer.resampling, nodata: layer.nodata, output: layer.output, signal: signalOf(req) });
    const r = result.rendered!;
    reply.header('content-type', r.contentType).header('cache-control', config.tileCacheControl);
    if (layer.output.format === 'npy') reply.header('vary', 'Accept-Encoding');
    if (r.contentEncoding) reply.header('content-encoding', r.contentEncoding);
    return reply.send(Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength));
  }
}

/** 0-based samples: from bidx, or every sample but alpha. */
function bandsOf(header: CogHeader, bidx: Query[string]): number[] {
  return bandsToRead(header, parseBidx(bidx, header.samples)?.map((b) => b - 1));
}

/** A plan that reads nothing and masks every pixel: a tile inside the bounds with no data. */
function emptyPlan(width: number, height: number): RasterPlan {
  const step = 1;
  const grid = new Float64Array((width / step + 1) * (height / step + 1) * 2).fill(-1e9);
  return { level: 0, window: { col: 0, row: 0, width: 1, height: 1, decimation: 1 }, grid, gridStep: step, width, height, blocks: [] };
}

function parseNumbers(s: string, count: number, what: string): number[] {
  const nums = s.split(',').map(Number);
  if (nums.length !== count || !nums.every(Number.isFinite)) throw badRequest(`invalid ${what}: ${JSON.stringify(s)}`);
  return nums;
}

function parseSize(s: string): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(s);
  const w = Number(m?.[1]), h = Number(m?.[2]);
  if (!m || w < 1 || h < 1 || w > 4096 || h > 4096) throw badRequest(`invalid size ${JSON.stringify(s)}: expected {w}x{h}, 1 to 4096`);
  return [w, h];
}

/** Without a size, TiTiler reads the bbox at the native resolution; capped at 1024 a side. */
function nativeSize(header: CogHeader, data: Bounds, b: Bounds): [number, number] {
  const resX = (data[2] - data[0]) / header.width;
  const resY = (data[3] - data[1]) / header.height;
  const w = (b[2] - b[0]) / resX;
  const h = (b[3] - b[1]) / resY;
  const scale = Math.min(1, 1024 / Math.max(w, h));
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
}

function signalOf(req: FastifyRequest): AbortSignal | undefined {
  return req.abortSignal;
}
