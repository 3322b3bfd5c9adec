import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { HttpSource } from '../../src/sources/http-source.js';
import { openSource } from '../../src/sources/open-source.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';

const NAME = 'titiler-dem_float32_epsg2056.tif';
const bytes = readFileSync(join(DEMO_DATA_DIR, NAME));
const expectBytes = (got: Uint8Array, offset: number, length: number) =>
  expect(got).toEqual(new Uint8Array(bytes.subarray(offset, offset + length)));

const RANGES = [
  { offset: 0, length: 8 },
  { offset: 300_000, length: 70_000 },
  { offset: 100_000, length: 4096 },
  { offset: bytes.length - 100, length: 100 },
];

describe.each([
  { label: 'with Range support', noRange: false },
  { label: 'without Range support', noRange: true },
])('http source $label', ({ noRange }) => {
  let server: RangeServer;
  let config: ServerConfig;
  beforeAll(async () => {
    server = await startRangeServer(DEMO_DATA_DIR, { noRange });
    config = loadConfig({ sourceAllowlist: [server.url + '/'], allowPrivateAddresses: true }, {});
  });
  afterAll(() => server.close());

  it('reads ranges equal to the file bytes', async () => {
    const source = await openSource(`${server.url}/${NAME}`, config);
    const got = await source.readRanges(RANGES);
    got.forEach((chunk, i) => expectBytes(chunk, RANGES[i]!.offset, RANGES[i]!.length));
    expectBytes(await source.read({ offset: 200_000, length: 33 }), 200_000, 33);
    expect(await source.size()).toBe(bytes.length);
  });

  it('returns a short read at end of file and an empty one past it', async () => {
    const source = new HttpSource(new URL(`${server.url}/${NAME}`), config);
    expectBytes(await source.read({ offset: bytes.length - 10, length: 500 }), bytes.length - 10, 10);
    expect((await source.read({ offset: bytes.length + 10, length: 500 })).length).toBe(0);
  });

  it('learns the size without HEAD when HEAD is refused', async () => {
    const refusingHead = await startRangeServer(DEMO_DATA_DIR, {
      noRange,
      onRequest: (req, res) => req.method === 'HEAD' && (res.writeHead(403).end(), true),
    });
    try {
      const source = new HttpSource(new URL(`${refusingHead.url}/${NAME}`), config);
      expect(await source.size()).toBe(bytes.length);
    } finally {
      await refusingHead.close();
    }
  });
});

describe('http source range requests', () => {
  let server: RangeServer;
  let config: ServerConfig;
  beforeAll(async () => {
    server = await startRangeServer(DEMO_DATA_DIR);
    config = loadConfig({ sourceAllowlist: [server.url + '/'], allowPrivateAddresses: true }, {});
  });
  afterAll(() => server.close());

  it('sends Range: bytes=a-b and learns the size from Content-Range', async () => {
    const source = new HttpSource(new URL(`${server.url}/${NAME}`), config, { headerBytes: 0 });
    const before = server.requests.length;
    await source.read({ offset: 1000, length: 24 });
    expect(server.requests.slice(before)).toEqual([{ method: 'GET', path: `/${NAME}`, range: 'bytes=1000-1023' }]);
    expect(await source.size()).toBe(bytes.length);
    expect(server.requests.length).toBe(before + 1); // no HEAD needed any more
  });
});
