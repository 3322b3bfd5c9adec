import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { fixture, parseNpy, q, testApp } from '../helpers/app.js';

const RGB = fixture('riotiler-cog_uint8_rgb_mask_4326.tif');
const DEM = fixture('titiler-dem_float32_epsg2056.tif');
const NAN = fixture('titiler-cog_with_nan_float32_4326.tif');

let app: FastifyInstance;
beforeAll(async () => { app = await testApp(); });
afterAll(async () => { await app.close(); });

describe('/cog/tiles as kepler.gl asks for them', () => {
  it('answers an npy tile with the bands and the mask as the last band', async () => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64.npy?${q({ url: RGB, bidx: [1, 2, 3], return_mask: 'true' })}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-binary');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['cache-control']).toBe('public, max-age=3600');
    const npy = await parseNpy(res.rawPayload);
    expect(npy.descr).toBe('|u1');
    expect(npy.shape).toEqual([4, 256, 256]);
    const mask = Array.from(npy.data).slice(3 * 65536);
    expect(mask.every((v) => v === 0 || v === 255)).toBe(true);
    expect(mask.filter((v) => v === 255).length).toBeGreaterThan(1000);
  });

  it('accepts the comma form of bidx and return_mask=false', async () => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64.npy?${q({ url: RGB, bidx: '1,2', return_mask: 'false' })}`);
    expect(res.statusCode).toBe(200);
    expect((await parseNpy(res.rawPayload)).shape).toEqual([2, 256, 256]);
  });

  it('keeps float32 and NaN nodata in npy', async () => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/14/8515/5833.npy?${q({ url: DEM })}`);
    expect(res.statusCode).toBe(200);
    const npy = await parseNpy(res.rawPayload);
    expect(npy.descr).toBe('<f4');
    expect(npy.shape).toEqual([2, 256, 256]);
  });

  it('serves 512 px tiles for @2x and compresses npy when asked', async () => {
    const res = await app.inject({ url: `/cog/tiles/7/64/64@2x.npy?${q({ url: RGB })}`, headers: { 'accept-encoding': 'gzip' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    const { gunzipSync } = await import('node:zlib');
    expect((await parseNpy(gunzipSync(res.rawPayload))).shape).toEqual([4, 512, 512]);
  });

  it('picks png when pixels are masked and jpeg when none is', async () => {
    const edge = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64?${q({ url: RGB })}`);
    expect(edge.statusCode).toBe(200);
    expect(edge.headers['content-type']).toBe('image/png');
    const inside = await app.inject(`/cog/tiles/WebMercatorQuad/14/8515/5833?${q({ url: DEM, rescale: '1600,1800' })}`);
    expect(inside.headers['content-type']).toMatch(/^image\/(jpeg|png)$/);
  });

  it.each([
    ['png', 'image/png'], ['jpeg', 'image/jpeg'], ['jpg', 'image/jpg'], ['webp', 'image/webp'],
  ])('encodes %s', async (format, type) => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/7/64/64.${format}?${q({ url: RGB })}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.rawPayload.length).toBeGreaterThan(100);
  });

  it('applies rescale and a colormap to a float DEM', async () => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/14/8515/5833.png?${q({ url: DEM, rescale: '1600,1800', colormap_name: 'viridis' })}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
  });

  it('answers an all-masked tile inside the bounds with NaN data', async () => {
    const res = await app.inject(`/cog/tiles/WebMercatorQuad/8/128/127.npy?${q({ url: NAN })}`);
    expect([200, 404]).toContain(res.statusCode);
  });
});

describe('/cog errors', () => {
  const get = (path: string) => app.inject(path);
  it.each([
    ['bad z', `/cog/tiles/WebMercatorQuad/99/0/0.png?url=${encodeURIComponent(RGB)}`, 400, /invalid tile/],
    ['x out of range', `/cog/tiles/WebMercatorQuad/2/4/0.png?url=${encodeURIComponent(RGB)}`, 400, /invalid tile/],
    ['unknown format', `/cog/tiles/WebMercatorQuad/7/64/64.gif?url=${encodeURIComponent(RGB)}`, 400, /format/],
    ['unknown tile matrix set', `/cog/tiles/LINZAntarticaMapTilegrid/7/64/64.png?url=${encodeURIComponent(RGB)}`, 404, /WebMercatorQuad/],
    ['outside the bounds', `/cog/tiles/WebMercatorQuad/7/10/10.png?url=${encodeURIComponent(RGB)}`, 404, /outside/],
    ['bad bidx', `/cog/tiles/WebMercatorQuad/7/64/64.png?url=${encodeURIComponent(RGB)}&bidx=9`, 400, /bidx/],
    ['bad resampling', `/cog/tiles/WebMercatorQuad/7/64/64.png?url=${encodeURIComponent(RGB)}&resampling=magic`, 400, /resampling/],
    ['bad rescale', `/cog/tiles/WebMercatorQuad/7/64/64.png?url=${encodeURIComponent(RGB)}&rescale=1`, 400, /rescale/],
    ['bad colormap', `/cog/tiles/WebMercatorQuad/7/64/64.png?url=${encodeURIComponent(RGB)}&bidx=1&colormap_name=nope`, 400, /colormap/],
    ['missing url', `/cog/tiles/WebMercatorQuad/7/64/64.png`, 400, /url/],
    ['forbidden url', `/cog/info?url=${encodeURIComponent('/etc/passwd')}`, 403, /not allowed|SOURCE_ALLOWLIST/],
    ['missing file', `/cog/info?url=${encodeURIComponent(fixture('nope.tif'))}`, 404, /not found/i],
    ['unknown route', `/cog/nothing`, 404, /not found/],
  ])('%s', async (_name, path, status, detail) => {
    const res = await get(path);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.json().detail).toMatch(detail);
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });
});

describe('/cog metadata', () => {
  it('info', async () => {
    const res = await app.inject(`/cog/info?${q({ url: DEM })}`);
    expect(res.statusCode).toBe(200);
    const info = res.json();
    expect(info).toMatchObject({ dtype: 'float32', count: 1, width: 400, height: 400, nodata_value: -9999, crs: 'http://www.opengis.net/def/crs/EPSG/0/2056' });
  });

  it('tilejson points at the tile route with the layer parameters', async () => {
    const res = await app.inject({ url: `/cog/WebMercatorQuad/tilejson.json?${q({ url: RGB, bidx: [1, 2, 3], tile_format: 'png' })}`, headers: { host: 'example.test' } });
    expect(res.statusCode).toBe(200);
    const tj = res.json();
    expect(tj.tiles[0]).toMatch(/^http:\/\/example\.test\/cog\/tiles\/WebMercatorQuad\/\{z\}\/\{x\}\/\{y\}\.png\?url=.*bidx=1&bidx=2&bidx=3/);
    expect(tj.bounds[0]).toBeCloseTo(0, 5);
    expect(tj.bounds[2]).toBeCloseTo(2.56, 5);
  });

  it('point reads the pixel value (DEM)', async () => {
    const res = await app.inject(`/cog/point/7.098,45.922?${q({ url: DEM })}`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.coordinates).toEqual([7.098, 45.922]);
    expect(body.values).toHaveLength(1);
    expect(typeof body.values[0]).toBe('number');
  });

  it('point outside the dataset is 404', async () => {
    const res = await app.inject(`/cog/point/-100,40?${q({ url: DEM })}`);
    expect(res.statusCode).toBe(404);
  });

  it('bbox renders an image of the asked size', async () => {
    const res = await app.inject(`/cog/bbox/0.5,-2,2,-0.5/128x64.npy?${q({ url: RGB })}`);
    expect(res.statusCode).toBe(200);
    expect((await parseNpy(res.rawPayload)).shape).toEqual([4, 64, 128]);
  });

  it('healthz, openapi and docs', async () => {
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const spec = (await app.inject('/openapi.json')).json();
    expect(Object.keys(spec.paths)).toContain('/cog/info');
    expect((await app.inject('/docs/')).statusCode).toBeLessThan(400);
  });
});

describe('/cog/bbox in the dataset CRS (TiTiler: coord_crs, dst_crs)', () => {
  it('a box on the DEM pixel grid, in EPSG:2056, is the source window itself', async () => {
    const { fromFile } = await import('geotiff');
    const image = await (await fromFile(DEM)).getImage();
    const [src] = (await image.readRasters({ window: [100, 40, 164, 72] })) as unknown as Float32Array[];
    // origin (2573000, 1086000), 2.5 m pixels: columns 100..164, rows 40..72
    const box = [2573000 + 100 * 2.5, 1086000 - 72 * 2.5, 2573000 + 164 * 2.5, 1086000 - 40 * 2.5].join(',');
    const res = await app.inject(`/cog/bbox/${box}/64x32.npy?${q({ url: DEM, coord_crs: 'EPSG:2056' })}`);
    expect(res.statusCode).toBe(200);
    const npy = await parseNpy(res.rawPayload);
    expect(npy.shape).toEqual([2, 32, 64]);
    expect(Array.from(npy.data).slice(0, 64 * 32)).toEqual(Array.from(src));
  });

  it('rejects an unknown CRS', async () => {
    const res = await app.inject(`/cog/bbox/0,0,1,1.png?${q({ url: DEM, dst_crs: 'EPSG:999999' })}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/dst_crs/);
  });
});
