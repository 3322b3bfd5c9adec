/**
 * JSON schemas of route parameters: they validate nothing beyond types (the parsers in
 * query-params.ts give the precise 400s) but describe the API in /openapi.json.
 */
const str = (description: string) => ({ type: 'string', description });

export const tileParamsSchema = {
  type: 'object',
  properties: {
    tms: str('Tile matrix set identifier (WebMercatorQuad)'),
    z: str('Zoom level'),
    x: str('Column'),
    tail: str('Row, with optional @{scale}x (1..4) and .{format} (npy, png, jpeg, jpg, webp)'),
  },
} as const;

export const layerQuerySchema = {
  type: 'object',
  properties: {
    url: str('Dataset URL: local path under an allowed root, http(s):// or s3://'),
    bidx: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: '1-based band indexes, repeated or comma-separated' },
    nodata: str('Nodata value (number or nan), overrides the dataset\'s'),
    resampling: { type: 'string', enum: ['nearest', 'bilinear', 'cubic'], description: 'Resampling method (default nearest)' },
    rescale: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: '"min,max" per band' },
    colormap_name: str('Colormap for a single band (viridis, magma, inferno, plasma, cividis, turbo, greys, gray, terrain)'),
    return_mask: str('Append the mask (npy: last band, images: alpha). Default true'),
  },
  additionalProperties: true,
} as const;
