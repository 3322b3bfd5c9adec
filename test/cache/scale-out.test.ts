import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { metaTileOf, tileInLayer, tileKey } from '../../src/cache/tms.js';
import { HAS_MAPSERVER, startMapServer, type WmsFixture } from '../helpers/mapserver.js';
import { HAS_NGINX, startNginx, type NginxFixture } from '../helpers/nginx.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.js';
import { describeWithSystemTool } from '../helpers/system-tool.js';

/**
 * Scale-out: two server processes (`node build/js/src/main.js`, configured by environment as in production) behind
 * nginx (round-robin), sharing one s3rver bucket and one MapServer WMS. Cold requests for the same and neighbouring
 * tiles reach both instances at once, so both render the same meta-tiles; the bucket must still hold one valid
 * object per key that never changes once written, and warm tiles must be those objects.
 *
 * The instances differ in TILE_JPEG_QUALITY (as two versions might during a rolling deploy), so their JPEG tiles
 * differ byte for byte while their PNG tiles are the same: the JPEG case checks that the first write wins
 * (conditional PutObject, `If-None-Match: *`), which s3rver is given by the test helper as AWS S3 does it.
 */
const BUCKET = 'tiles';
const PREFIX = 'scale/naip/';
const layerConfig = { name: 'naip', wmsLayers: 'rgb', prefix: PREFIX, bounds: [0, -2.56, 2.56, 0] as [number, number, number, number] };
const Z = 12;
// TMS x 2048..2055, y 2036..2043 at z12: four 4x4 meta-tiles inside the layer
const X0 = 2048;
const Y0 = 2036;

let wms: WmsFixture;
let s3: S3Fixture;
let instances: ServerProcess[] = [];
let nginx: NginxFixture;

interface Answer { key: string; status: number; body: Buffer; upstream: string | null; source: string | null; etag: string | null }

/** 40 requests: 20 tiles over the four meta-tiles, each asked twice, shuffled (seeded). */
function requests(ext: 'png' | 'jpg') {
  const tiles: Array<[number, number]> = [];
  for (let k = 0; k < 20; k++) {
    const i = (k * 13) % 64; // 20 distinct tiles of the 8x8 block
    tiles.push([X0 + (i % 8), Y0 + Math.floor(i / 8)]);
  }
  const list = [...tiles, ...tiles];
  let seed = 11;
  for (let i = list.length - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const j = seed % (i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list.map(([x, y]) => ({ key: `${PREFIX}${Z}/${x}/${y}.${ext}`, url: `${nginx.url}/tms/1.0.0/naip/${Z}/${x}/${y}.${ext}` }));
}

/** Every request at once through nginx. */
const wave = (ext: 'png' | 'jpg'): Promise<Answer[]> => Promise.all(requests(ext).map(async ({ key, url }) => {
  const r = await fetch(url);
  return { key, status: r.status, body: Buffer.from(await r.arrayBuffer()), upstream: r.headers.get('x-upstream'), source: r.headers.get('x-tile-cache'), etag: r.headers.get('etag') };
}));

/** The keys a render of the asked tiles writes: every tile of their meta-tiles inside the layer. */
function expectedKeys(ext: 'png' | 'jpg'): string[] {
  const layer = buildTileCacheConfig({ bucket: BUCKET, layers: [{ ...layerConfig, wmsServer: 'http://wms' }] }).layers[0]!;
  const keys = new Set<string>();
  for (const { key } of requests(ext)) {
    const [x, y] = key.slice(PREFIX.length).split('/').slice(1).map((s) => parseInt(s, 10)) as [number, number];
    const meta = metaTileOf(Z, x, y, layer.metaSize);
    for (let i = 0; i < meta.w; i++) for (let j = 0; j < meta.h; j++) {
      const t = { z: Z, x: meta.x0 + i, y: meta.y0 + j, ext };
      if (tileInLayer(layer, t)) keys.add(tileKey(layer, t));
    }
  }
  return [...keys].sort();
}

/** The bucket's keys under the prefix with this extension, sorted. */
async function bucketKeys(ext: 'png' | 'jpg') {
  const list = await s3.client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}${Z}/` }));
  return (list.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith(`.${ext}`)).sort();
}

/** The bucket's objects under the prefix with this extension: key -> { etag, body }. */
async function bucketObjects(ext: 'png' | 'jpg') {
  const objects = new Map<string, { etag: string; body: Buffer }>();
  for (const key of await bucketKeys(ext)) {
    const res = await fetch(`${s3.endpoint}/${BUCKET}/${key}`);
    objects.set(key, { etag: res.headers.get('etag')!, body: Buffer.from(await res.arrayBuffer()) });
  }
  return objects;
}

/** Waits until every key of the asked meta-tiles is stored (the instances write after answering). */
const settled = async (ext: 'png' | 'jpg') => {
  const keys = expectedKeys(ext);
  await vi.waitFor(async () => expect(await bucketKeys(ext)).toEqual(keys), { timeout: 15_000, interval: 100 });
  return keys;
};

const isImage = async (body: Buffer, format: 'png' | 'jpeg') => {
  const m = await sharp(body).metadata();
  return m.format === format && m.width === 256 && m.height === 256;
};

/** PutObjects of the keys answered 200 (an object stored), by key. */
const storedWrites = (ext: string) => {
  const writes = new Map<string, string[]>();
  for (const p of s3.puts) if (p.status === 200 && p.key.endsWith(`.${ext}`)) writes.set(p.key, [...(writes.get(p.key) ?? []), p.etag!]);
  return writes;
};

const available = HAS_NGINX && HAS_MAPSERVER;
const missingMessage = 'nginx or mapserv/GDAL missing but REQUIRE_SYSTEM_TESTS=1: apt-get install nginx-light cgi-mapserver mapserver-bin gdal-bin';
describeWithSystemTool({ name: 'nginx and MapServer', available, missingMessage }, 'scale-out: two instances behind nginx share one tile bucket', () => {
  beforeAll(async () => {
    [wms, s3] = await Promise.all([startMapServer(), startS3({ buckets: [BUCKET], conditionalWrites: true })]);
    const env = {
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      BUCKET_NAME: BUCKET,
      TILE_CACHE_S3_ENDPOINT: s3.endpoint,
      TILE_CACHE_LAYERS: JSON.stringify([{ ...layerConfig, wmsServer: wms.url }]),
      WORKERS: '1',
    };
    instances = await Promise.all([
      startServerProcess({ ...env, TILE_JPEG_QUALITY: '85' }),
      startServerProcess({ ...env, TILE_JPEG_QUALITY: '60' }),
    ]);
    nginx = await startNginx(instances.map((i) => i.address));
  }, 60_000);
  afterAll(async () => {
    await nginx?.close();
    await Promise.all(instances.map((i) => i.close()));
    await Promise.all([wms?.close(), s3?.close()]);
  });

  it('40 concurrent cold PNG requests, twice: every answer and object a valid PNG, one write per key, warm tiles are the objects', async () => {
    const getMaps0 = wms.getMaps();
    const first = await wave('png');
    for (const a of first) expect([a.key, a.status]).toEqual([a.key, 200]);
    for (const a of first) expect(await isImage(a.body, 'png'), a.key).toBe(true);
    expect(new Set(first.map((a) => a.upstream)).size).toBe(2); // both instances answered
    const keys = await settled('png');
    const getMapsCold = wms.getMaps() - getMaps0;
    // at most one render per meta-tile per instance (per-process locking), at least one per meta-tile
    expect(getMapsCold).toBeGreaterThanOrEqual(4);
    expect(getMapsCold).toBeLessThanOrEqual(2 * 4);
    const afterFirst = await bucketObjects('png');
    for (const [key, o] of afterFirst) expect(await isImage(o.body, 'png'), key).toBe(true);
    // the tile served is the stored object (both instances render and encode PNG the same way)
    for (const a of first) expect(Buffer.compare(a.body, afterFirst.get(a.key)!.body), a.key).toBe(0);

    const second = await wave('png');
    expect(wms.getMaps() - getMaps0).toBe(getMapsCold); // all warm
    for (const a of second) {
      expect([a.key, a.status, a.source]).toEqual([a.key, 200, 'hit']);
      const stored = afterFirst.get(a.key)!;
      expect(Buffer.compare(a.body, stored.body), a.key).toBe(0);
      expect(a.etag).toBe(stored.etag);
    }
    const afterSecond = await bucketObjects('png');
    expect([...afterSecond.keys()].sort()).toEqual(keys);
    for (const [key, o] of afterSecond) expect(o.etag, key).toBe(afterFirst.get(key)!.etag);
    // one stored write per key: the other instance's write of a meta-tile it rendered too was refused (412)
    const writes = storedWrites('png');
    for (const key of keys) expect(writes.get(key), key).toHaveLength(1);
    console.log(`scale-out png: ${getMapsCold} GetMaps for 4 meta-tiles, ${s3.puts.filter((p) => p.key.endsWith('.png') && p.status === 412).length} writes refused as already stored`);
  });

  it('instances that encode differently (JPEG quality 85 and 60): the first object written stays, warm tiles are it', async () => {
    const getMaps0 = wms.getMaps();
    const first = await wave('jpg');
    for (const a of first) expect([a.key, a.status]).toEqual([a.key, 200]);
    for (const a of first) expect(await isImage(a.body, 'jpeg'), a.key).toBe(true);
    const keys = await settled('jpg');
    const getMapsCold = wms.getMaps() - getMaps0;
    const afterFirst = await bucketObjects('jpg');
    for (const [key, o] of afterFirst) expect(await isImage(o.body, 'jpeg'), key).toBe(true);

    const second = await wave('jpg');
    for (const a of second) {
      expect([a.key, a.status, a.source]).toEqual([a.key, 200, 'hit']);
      expect(Buffer.compare(a.body, afterFirst.get(a.key)!.body), a.key).toBe(0);
    }
    const afterSecond = await bucketObjects('jpg');
    for (const [key, o] of afterSecond) expect(o.etag, key).toBe(afterFirst.get(key)!.etag);
    const writes = storedWrites('jpg');
    for (const key of keys) expect(writes.get(key), key).toHaveLength(1);
    // both instances rendered some meta-tile: without the conditional write its object would have changed
    const refused = s3.puts.filter((p) => p.key.endsWith('.jpg') && p.status === 412).length;
    const differing = first.filter((a) => Buffer.compare(a.body, afterFirst.get(a.key)!.body) !== 0).length;
    console.log(`scale-out jpg: ${getMapsCold} GetMaps for 4 meta-tiles, ${refused} writes refused, ${differing} of 40 cold answers were the losing instance's encoding`);
    expect(refused).toBeGreaterThan(0);
  });
}, { timeout: 60_000 });
