import type { FastifyInstance } from 'fastify';
import { DEMO_DATA_DIR } from '../../paths.js';

/**
 * `/`: what the server offers, with example links that work on the bundled demo data
 * (test/fixtures/cog: an RGB COG with an internal mask and a float32 DEM in EPSG:2056).
 */
const RGB = `${DEMO_DATA_DIR}riotiler-cog_uint8_rgb_mask_4326.tif`;
const DEM = `${DEMO_DATA_DIR}titiler-dem_float32_epsg2056.tif`;

const examples = (): Array<[string, string]> => {
  const rgb = encodeURIComponent(RGB);
  const dem = encodeURIComponent(DEM);
  return [
    ['RGB COG: info', `/cog/info?url=${rgb}`],
    ['RGB COG: TileJSON', `/cog/WebMercatorQuad/tilejson.json?url=${rgb}`],
    ['RGB COG: PNG tile', `/cog/tiles/WebMercatorQuad/7/64/64.png?url=${rgb}`],
    ['RGB COG: 512 px JPEG tile', `/cog/tiles/WebMercatorQuad/7/64/64@2x.jpg?url=${rgb}`],
    ['RGB COG: kepler.gl npy tile', `/cog/tiles/WebMercatorQuad/7/64/64.npy?url=${rgb}&bidx=1&bidx=2&bidx=3&return_mask=true`],
    ['RGB COG: point', `/cog/point/1.28,-1.28?url=${rgb}`],
    ['RGB COG: bbox', `/cog/bbox/0.5,-2,2,-0.5/256x256.png?url=${rgb}`],
    ['DEM COG (EPSG:2056): info', `/cog/info?url=${dem}`],
    ['DEM COG: hillshade-free colormap tile', `/cog/tiles/WebMercatorQuad/14/8515/5833.png?url=${dem}&rescale=1600,1800&colormap_name=terrain&resampling=bilinear`],
    ['DEM COG: float32 npy tile', `/cog/tiles/WebMercatorQuad/14/8515/5833.npy?url=${dem}`],
    ['DEM COG: point', `/cog/point/7.098,45.922?url=${dem}`],
    ['DEM COG: terrain mesh (quantized-mesh)', `/mesh/tiles/15/17030/11667.terrain?url=${dem}&mesh_max_error=2`],
    ['Terrain for CesiumJS: layer.json', `/mesh/layer.json?url=${dem}&mesh_max_error=2`],
  ];
};

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function landingPage(app: FastifyInstance) {
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    const items = examples().map(([label, href]) => `<li><a href="${escape(href)}">${escape(label)}</a> <code>${escape(decodeURIComponent(href))}</code></li>`);
    reply.type('text/html; charset=utf-8').send(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kepler-raster-server</title>
<style>body{font:15px system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}code{color:#555;font-size:12px;word-break:break-all}li{margin:.4em 0}</style>
</head><body>
<h1>kepler-raster-server</h1>
<p class="viewer"><a href="/viewer"><strong>Open the map viewer</strong></a> (the demo COGs on a MapLibre map, with controls and tile timings) · <a href="/viewer/mesh-example">mesh a Terrarium tile in the browser with the WASM kernels</a></p>
<p>TiTiler-compatible raster tiles for kepler.gl, resampled in WebAssembly. API: <a href="/docs">/docs</a> (OpenAPI: <a href="/openapi.json">/openapi.json</a>), health: <a href="/healthz">/healthz</a>.</p>
<h2>Endpoints</h2>
<ul>
<li><code>/cog/tiles/{tileMatrixSetId}/{z}/{x}/{y}[@{scale}x][.{format}]</code> and <code>/cog/tiles/{z}/{x}/{y}…</code>: formats npy, png, jpeg, jpg, webp</li>
<li><code>/cog/info</code>, <code>/cog/tilejson.json</code>, <code>/cog/{tileMatrixSetId}/tilejson.json</code></li>
<li><code>/cog/point/{lon},{lat}</code>, <code>/cog/bbox/{minx},{miny},{maxx},{maxy}[/{w}x{h}].{format}</code></li>
<li><code>/mesh/tiles/{z}/{x}/{y}.terrain</code> (kepler.gl), <code>/mesh/layer.json</code> and <code>/mesh/cesium/{z}/{x}/{y}.terrain</code> (CesiumJS): quantized-mesh terrain</li>
</ul>
<p>Parameters: <code>url</code>, <code>bidx</code>, <code>nodata</code>, <code>resampling</code>, <code>rescale</code>, <code>colormap_name</code>, <code>return_mask</code>.</p>
<h2>Examples on the bundled demo data</h2>
<ul>${items.join('\n')}</ul>
</body></html>`);
  });
}
