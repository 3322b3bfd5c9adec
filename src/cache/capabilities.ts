/** OSGeo TMS 1.0.0 capabilities: the TileMapService document and one TileMap per layer. */
import type { CacheLayer } from './config.js';
import { lonLatToMercator, ORIGIN, resolution } from './tms.js';

export const xmlEscape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function tileMapService(layers: CacheLayer[], base: string): string {
  const maps = layers.map((l) => `    <TileMap title="${xmlEscape(l.name)}" srs="EPSG:3857" profile="global-mercator" href="${xmlEscape(`${base}/tms/1.0.0/${encodeURIComponent(l.name)}`)}" />`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<TileMapService version="1.0.0" services="${xmlEscape(`${base}/tms/`)}">
  <Title>kepler-raster-server tile cache</Title>
  <Abstract>TMS tiles rendered through WMS and cached on S3</Abstract>
  <TileMaps>
${maps.join('\n')}
  </TileMaps>
</TileMapService>
`;
}

export function tileMap(layer: CacheLayer, base: string): string {
  const [minx, miny, maxx, maxy] = lonLatToMercator(layer.bounds);
  const ext = layer.formats[0] ?? 'png';
  const mime = ext === 'png' ? 'image/png' : 'image/jpeg';
  const href = `${base}/tms/1.0.0/${encodeURIComponent(layer.name)}`;
  const sets: string[] = [];
  for (let z = layer.minZoom; z <= layer.maxZoom; z++) {
    sets.push(`    <TileSet href="${xmlEscape(`${href}/${z}`)}" units-per-pixel="${resolution(z)}" order="${z}" />`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<TileMap version="1.0.0" tilemapservice="${xmlEscape(`${base}/tms/1.0.0`)}">
  <Title>${xmlEscape(layer.name)}</Title>
  <Abstract>WMS layers ${xmlEscape(layer.wmsLayers)}; formats ${layer.formats.join(', ')}</Abstract>
  <SRS>EPSG:3857</SRS>
  <BoundingBox minx="${minx}" miny="${miny}" maxx="${maxx}" maxy="${maxy}" />
  <Origin x="${-ORIGIN}" y="${-ORIGIN}" />
  <TileFormat width="256" height="256" mime-type="${mime}" extension="${ext}" />
  <TileSets profile="global-mercator">
${sets.join('\n')}
  </TileSets>
</TileMap>
`;
}
