import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { encode } from 'fast-png';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { q, scratchDir, testApp } from '../helpers/app.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';

/**
 * /mesh over elevation tiles that are not what a Terrarium source should send: damaged PNGs (made
 * here from a real tile), PNGs of the wrong size or kind, an HTML page, a quantized-mesh, garbage.
 * A damaged tile is a 502 JSON error naming it, nothing is cached (the next good answer is served),
 * and an unusual but valid PNG (palette, 16-bit) gives the heights it holds. The same bytes as a
 * WMS's answer to the tile cache: 502, and nothing stored in the bucket.
 */
const TERRAIN = join(import.meta.dirname, '..', 'fixtures', 'terrain');
const REAL_TILE = readFileSync(join(TERRAIN, 'pymartini_terrarium_11_385_803.png')); // a real Terrarium tile
const TILE = { z: 11, x: 385, y: 803 };
const dir = scratchDir();
let http: RangeServer;
let app: FastifyInstance;

/** The chunks of a PNG: type, where the chunk starts (its length field) and its data length. */
function chunks(png: Uint8Array): Array<{ type: string; at: number; length: number }> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out = [];
  for (let at = 8; at + 8 <= png.length;) {
    const length = view.getUint32(at);
    out.push({ type: Buffer.from(png.subarray(at + 4, at + 8)).toString('latin1'), at, length });
    at += 12 + length;
  }
  return out;
}

/** A copy of the real tile with `change` applied to its first IDAT chunk's data, the CRC fixed or not. */
function withIdat(change: (data: Uint8Array) => void, fixCrc: boolean): Uint8Array {
  const png = Buffer.from(REAL_TILE);
  const idat = chunks(png).find((c) => c.type === 'IDAT')!;
  change(png.subarray(idat.at + 8, idat.at + 8 + idat.length));
  if (fixCrc) png.writeUInt32BE(crc32(png.subarray(idat.at + 4, idat.at + 8 + idat.length)), idat.at + 8 + idat.length);
  return png;
}

/** The real tile's RGB pixels. */
const realPixels = async () => new Uint8Array(await sharp(REAL_TILE).removeAlpha().raw().toBuffer());

/** A terrain of 64 height steps: few enough colours for an exact palette PNG. */
function steppedPixels(): Uint8Array {
  const rgb = new Uint8Array(256 * 256 * 3);
  for (let i = 0; i < 256 * 256; i++) {
    const h = 1000 + 25 * Math.floor((i % 256) / 4); // metres, 64 steps west to east
    const v = h + 32768; // Terrarium: (R * 256 + G + B / 256) - 32768
    rgb.set([v >> 8, v & 255, 0], 3 * i);
  }
  return rgb;
}

const BAD: Array<[string, () => Promise<Uint8Array> | Uint8Array, RegExp]> = [
  ['IDAT data damaged (CRC fixed)', () => withIdat((d) => d.fill(0xff, 100, 400), true), /corrupt PNG/],
  ['IDAT data damaged (CRC wrong)', () => withIdat((d) => d.fill(0x00, 100, 400), false), /corrupt PNG/],
  ['cut inside the IDAT chunk', () => REAL_TILE.subarray(0, chunks(REAL_TILE).find((c) => c.type === 'IDAT')!.at + 5000), /corrupt PNG/],
  ['cut after the signature', () => REAL_TILE.subarray(0, 8), /corrupt PNG/],
  ['255 x 256 pixels', async () => encode({ width: 255, height: 256, data: (await realPixels()).subarray(0, 255 * 256 * 3), channels: 3, depth: 8 }), /255x256, expected 256x256/],
  ['512 x 512 pixels', async () => sharp(REAL_TILE).resize(512, 512).png().toBuffer(), /512x512, expected 256x256/],
  ['an HTML page', () => Buffer.from('<!doctype html><html><body><h1>503 Service Unavailable</h1></body></html>'), /not a PNG/],
  ['an empty body', () => new Uint8Array(0), /not a PNG/],
  ['a quantized-mesh tile', () => readFileSync(join(TERRAIN, 'loadersgl_maptiler_10_1070_778.terrain')), /not a PNG/],
  ['a JPEG', async () => sharp(REAL_TILE).jpeg().toBuffer(), /not a PNG/],
  ['random bytes after a PNG signature', () => Buffer.concat([REAL_TILE.subarray(0, 8), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) & 255))]), /corrupt PNG/],
];

beforeAll(async () => {
  const put = (name: string, bytes: Uint8Array) => {
    const tileDir = join(dir, name, String(TILE.z), String(TILE.x));
    mkdirSync(tileDir, { recursive: true });
    writeFileSync(join(tileDir, `${TILE.y}.png`), bytes);
  };
  put('good', REAL_TILE);
  for (const [name, make] of BAD) put(slug(name), await make());
  const stepped = steppedPixels();
  put('stepped-rgb', encode({ width: 256, height: 256, data: stepped, channels: 3, depth: 8 }));
  put('stepped-palette', await sharp(stepped, { raw: { width: 256, height: 256, channels: 3 } }).png({ palette: true, colours: 256, dither: 0 }).toBuffer());
  // 16-bit samples v * 257: their 8-bit reading is v exactly
  put('real-16bit', encode({ width: 256, height: 256, data: Uint16Array.from(await realPixels(), (v) => v * 257), channels: 3, depth: 16 }));
  http = await startRangeServer(dir);
  app = await testApp({}, [http.url + '/']);
});
afterAll(async () => { await app?.close(); await http?.close(); });

function slug(name: string) {
  return name.replace(/[^a-z0-9]+/gi, '-');
}

const mesh = (source: string) =>
  app.inject(`/mesh/tiles/${TILE.z}/${TILE.x}/${TILE.y}.terrain?${q({ url: `${http.url}/${source}/{z}/{x}/{y}.png`, mesh_max_error: 5 })}`);

describe('/mesh over bad elevation tiles', () => {
  it.each(BAD)('%s: 502 naming the tile, not cached', async (name, _make, detail) => {
    const res = await mesh(slug(name));
    expect(res.statusCode, res.body).toBe(502);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json().detail).toMatch(detail);
    expect(res.json().detail).toContain(`${TILE.z}/${TILE.x}/${TILE.y}`);
    // a second request fails the same way: the failure was not cached as a mesh or as heights
    expect((await mesh(slug(name))).statusCode).toBe(502);
  });

  it('a palette PNG gives the same mesh as the RGB PNG of the same heights', async () => {
    const [rgb, palette] = [await mesh('stepped-rgb'), await mesh('stepped-palette')];
    expect(rgb.statusCode).toBe(200);
    expect(palette.statusCode).toBe(200);
    expect(Buffer.compare(palette.rawPayload, rgb.rawPayload)).toBe(0);
  });

  it('a 16-bit PNG is read as its 8-bit values', async () => {
    const [good, sixteen] = [await mesh('good'), await mesh('real-16bit')];
    expect(good.statusCode).toBe(200);
    expect(sixteen.statusCode, sixteen.body).toBe(200);
    expect(Buffer.compare(sixteen.rawPayload, good.rawPayload)).toBe(0);
  });

  it('random byte mutations of a real tile: 200 or a 502, never anything else', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: REAL_TILE.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.option(fc.nat({ max: REAL_TILE.length }), { nil: undefined }),
      async (changes, cut) => {
        const png = Buffer.from(REAL_TILE);
        for (const [at, value] of changes) png[at % 2048] = value; // the header chunks and the start of the image data
        const name = `mutated-${n++}`;
        const tileDir = join(dir, name, String(TILE.z), String(TILE.x));
        mkdirSync(tileDir, { recursive: true });
        writeFileSync(join(tileDir, `${TILE.y}.png`), cut === undefined ? png : png.subarray(0, cut));
        const res = await mesh(name);
        if (res.statusCode !== 200) {
          expect(res.statusCode, res.body).toBe(502);
          expect(typeof res.json().detail).toBe('string');
        }
      },
    ), { numRuns: 100, timeout: 10_000 });
    expect((await mesh('good')).statusCode).toBe(200);
  }, 120_000);
});

describe('the tile cache over a WMS answering bad images', () => {
  let s3: S3Fixture;
  let cache: FastifyInstance;
  let wms: RangeServer;
  const answers: Record<string, () => Promise<[string, Uint8Array]> | [string, Uint8Array]> = {
    good: () => ['image/png', REAL_TILE],
    html: () => ['text/html', Buffer.from('<html><body>Proxy error</body></html>')],
    garbage: () => ['image/png', Buffer.from('definitely not an image')],
    'damaged-idat': () => ['image/png', withIdat((d) => d.fill(0xff, 100, 400), true)],
    'damaged-idat-crc': () => ['image/png', withIdat((d) => d.fill(0x00, 100, 400), false)],
    truncated: () => ['image/png', REAL_TILE.subarray(0, REAL_TILE.length - 20_000)],
    'wrong-size': async () => ['image/png', await sharp(REAL_TILE).resize(255, 256, { fit: 'fill' }).png().toBuffer()],
    'jpeg-as-png': async () => ['image/png', await sharp(REAL_TILE).jpeg().toBuffer()],
  };

  beforeAll(async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    s3 = await startS3({ buckets: ['tiles'] });
    wms = await startRangeServer(dir, {
      onRequest: (req, res) => {
        const answer = answers[new URL(req.url ?? '/', 'http://x').pathname.slice(1)];
        if (!answer) return false;
        void Promise.resolve(answer()).then(([type, body]) => res.writeHead(200, { 'content-type': type }).end(body));
        return true;
      },
    });
    cache = await testApp({
      tileCache: buildTileCacheConfig({
        bucket: 'tiles',
        s3: { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
        // one 256 px tile a GetMap: the real tile is a well-sized answer
        layers: Object.keys(answers).map((name) => ({ name, wmsServer: `${wms.url}/${name}?map=x`, wmsLayers: 'x', prefix: `${name}/`, metaSize: 1, metaBuffer: 0 })),
      }),
    });
  }, 60_000);
  afterAll(async () => {
    await cache?.close();
    await Promise.all([wms?.close(), s3?.close()]);
    vi.unstubAllEnvs();
  });

  const listKeys = async (layer: string) =>
    ((await s3.client.send(new ListObjectsV2Command({ Bucket: 'tiles', Prefix: `${layer}/` }))).Contents ?? []).map((o) => o.Key);

  it('a good answer is served and stored (the control)', async () => {
    const res = await cache.inject('/xyz/good/3/4/2.png');
    expect(res.statusCode).toBe(200);
    for (let i = 0; i < 50 && (await listKeys('good')).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await listKeys('good')).toEqual(['good/3/4/5.png']);
  });

  it.each(Object.keys(answers).filter((name) => name !== 'good'))('%s: 502 JSON, nothing stored', async (layer) => {
    const res = await cache.inject(`/xyz/${layer}/3/4/2.png`);
    expect(res.statusCode, res.body).toBe(502);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(typeof res.json().detail).toBe('string');
    expect(await listKeys(layer)).toEqual([]);
  });
});
