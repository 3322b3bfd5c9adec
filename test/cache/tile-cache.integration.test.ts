import { ListObjectsV2Command, PutBucketWebsiteCommand } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { ORIGIN, resolution, tmsBounds, TILE_SIZE } from '../../src/cache/tms.js';
import { buildApp } from '../../src/index.js';
import { describeWithMapServer, NOISE_ORIGIN, NOISE_RES, NOISE_SIZE, startMapServer, type WmsFixture } from '../helpers/mapserver.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';

/**
 * The S3 website-redirect flow end to end: s3rver as a static website whose routing rule sends a missing key to the
 * app as `/?tile=<key>`; the app renders through MapServer (mapserv CGI) and stores the tiles; s3rver then serves
 * them itself.
 */
const BUCKET = 'tiles';
const NAIP = '1.0.0/tms-mercator-naip/';
let wms: WmsFixture;
let s3: S3Fixture;
let app: FastifyInstance;
let appUrl: string;

const listKeys = async (prefix: string) => {
  const res = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (res.Contents ?? []).map((o) => o.Key!).sort();
};

/** A plain (website) GET to s3rver until it answers 200 with the full object. */
const websiteGet = async (key: string, expectLength?: number) => {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${s3.endpoint}/${BUCKET}/${key}`, { redirect: 'manual' });
    if (res.status === 200) {
      const body = Buffer.from(await res.arrayBuffer());
      if (expectLength === undefined || body.length === expectLength) return { res, body };
    } else await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${key} never appeared in S3`);
};

/** RGBA pixels of an image. */
const pixels = async (body: Uint8Array) => (await sharp(body).ensureAlpha().raw().toBuffer());

/** The tile rendered directly by one 256x256 GetMap (TMS numbering). */
const directGetMap = async (layers: string, z: number, x: number, y: number) => {
  const bbox = tmsBounds(z, x, y).join(',');
  const res = await fetch(`${wms.url}&SERVICE=WMS&VERSION=1.1.1&REQUEST=GetMap&LAYERS=${layers}&STYLES=&SRS=EPSG:3857&BBOX=${bbox}&WIDTH=256&HEIGHT=256&FORMAT=image/png&TRANSPARENT=TRUE`);
  expect(res.headers.get('content-type')).toBe('image/png');
  return Buffer.from(await res.arrayBuffer());
};

describeWithMapServer('tile cache: S3 website redirect, MapServer, s3rver', () => {
  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    [wms, s3] = await Promise.all([startMapServer(), startS3({ buckets: [BUCKET] })]);
    const layer = { wmsServer: wms.url };
    app = buildApp({
      config: {
        workers: 2,
        tileCache: buildTileCacheConfig({
          bucket: BUCKET,
          s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
          putBackoffMs: 10,
          putAttempts: 2,
          layers: [
            { ...layer, name: 'naip', wmsLayers: 'rgb', prefix: NAIP, maxZoom: 18, bounds: [0, -2.56, 2.56, 0] },
            { ...layer, name: 'naip13', wmsLayers: 'rgb', wmsVersion: '1.3.0', prefix: 'a/b/c/naip13/', metaBuffer: 0, formats: ['jpg', 'png'] },
            { ...layer, name: 'noise', wmsLayers: 'noise', prefix: 'noise/', metaSize: 2 },
            { ...layer, name: 'broken', wmsLayers: 'no_such_layer', prefix: 'broken/' },
            { ...layer, name: 'tampered', wmsLayers: 'rgb', prefix: 'tampered/' },
            { ...layer, name: 'nobucket', wmsLayers: 'rgb', prefix: 'nb/', bucket: 'no-such-bucket' },
          ],
        }),
      },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    appUrl = `http://127.0.0.1:${port}`;
    await s3.client.send(new PutBucketWebsiteCommand({
      Bucket: BUCKET,
      WebsiteConfiguration: {
        IndexDocument: { Suffix: 'index.html' },
        RoutingRules: [{
          Condition: { HttpErrorCodeReturnedEquals: '404' },
          Redirect: { Protocol: 'http', HostName: `127.0.0.1:${port}`, ReplaceKeyPrefixWith: '?tile=', HttpRedirectCode: '307' },
        }],
      },
    }));
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await Promise.all([wms?.close(), s3?.close()]);
    vi.unstubAllEnvs();
  });

  it('redirects a missing key to the app, which renders one meta-tile, stores its tiles inside the bounds, and S3 serves the same bytes next', async () => {
    const key = `${NAIP}8/128/127.png`;
    const before = wms.getMaps();
    const miss = await fetch(`${s3.endpoint}/${BUCKET}/${key}`, { redirect: 'manual' });
    await miss.arrayBuffer();
    expect(miss.status).toBe(307);
    const location = miss.headers.get('location')!;
    expect(location).toBe(`${appUrl}/?tile=${key}`);
    const rendered = await fetch(location);
    const body = Buffer.from(await rendered.arrayBuffer());
    expect(rendered.status).toBe(200);
    expect(rendered.headers.get('content-type')).toBe('image/png');
    expect(rendered.headers.get('cache-control')).toBe('public, max-age=86400');
    expect(rendered.headers.get('x-tile-cache')).toBe('render');
    expect(wms.getMaps() - before).toBe(1);
    const { meta } = await sharp(body).metadata().then((m) => ({ meta: m }));
    expect([meta.width, meta.height, meta.format]).toEqual([256, 256, 'png']);

    const second = await websiteGet(key, body.length);
    expect(second.res.headers.get('content-type')).toBe('image/png');
    expect(Buffer.compare(second.body, body)).toBe(0);
    expect(second.res.headers.get('etag')).toBe(rendered.headers.get('etag'));
    // the whole 4x4 meta-tile (TMS x 128..131, y 124..127) is stored, inside the layer's bounds
    await vi.waitFor(async () => expect((await listKeys(`${NAIP}8/`)).length).toBeGreaterThanOrEqual(4), { timeout: 5000 });
    const keys = await listKeys(`${NAIP}8/`);
    for (const k of keys) expect(k).toMatch(/^1\.0\.0\/tms-mercator-naip\/8\/(128|129|130|131)\/(124|125|126|127)\.png$/);
    expect(keys).toContain(`${NAIP}8/129/126.png`);
    expect(wms.getMaps() - before).toBe(1);
    // the app itself now answers from S3
    const again = await fetch(location);
    expect(again.headers.get('x-tile-cache')).toBe('hit');
    expect(Buffer.compare(Buffer.from(await again.arrayBuffer()), body)).toBe(0);
    expect(wms.getMaps() - before).toBe(1);
  });

  it('20 concurrent requests for one missing tile make exactly one GetMap; other tiles of the meta-tile share it', async () => {
    const before = wms.getMaps();
    const urls = Array.from({ length: 20 }, () => `${appUrl}/tms/1.0.0/naip/9/256/254.png`);
    urls.push(`${appUrl}/tms/1.0.0/naip/9/257/255.png`, `${appUrl}/xyz/naip/9/258/256.png`);
    const answers = await Promise.all(urls.map(async (u) => {
      const r = await fetch(u);
      return { status: r.status, body: Buffer.from(await r.arrayBuffer()), source: r.headers.get('x-tile-cache') };
    }));
    for (const a of answers) expect(a.status).toBe(200);
    for (const a of answers.slice(1, 20)) expect(Buffer.compare(a.body, answers[0].body)).toBe(0);
    expect(wms.getMaps() - before).toBe(1);
    expect(answers.filter((a) => a.source === 'render').length).toBe(1);
  });

  it('many clients asking for the tiles of several missing meta-tiles at once: one GetMap and one object per tile', async () => {
    const before = wms.getMaps();
    // z12, TMS x 2048..2055, y 2036..2043: four 4x4 meta-tiles, each tile asked 3 times, shuffled
    const urls: string[] = [];
    for (let y = 2036; y <= 2043; y++) for (let x = 2048; x <= 2055; x++) for (let k = 0; k < 3; k++) urls.push(`${appUrl}/tms/1.0.0/naip/12/${x}/${y}.png`);
    let seed = 7;
    for (let i = urls.length - 1; i > 0; i--) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      const j = seed % (i + 1);
      [urls[i], urls[j]] = [urls[j], urls[i]];
    }
    const statuses = await Promise.all(urls.map(async (u) => { const r = await fetch(u); await r.arrayBuffer(); return r.status; }));
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(wms.getMaps() - before).toBe(4);
    await vi.waitFor(async () => expect((await listKeys(`${NAIP}12/`)).length).toBe(64), { timeout: 5000 });
  });

  it('TMS and XYZ rows name the same tile, and its pixels are the bbox rendered directly by one GetMap', async () => {
    const viaTms = Buffer.from(await (await fetch(`${appUrl}/tms/1.0.0/naip/8/128/126.png`)).arrayBuffer());
    const viaXyz = Buffer.from(await (await fetch(`${appUrl}/xyz/naip/8/128/129.png`)).arrayBuffer());
    expect(Buffer.compare(viaTms, viaXyz)).toBe(0);
    const direct = await pixels(await directGetMap('rgb', 8, 128, 126));
    expect(Buffer.compare(await pixels(viaTms), direct)).toBe(0);
    // and it is not the row mirrored (the data is not uniform)
    const mirrored = await pixels(await directGetMap('rgb', 8, 128, 129));
    expect(Buffer.compare(mirrored, direct)).not.toBe(0);
  });

  it('keeps tiles larger than 64 KiB intact (answered, stored and read back)', async () => {
    const span = TILE_SIZE * resolution(14);
    const cx = NOISE_ORIGIN.x + (NOISE_SIZE / 2) * NOISE_RES;
    const cy = NOISE_ORIGIN.y - (NOISE_SIZE / 2) * NOISE_RES;
    const x = Math.floor((cx + ORIGIN) / span);
    const y = Math.floor((cy + ORIGIN) / span);
    const res = await fetch(`${appUrl}/tms/1.0.0/noise/14/${x}/${y}.png`);
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(200);
    expect(body.length).toBeGreaterThan(64 * 1024);
    expect(Buffer.compare(await pixels(body), await pixels(await directGetMap('noise', 14, x, y)))).toBe(0);
    const stored = await websiteGet(`noise/14/${x}/${y}.png`, body.length);
    expect(Buffer.compare(stored.body, body)).toBe(0);
  });

  it('a WMS ServiceException is a 502 with its text, no-store, and nothing is stored', async () => {
    const before = wms.getMaps();
    const res = await fetch(`${appUrl}/?tile=broken/8/128/127.png`);
    expect(res.status).toBe(502);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const detail = ((await res.json()) as { detail: string }).detail;
    expect(detail).toMatch(/Invalid layer\(s\) given in the LAYERS parameter/);
    expect(wms.getMaps() - before).toBe(1);
    // EXCEPTIONS asked as XML, never as an image
    const last = wms.requests[wms.requests.length - 1];
    expect(last.get('EXCEPTIONS')).toBe('application/vnd.ogc.se_xml');
    await new Promise((r) => setTimeout(r, 100));
    expect(await listKeys('broken/')).toEqual([]);
    // a failed render is not remembered: the next request asks again
    expect((await fetch(`${appUrl}/?tile=broken/8/128/127.png`)).status).toBe(502);
    expect(wms.getMaps() - before).toBe(2);
  });

  it('rejects answers that are not the image asked for: wrong type, bad magic, truncated, wrong size', async () => {
    const cases: Array<[string, (a: { status: number; headers: Record<string, string>; body: Buffer }) => typeof a, RegExp]> = [
      ['content type', (a) => ({ ...a, headers: { ...a.headers, 'content-type': 'text/html' } }), /text\/html instead of image\/png/],
      ['magic', (a) => ({ ...a, body: Buffer.concat([Buffer.from('GIF89a'), a.body]) }), /not a image\/png image/],
      ['truncated', (a) => ({ ...a, body: a.body.subarray(0, Math.floor(a.body.length / 2)) }), /decode|cut|expected/i],
      ['size', (a) => a, /expected 1152x1152/],
      ['status', (a) => ({ ...a, status: 500 }), /WMS answered 500/],
    ];
    const small = await directGetMap('rgb', 8, 128, 127);
    let z = 10;
    for (const [name, tamper, message] of cases) {
      // 'size': a valid PNG of 256 px where the 4x4 meta-tile with its buffer is 1152 px
      wms.tamper = name === 'size' ? (a) => ({ ...a, body: small }) : tamper;
      z++;
      const res = await fetch(`${appUrl}/?tile=tampered/${z}/${2 ** (z - 1)}/${2 ** (z - 1) - 1}.png`);
      wms.tamper = undefined;
      expect(res.status, name).toBe(502);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(((await res.json()) as { detail: string }).detail, name).toMatch(message);
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(await listKeys('tampered/')).toEqual([]);
  });

  it('serves JPEG tiles through WMS 1.3.0 under a deep prefix; the answer survives a failing S3 write', async () => {
    const res = await fetch(`${appUrl}/?tile=a/b/c/naip13/8/128/127.jpg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const body = Buffer.from(await res.arrayBuffer());
    expect((await sharp(body).metadata()).format).toBe('jpeg');
    const last = wms.requests[wms.requests.length - 1];
    expect(last.get('VERSION')).toBe('1.3.0');
    expect(last.get('CRS')).toBe('EPSG:3857');
    expect(last.get('EXCEPTIONS')).toBe('XML');
    const stored = await websiteGet('a/b/c/naip13/8/128/127.jpg', body.length);
    expect(Buffer.compare(stored.body, body)).toBe(0);
    // a key spelled .jpeg is stored under that spelling (the website finds it next time)
    const jpeg = await fetch(`${appUrl}/?tile=a/b/c/naip13/9/256/255.jpeg`);
    expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
    const jpegBody = Buffer.from(await jpeg.arrayBuffer());
    expect(Buffer.compare((await websiteGet('a/b/c/naip13/9/256/255.jpeg', jpegBody.length)).body, jpegBody)).toBe(0);

    const nb = await fetch(`${appUrl}/?tile=nb/8/128/127.png`);
    expect(nb.status).toBe(200);
    expect((await sharp(Buffer.from(await nb.arrayBuffer())).metadata()).width).toBe(256);
  });

  it('low zooms: the meta-tile is clipped to the world (z0: one tile, z1: 2x2) and still one GetMap', async () => {
    const before = wms.getMaps();
    const z0 = await fetch(`${appUrl}/xyz/naip13/0/0/0.png`);
    expect(z0.status).toBe(200);
    expect((await sharp(Buffer.from(await z0.arrayBuffer())).metadata()).width).toBe(256);
    const z1 = await Promise.all([[0, 0], [1, 0], [0, 1], [1, 1]].map(async ([x, y]) => (await fetch(`${appUrl}/xyz/naip13/1/${x}/${y}.png`)).status));
    expect(z1).toEqual([200, 200, 200, 200]);
    expect(wms.getMaps() - before).toBe(2);
    const last = wms.requests[wms.requests.length - 1];
    expect([last.get('WIDTH'), last.get('HEIGHT')]).toEqual(['512', '512']);
  });

  it('404s outside the zoom range, the bounds, unknown layers and prefixes; 400 for a key that is not a tile', async () => {
    expect((await fetch(`${appUrl}/tms/1.0.0/naip/19/262144/262143.png`)).status).toBe(404); // maxZoom 18
    expect((await fetch(`${appUrl}/tms/1.0.0/naip/8/10/10.png`)).status).toBe(404); // outside bounds
    expect((await fetch(`${appUrl}/tms/1.0.0/nope/8/128/127.png`)).status).toBe(404);
    expect((await fetch(`${appUrl}/?tile=unknown/prefix/8/128/127.png`)).status).toBe(404);
    expect((await fetch(`${appUrl}/?tile=${NAIP}8/128/127.gif`)).status).toBe(400);
    expect((await fetch(`${appUrl}/tms/1.0.0/naip/8/999/127.png`)).status).toBe(404);
  });

  it('heartbeat, landing page, escaped debug page and TMS capabilities', async () => {
    const hb = await fetch(`${appUrl}/heartbeat`);
    expect([hb.status, await hb.text()]).toEqual([200, 'Success']);
    const landing = await fetch(`${appUrl}/`);
    expect(landing.status).toBe(200);
    expect(landing.headers.get('content-type')).toMatch(/text\/html/);
    const debug = await fetch(`${appUrl}/?tile=${encodeURIComponent(`${NAIP}8/128/127.png<script>alert(1)</script>`)}&test`);
    const html = await debug.text();
    expect(debug.status).toBe(200);
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;');
    const ok = await (await fetch(`${appUrl}/?tile=${NAIP}8/128/127.png&test`)).text();
    expect(ok).toContain(BUCKET);
    expect(ok).toContain('REQUEST=GetMap');
    const service = await fetch(`${appUrl}/tms/1.0.0`);
    expect(service.headers.get('content-type')).toMatch(/xml/);
    const sx = await service.text();
    expect(sx).toContain('<TileMapService');
    expect(sx).toContain(`href="${appUrl}/tms/1.0.0/naip"`);
    const map = await (await fetch(`${appUrl}/tms/1.0.0/naip`)).text();
    expect(map).toContain('<TileMap version="1.0.0"');
    expect(map).toContain('<TileSet href="' + appUrl + '/tms/1.0.0/naip/18"');
    expect((await fetch(`${appUrl}/tms/1.0.0/nope`)).status).toBe(404);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await fetch(`${appUrl}/tms/1.0.0/naip/8/128/127.png`);
    await first.arrayBuffer();
    const etag = first.headers.get('etag')!;
    const second = await fetch(`${appUrl}/tms/1.0.0/naip/8/128/127.png`, { headers: { 'if-none-match': etag } });
    expect(second.status).toBe(304);
  });
});
