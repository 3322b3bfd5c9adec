import { describe, expect, it } from 'vitest';
import { buildTileCacheConfig, loadTileCacheConfig } from '../../src/cache/config.js';
import { metaTileOf, parseTileKey, tileInLayer, tileRange, tmsBounds, xyzToTmsY } from '../../src/cache/tms.js';
import { exceptionText, getMapRequest, hasMagic } from '../../src/cache/wms.js';
import { Limiter } from '../../src/cache/limiter.js';

describe('TMS geometry', () => {
  it('parses keys with any prefix depth', () => {
    expect(parseTileKey('1.0.0/tms-mercator-naip/17/20996/85306.jpg')).toEqual({ prefix: '1.0.0/tms-mercator-naip/', tile: { z: 17, x: 20996, y: 85306, ext: 'jpg' } });
    expect(parseTileKey('a/b/c/d/3/1/2.png')?.prefix).toBe('a/b/c/d/');
    expect(parseTileKey('3/1/2.jpeg')).toEqual({ prefix: '', tile: { z: 3, x: 1, y: 2, ext: 'jpg', keyExt: 'jpeg' } });
    expect(parseTileKey('3/1/2.PNG')?.tile.keyExt).toBe('PNG');
    expect(parseTileKey('x/3/1/2.gif')).toBeUndefined();
    expect(parseTileKey('x/3/1/2')).toBeUndefined();
    expect(parseTileKey('../3/1/2.png')?.prefix).toBe('../'); // only ever compared with configured prefixes
  });

  it('computes the spec bounds (TMS y from the south) and the XYZ row', () => {
    const b = tmsBounds(1, 0, 0);
    expect(b[0]).toBeCloseTo(-20037508.342789244, 6);
    expect(b[1]).toBeCloseTo(-20037508.342789244, 6);
    expect(b[2]).toBeCloseTo(0, 6);
    expect(b[3]).toBeCloseTo(0, 6);
    expect(xyzToTmsY(8, 128)).toBe(127);
  });

  it('meta-tiles align to the meta size and are clipped at the world edge', () => {
    expect(metaTileOf(8, 130, 127, 4)).toEqual({ z: 8, x0: 128, y0: 124, w: 4, h: 4 });
    expect(metaTileOf(1, 1, 0, 4)).toEqual({ z: 1, x0: 0, y0: 0, w: 2, h: 2 });
    expect(metaTileOf(0, 0, 0, 4)).toEqual({ z: 0, x0: 0, y0: 0, w: 1, h: 1 });
  });

  it('tile ranges and layer bounds', () => {
    expect(tileRange([0, -2.56, 2.56, 0], 8)).toEqual([128, 126, 129, 127]);
    const [layer] = buildTileCacheConfig({ bucket: 'b', layers: [{ wmsServer: 'http://w/', wmsLayers: 'l', bounds: [0, -2.56, 2.56, 0], minZoom: 2, maxZoom: 10 }] }).layers;
    expect(tileInLayer(layer, { z: 8, x: 128, y: 127 })).toBe(true);
    expect(tileInLayer(layer, { z: 8, x: 127, y: 127 })).toBe(false);
    expect(tileInLayer(layer, { z: 11, x: 1024, y: 1023 })).toBe(false);
    expect(tileInLayer(layer, { z: 1, x: 1, y: 0 })).toBe(false);
  });
});

describe('configuration', () => {
  it('reads the old s3maptiler environment', () => {
    const c = loadTileCacheConfig({ WMS_SERVER: 'http://wms/?map=/m.map', BUCKET_NAME: 'workshop-tms', TILE_PREFIX: '1.0.0/tms-mercator-naip/', MAP_LAYERS: 'utm11-50pct' });
    expect(c.layers).toHaveLength(1);
    expect(c.layers[0]).toMatchObject({ name: 'tms-mercator-naip', bucket: 'workshop-tms', prefix: '1.0.0/tms-mercator-naip/', wmsLayers: 'utm11-50pct', wmsVersion: '1.1.1', metaSize: 4 });
  });

  it('reads several layers from TILE_CACHE_LAYERS, each with its own WMS and prefix', () => {
    const c = loadTileCacheConfig({
      BUCKET_NAME: 'b', WMS_VERSION: '1.3.0', META_TILE_SIZE: '8', META_TILE_BUFFER: '0', TILE_CACHE_S3_ENDPOINT: 'http://127.0.0.1:9000',
      TILE_CACHE_LAYERS: JSON.stringify([{ name: 'a', wmsServer: 'http://one/', wmsLayers: 'x', prefix: 'p/a' }, { name: 'b', wmsServer: 'http://two/', wmsLayers: 'y', wmsVersion: '1.1.1', bucket: 'other', formats: ['jpeg'] }]),
    });
    expect(c.layers.map((l) => [l.name, l.prefix, l.wmsVersion, l.bucket, l.metaSize, l.metaBuffer, l.formats.join()])).toEqual([
      ['a', 'p/a/', '1.3.0', 'b', 8, 0, 'png,jpg'],
      ['b', '1.0.0/b/', '1.1.1', 'other', 8, 0, 'jpg'],
    ]);
    expect(c.s3).toMatchObject({ endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
    expect(() => loadTileCacheConfig({ TILE_CACHE_LAYERS: '{' })).toThrow(/not JSON/);
    expect(() => loadTileCacheConfig({ WMS_SERVER: 'http://w/', MAP_LAYERS: 'l' })).toThrow(/no bucket/);
    expect(loadTileCacheConfig({}).layers).toEqual([]);
  });
});

describe('GetMap', () => {
  const [l11, l13] = buildTileCacheConfig({ bucket: 'b', layers: [
    { name: 'a', wmsServer: 'http://w/mapserv?map=/x.map&exceptions=inimage', wmsLayers: 'l', metaBuffer: 16 },
    { name: 'b', wmsServer: 'http://w/', wmsLayers: 'l', wmsVersion: '1.3.0', wmsParams: { exceptions: 'blank', time: '2020' } },
  ] }).layers;
  it('asks one image for the meta-tile with its buffer, exceptions as XML', () => {
    const r = getMapRequest(l11, metaTileOf(8, 128, 127, 4));
    const q = new URL(r.url).searchParams;
    expect([r.width, r.height]).toEqual([1056, 1056]);
    expect(q.get('map')).toBe('/x.map');
    expect(q.get('exceptions')).toBeNull();
    expect(q.get('EXCEPTIONS')).toBe('application/vnd.ogc.se_xml');
    expect(q.get('SRS')).toBe('EPSG:3857');
    const [minx, miny, maxx, maxy] = q.get('BBOX')!.split(',').map(Number);
    const b = tmsBounds(8, 128, 124, 4, 4);
    const pad = 16 * (b[2] - b[0]) / 1024;
    expect(minx).toBeCloseTo(b[0] - pad, 6);
    expect(miny).toBeCloseTo(b[1] - pad, 6);
    expect(maxx).toBeCloseTo(b[2] + pad, 6);
    expect(maxy).toBeCloseTo(b[3] + pad, 6);
    const q13 = new URL(getMapRequest(l13, metaTileOf(8, 128, 127, 4)).url).searchParams;
    expect(q13.get('CRS')).toBe('EPSG:3857');
    expect(q13.get('EXCEPTIONS')).toBe('XML');
    expect(q13.get('TIME')).toBe('2020');
  });

  it('recognises images and exception reports', () => {
    expect(hasMagic(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'image/png')).toBe(true);
    expect(hasMagic(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), 'image/png')).toBe(false);
    expect(hasMagic(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), 'image/jpeg')).toBe(true);
    const xml = '<?xml version="1.0"?><ogc:ServiceExceptionReport><ogc:ServiceException code="x"><![CDATA[bad  layer]]></ogc:ServiceException></ogc:ServiceExceptionReport>';
    expect(exceptionText(new TextEncoder().encode(xml))).toBe('bad layer');
    // binary (a JPEG where a PNG was asked for): no raw bytes in the error
    expect(exceptionText(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]))).toBe('10 bytes of binary data');
  });
});

describe('Limiter', () => {
  it('runs at most N jobs at once, in order, and passes errors through', async () => {
    const lim = new Limiter(2);
    let now = 0, max = 0;
    const order: number[] = [];
    const job = (i: number) => lim.run(async () => {
      now++; max = Math.max(max, now);
      await new Promise((r) => setTimeout(r, 5));
      order.push(i); now--;
      if (i === 3) throw new Error('boom');
      return i;
    });
    const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(job));
    expect(max).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lim.active).toBe(0);
  });
});
