import type { ServerConfig } from '../config.js';
import { badRequest } from '../server/errors.js';

/**
 * What the `url` of a /mesh request names: `terrarium` (the configured Terrarium tile template),
 * any `{z}/{x}/{y}` PNG template with an `encoding`, or a DEM COG read through the COG pipeline.
 */
export type ElevationEncoding = 'terrarium' | 'mapbox';

export type TerrainSource =
  | { kind: 'png'; template: string; encoding: ElevationEncoding }
  | { kind: 'cog'; url: string };

export function resolveTerrainSource(url: string, encoding: string | undefined, config: Pick<ServerConfig, 'terrariumUrlTemplate'>): TerrainSource {
  if (url === 'terrarium') return { kind: 'png', template: config.terrariumUrlTemplate, encoding: 'terrarium' };
  if (url === 'mapbox') throw badRequest('url=mapbox needs a {z}/{x}/{y} template with encoding=mapbox');
  const isTemplate = url.includes('{z}') && url.includes('{x}') && url.includes('{y}');
  if (isTemplate) {
    const enc = encoding ?? 'terrarium';
    if (enc !== 'terrarium' && enc !== 'mapbox') throw badRequest(`invalid encoding ${JSON.stringify(enc)}: use terrarium or mapbox`);
    return { kind: 'png', template: url, encoding: enc };
  }
  return { kind: 'cog', url };
}

/** The URL of tile z/x/y from a template (`{z}`, `{x}`, `{y}`, and `{-y}` for TMS rows). */
export function tileUrl(template: string, z: number, x: number, y: number): string {
  return template
    .replaceAll('{z}', String(z))
    .replaceAll('{x}', String(x))
    .replaceAll('{-y}', String(2 ** z - 1 - y))
    .replaceAll('{y}', String(y));
}
