import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../../config.js';
import { parseAcceptExtensions } from '../../kernels/quantized-mesh.js';
import type { MeshOrientation, MeshQuantizer } from '../../mesh/mesh-task.js';
import { resolveTerrainSource } from '../../mesh/terrain-source.js';
import type { TerrainReader } from '../../mesh/terrain-reader.js';
import { badRequest } from '../errors.js';
import { parseTileParams, requireUrl } from '../query-params.js';

/**
 * /mesh: quantized-mesh terrain tiles. `/mesh/tiles/...` answers kepler.gl (v = 0 at the north edge,
 * what it decodes); `/mesh/layer.json` and `/mesh/cesium/...` describe and serve the same tiles for
 * CesiumJS in the spec orientation (v = 0 south).
 */
type Query = Record<string, string | string[] | undefined>;

export const MEDIA_TYPE = 'application/vnd.quantized-mesh';
export const DEFAULT_QUANTIZER: MeshQuantizer = 'martini';
const MAX_ZOOM_TERRAIN = 22;

const last = (v: string | string[] | undefined) => (Array.isArray(v) ? v[v.length - 1] : v);

export function meshRoutes(app: FastifyInstance, opts: { terrain: TerrainReader; config: ServerConfig }) {
  const { terrain, config } = opts;

  const tile = (orientation: MeshOrientation) => async (req: FastifyRequest, reply: FastifyReply) => {
    const { tile: t, scale, format } = parseTileParams(req.params as { z: string; x: string; tail: string });
    if (format !== 'terrain') throw badRequest(`invalid format ${JSON.stringify(format ?? '')}: terrain tiles end in .terrain`);
    if (scale !== 1 && scale !== 2 && scale !== 4) throw badRequest(`invalid scale ${scale}: terrain tiles are @1x, @2x or @4x (257, 513 or 1025 grid points a side)`);
    if (t.z > MAX_ZOOM_TERRAIN) throw badRequest(`invalid tile ${t.z}/${t.x}/${t.y}: terrain goes to zoom ${MAX_ZOOM_TERRAIN}`);
    const q = req.query as Query;
    const body = await terrain.mesh({
      source: resolveTerrainSource(requireUrl(q.url), last(q.encoding), config),
      tile: t,
      scale,
      maxError: parseMaxError(last(q.mesh_max_error)),
      quantizer: parseQuantizer(last(q.mesh_quantizer)),
      orientation,
      extensions: parseAcceptExtensions(req.headers.accept),
      signal: req.abortSignal,
    });
    reply.header('content-type', MEDIA_TYPE).header('cache-control', config.tileCacheControl).header('vary', 'Accept');
    return reply.send(Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  };

  const schema = { schema: { tags: ['Terrain'], querystring: meshQuerySchema } };
  app.get('/mesh/tiles/:z/:x/:tail', schema, tile('kepler'));
  app.get('/mesh/cesium/:z/:x/:tail', schema, tile('spec'));

  app.get('/mesh/layer.json', schema, async (req) => {
    const q = req.query as Query;
    requireUrl(q.url);
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) for (const item of Array.isArray(v) ? v : v === undefined ? [] : [v]) params.append(k, item);
    const maxzoom = 15;
    return {
      tilejson: '2.1.0',
      name: 'kepler-raster-server terrain',
      version: '1.0.0',
      format: 'quantized-mesh-1.0',
      scheme: 'slippyMap',
      projection: 'EPSG:3857',
      tiles: [`cesium/{z}/{x}/{y}.terrain?${params.toString()}`],
      minzoom: 0,
      maxzoom,
      bounds: [-180, -85.05112877980659, 180, 85.05112877980659],
      extensions: ['octvertexnormals', 'metadata'],
      available: Array.from({ length: maxzoom + 1 }, (_, z) => [{ startX: 0, startY: 0, endX: 2 ** z - 1, endY: 2 ** z - 1 }]),
    };
  });
}

function parseMaxError(s: string | undefined): number {
  if (s === undefined || s === '') return 10;
  const v = Number(s);
  if (!Number.isFinite(v) || v <= 0 || v > 10000) throw badRequest(`invalid mesh_max_error ${JSON.stringify(s)}: a number of metres > 0`);
  return v;
}

function parseQuantizer(s: string | undefined): MeshQuantizer {
  if (s === undefined || s === '') return DEFAULT_QUANTIZER;
  if (s !== 'martini' && s !== 'delatin') throw badRequest(`invalid mesh_quantizer ${JSON.stringify(s)}: use martini or delatin`);
  return s;
}

const meshQuerySchema = {
  type: 'object',
  properties: {
    url: { type: 'string', description: '`terrarium`, a {z}/{x}/{y} PNG template, or a DEM COG' },
    encoding: { type: 'string', enum: ['terrarium', 'mapbox'], description: 'Elevation encoding of a PNG template (default terrarium)' },
    mesh_max_error: { type: 'string', description: 'Maximum error in metres (default 10)' },
    mesh_quantizer: { type: 'string', enum: ['martini', 'delatin'], description: 'Mesher (default martini)' },
  },
  additionalProperties: true,
} as const;
