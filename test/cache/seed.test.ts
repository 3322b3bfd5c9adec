import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTileCacheConfig } from '../../src/cache/config.js';
import { parseBbox, parseZooms, seedPlan } from '../../src/cache/seed.js';
import { describeWithMapServer, startMapServer, type WmsFixture } from '../helpers/mapserver.js';
import { S3RVER_CREDENTIALS, startS3, type S3Fixture } from '../helpers/s3rver.js';

const execFileP = promisify(execFile);
const CLI = join(import.meta.dirname, '..', '..', 'build', 'js', 'src', 'cache', 'seed-cli.js');

describe('seed plan', () => {
  it('parses zooms and boxes', () => {
    expect(parseZooms('10-12')).toEqual([10, 11, 12]);
    expect(parseZooms('3,5-6,3')).toEqual([3, 5, 6]);
    expect(() => parseZooms('5-3')).toThrow();
    expect(parseBbox('0,-1,1,0')).toEqual([0, -1, 1, 0]);
    expect(() => parseBbox('1,0,0,1')).toThrow();
  });
  it('covers the region with meta-tiles, only the tiles inside the region and the layer', () => {
    const [layer] = buildTileCacheConfig({ bucket: 'b', layers: [{ wmsServer: 'http://w/', wmsLayers: 'l', bounds: [0, -2.56, 2.56, 0], maxZoom: 9 }] }).layers;
    const plan = seedPlan(layer, [0.1, -1, 1, -0.1], [8, 9, 10]);
    expect(plan.map((p) => p.meta.z)).toEqual([8, 9]);
    expect(plan[0].tiles).toEqual([{ z: 8, x: 128, y: 127 }]);
    expect(plan[1].tiles.length).toBe(4);
  });
});

describeWithMapServer('seed CLI against MapServer and s3rver', () => {
  let wms: WmsFixture;
  let s3: S3Fixture;
  beforeAll(async () => {
    [wms, s3] = await Promise.all([startMapServer(), startS3({ buckets: ['seeded'] })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([wms?.close(), s3?.close()]);
  });

  const run = (args: string[]) => execFileP(process.execPath, [CLI, ...args], {
    env: {
      PATH: process.env.PATH, WMS_SERVER: wms.url, MAP_LAYERS: 'rgb', BUCKET_NAME: 'seeded', TILE_PREFIX: 'x/1.0.0/naip/',
      TILE_CACHE_S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_REGION: 'us-east-1', META_TILE_SIZE: '2',
    },
    timeout: 60_000,
  });
  const keys = async () => ((await s3.client.send(new ListObjectsV2Command({ Bucket: 'seeded' }))).Contents ?? []).map((o) => o.Key!).sort();

  it('renders a tiny area once, resumes by skipping what is stored, and re-renders a missing tile', async () => {
    const args = ['--layer', 'naip', '--bbox', '0.2,-1.5,1.5,-0.2', '--zooms', '8-10', '--concurrency', '3'];
    const first = await run(args);
    expect(first.stdout).toMatch(/meta-tiles, \d+ rendered, 0 skipped/);
    expect(first.stderr).toMatch(/meta-tiles .*\/s ETA/);
    const rendered = Number(/(\d+) rendered/.exec(first.stdout)![1]);
    expect(rendered).toBeGreaterThan(2);
    expect(wms.getMaps()).toBe(rendered);
    const stored = await keys();
    expect(stored.length).toBeGreaterThanOrEqual(rendered);
    for (const k of stored) expect(k).toMatch(/^x\/1\.0\.0\/naip\/(8|9|10)\/\d+\/\d+\.png$/);

    const second = await run(args);
    expect(second.stdout).toMatch(new RegExp(`0 rendered, ${rendered} skipped`));
    expect(wms.getMaps()).toBe(rendered);

    // a tile inside the region (the meta-tiles also stored their tiles outside it)
    expect(stored).toContain('x/1.0.0/naip/8/128/127.png');
    await s3.client.send(new DeleteObjectCommand({ Bucket: 'seeded', Key: 'x/1.0.0/naip/8/128/127.png' }));
    const third = await run(args);
    expect(third.stdout, third.stdout).toMatch(new RegExp(`1 rendered, ${rendered - 1} skipped`));
    expect(wms.getMaps()).toBe(rendered + 1);
    expect(await keys()).toEqual(stored);
  });

  it('fails with a clear message for an unknown layer', async () => {
    await expect(run(['--layer', 'nope', '--bbox', '0,-1,1,0', '--zooms', '8'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown layer nope; configured: naip/) });
  });
});
