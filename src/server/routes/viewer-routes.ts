import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { DEMO_DATA_DIR, PACKAGE_ROOT } from '../../paths.js';
import { notFound } from '../errors.js';

/**
 * The viewer (a MapLibre GL JS map of /cog tiles) and the browser build of the kernels, served by
 * the server itself (no CDN):
 *   /viewer, /viewer/mesh-example      the pages (src/viewer/*.html)
 *   /viewer/maplibre-gl.{js,css}       MapLibre GL JS from node_modules
 *   /wasm/kernels.wasm                 build/kernels.wasm, the file the workers load
 *   /wasm/js/src/{browser,kernels,mesh,tiling,viewer}/*.js   the compiled ESM modules (build/js/src)
 *   /viewer/demo/terrarium/11/385/803.png   a bundled Terrarium tile (test/fixtures/terrain)
 * /wasm/ mirrors build/, so `kepler-raster-server/wasm` finds ../../../kernels.wasm as it does on disk.
 */
const BUILD = join(PACKAGE_ROOT, 'build');
const VIEWER_SRC = join(PACKAGE_ROOT, 'src', 'viewer');
/** Compiled directories a page may load: browser-safe code only. */
const BROWSER_DIRS = ['browser', 'kernels', 'mesh', 'tiling', 'viewer'];
/** Node-only modules inside those directories. */
const NODE_ONLY = new Set(['kernels/load-node.js']);
const TERRARIUM_DEMO = join(PACKAGE_ROOT, 'test', 'fixtures', 'terrain', 'pymartini_terrarium_11_385_803.png');

const RGB = `${DEMO_DATA_DIR}riotiler-cog_uint8_rgb_mask_4326.tif`;
const DEM = `${DEMO_DATA_DIR}titiler-dem_float32_epsg2056.tif`;

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
};

function maplibreDist(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('maplibre-gl'));
}

async function sendFile(reply: FastifyReply, path: string, cache = 'no-cache') {
  const ext = path.slice(path.lastIndexOf('.'));
  const body = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'EISDIR') throw notFound(`not found: ${path.slice(PACKAGE_ROOT.length)}`);
    throw err;
  });
  return reply.type(TYPES[ext] ?? 'application/octet-stream').header('cache-control', cache).send(body);
}

/** The demo datasets the viewer offers, with where to look. */
export const VIEWER_DATASETS = [
  { id: 'rgb', label: 'Demo RGB COG (EPSG:4326, internal mask)', url: RGB, params: {} },
  { id: 'dem', label: 'Demo DEM COG (float32, EPSG:2056)', url: DEM, params: { rescale: '1600,1800', colormap_name: 'terrain', resampling: 'bilinear' } },
];

export function viewerRoutes(app: FastifyInstance) {
  let dist: string | undefined;
  const page = (name: string) => async (_req: unknown, reply: FastifyReply) => {
    const html = await readFile(join(VIEWER_SRC, name), 'utf8');
    return reply.type(TYPES['.html']!).header('cache-control', 'no-cache').send(html.replace('__DATASETS__', JSON.stringify(VIEWER_DATASETS).replace(/</g, '\\u003c')));
  };
  const hide = { schema: { hide: true } };
  app.get('/viewer', hide, page('index.html'));
  app.get('/viewer/', hide, page('index.html'));
  app.get('/viewer/mesh-example', hide, page('mesh-example.html'));
  app.get('/viewer/viewer.css', hide, (_req, reply) => sendFile(reply, join(VIEWER_SRC, 'viewer.css')));
  app.get('/viewer/maplibre-gl.:ext', hide, (req, reply) => {
    const { ext } = req.params as { ext: string };
    if (ext !== 'js' && ext !== 'css' && ext !== 'js.map') throw notFound(`not found: ${req.url}`);
    dist ??= maplibreDist();
    return sendFile(reply, join(dist, `maplibre-gl.${ext}`), 'public, max-age=3600');
  });
  app.get('/viewer/demo/terrarium/11/385/803.png', hide, (_req, reply) => sendFile(reply, TERRARIUM_DEMO, 'public, max-age=3600'));
  app.get('/wasm/kernels.wasm', hide, (_req, reply) => sendFile(reply, join(BUILD, 'kernels.wasm')));
  app.get('/wasm/js/src/*', hide, (req, reply) => {
    const rel = normalize((req.params as { '*': string })['*']);
    const [top] = rel.split(sep);
    if (rel.startsWith('..') || !BROWSER_DIRS.includes(top!) || NODE_ONLY.has(rel) || !/\.js(\.map)?$/.test(rel)) {
      throw notFound(`not found: ${req.url}`);
    }
    return sendFile(reply, join(BUILD, 'js', 'src', rel));
  });
}
