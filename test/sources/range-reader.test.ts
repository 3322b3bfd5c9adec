import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type ServerConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { FileSource } from '../../src/sources/file-source.js';
import { HttpSource } from '../../src/sources/http-source.js';
import type { RangeReaderOptions } from '../../src/sources/range-reader.js';
import { startRangeServer, type RangeServer } from '../helpers/http-range-server.js';

const NAME = 'riotiler-cog_uint16_utm_ovr.tif';
const bytes = readFileSync(join(DEMO_DATA_DIR, NAME));
const KiB = 1024;

describe('range reader (through a real HTTP source)', () => {
  let server: RangeServer;
  let config: ServerConfig;
  // Requests parked by the server until released: makes "concurrent" deterministic, no timing.
  let parked: Array<() => void> = [];
  let parking = false;
  const source = (options?: RangeReaderOptions) => new HttpSource(new URL(`${server.url}/${NAME}`), config, options);
  const gets = () => server.requests.filter((r) => r.method === 'GET');

  beforeAll(async () => {
    server = await startRangeServer(DEMO_DATA_DIR, {
      onRequest: (req, res) => {
        if (!parking) return false;
        parked.push(() => answerFromFile(req, res));
        return true;
      },
    });
    config = loadConfig({ sourceAllowlist: [server.url + '/'], allowPrivateAddresses: true }, {});
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
    parked = [];
    parking = false;
  });

  // Answers a parked request with the file bytes it asked for.
  function answerFromFile(req: IncomingMessage, res: ServerResponse) {
    const [, a, b] = /bytes=(\d+)-(\d+)/.exec(req.headers.range!)!;
    const body = bytes.subarray(Number(a), Number(b) + 1);
    res.writeHead(206, { 'content-range': `bytes ${a}-${Number(a) + body.length - 1}/${bytes.length}`, 'content-length': body.length });
    res.end(body);
  }
  const whenParked = async (n: number) => {
    while (parked.length < n) await new Promise((r) => setTimeout(r, 5));
  };

  it('merges ranges separated by small gaps into one upstream read and slices the results', async () => {
    const src = source({ headerBytes: 0 });
    const ranges = [
      { offset: 300 * KiB, length: 10 * KiB },
      { offset: 100 * KiB, length: 4 * KiB },
      { offset: 110 * KiB, length: 4 * KiB }, // 6 KiB after the previous one: merged
      { offset: 150 * KiB, length: 1 * KiB }, // 36 KiB gap: merged
      { offset: 600 * KiB, length: 2 * KiB }, // far away: its own read
    ];
    const got = await src.readRanges(ranges);
    got.forEach((chunk, i) => {
      const { offset, length } = ranges[i]!;
      expect(chunk).toEqual(new Uint8Array(bytes.subarray(offset, offset + length)));
    });
    expect(gets().map((r) => r.range).sort()).toEqual([
      `bytes=${100 * KiB}-${151 * KiB - 1}`,
      `bytes=${300 * KiB}-${310 * KiB - 1}`,
      `bytes=${600 * KiB}-${602 * KiB - 1}`,
    ]);
    expect(src.stats).toEqual({ requests: 3, bytes: 51 * KiB + 10 * KiB + 2 * KiB });
  });

  it('does not merge across large gaps or beyond the merged-size cap', async () => {
    const src = source({ headerBytes: 0, mergeGapBytes: 1 * KiB, maxMergedBytes: 8 * KiB });
    await src.readRanges([
      { offset: 100 * KiB, length: 1 * KiB },
      { offset: 102 * KiB + 1, length: 1 * KiB }, // gap > 1 KiB
      { offset: 200 * KiB, length: 6 * KiB },
      { offset: 206 * KiB, length: 6 * KiB }, // adjacent, but 12 KiB > cap
    ]);
    expect(gets()).toHaveLength(4);
  });

  it('coalesces concurrent identical reads into one upstream request', async () => {
    const src = source({ headerBytes: 0 });
    parking = true;
    const first = src.read({ offset: 200 * KiB, length: 8 * KiB });
    const second = src.read({ offset: 200 * KiB, length: 8 * KiB });
    await whenParked(1);
    parked.forEach((answer) => answer());
    const [a, b] = await Promise.all([first, second]);
    expect(a).toEqual(b);
    expect(a).not.toBe(b); // each caller still owns its bytes: moving one to a worker leaves the other whole
    structuredClone(a, { transfer: [a.buffer as ArrayBuffer] });
    expect(a.byteLength).toBe(0);
    expect(b).toEqual(new Uint8Array(bytes.subarray(200 * KiB, 208 * KiB)));
    expect(gets()).toHaveLength(1);
    expect(src.stats.requests).toBe(1);
    // Once settled nothing is remembered: the next read goes upstream again.
    parking = false;
    await src.read({ offset: 200 * KiB, length: 8 * KiB });
    expect(gets()).toHaveLength(2);
  });

  it('keeps the shared read going when only one of two waiters aborts', async () => {
    const src = source({ headerBytes: 0 });
    parking = true;
    const controller = new AbortController();
    const abandoned = src.read({ offset: 400 * KiB, length: 100 }, controller.signal);
    const kept = src.read({ offset: 400 * KiB, length: 100 });
    await whenParked(1);
    controller.abort(new Error('gone'));
    await expect(abandoned).rejects.toThrow('gone');
    parked.forEach((answer) => answer());
    expect(await kept).toEqual(new Uint8Array(bytes.subarray(400 * KiB, 400 * KiB + 100)));
  });

  it('does not remember failures', async () => {
    const src = new HttpSource(new URL(`${server.url}/not-yet.tif`), config, { headerBytes: 0 });
    await expect(src.read({ offset: 0, length: 10 })).rejects.toMatchObject({ status: 404 });
    await expect(src.read({ offset: 0, length: 10 })).rejects.toMatchObject({ status: 404 });
    expect(gets()).toHaveLength(2);
  });

  it('reads the first 64 KiB once and serves header reads from it', async () => {
    const src = source();
    const header = [
      { offset: 0, length: 8 },
      { offset: 8, length: 200 },
      { offset: 40_000, length: 3000 },
    ];
    for (const range of header) {
      expect(await src.read(range)).toEqual(new Uint8Array(bytes.subarray(range.offset, range.offset + range.length)));
    }
    expect(gets().map((r) => r.range)).toEqual([`bytes=0-${64 * KiB - 1}`]);
    await src.read({ offset: 60 * KiB, length: 8 * KiB }); // crosses the header end: read on its own
    expect(gets()).toHaveLength(2);
  });

  it('serves a whole small file from the header chunk', async () => {
    const small = readFileSync(join(DEMO_DATA_DIR, 'cogeotiff-rgba8_cog.tiff'));
    const src = new FileSource(join(DEMO_DATA_DIR, 'cogeotiff-rgba8_cog.tiff'));
    expect(await src.read({ offset: 0, length: 16 })).toEqual(new Uint8Array(small.subarray(0, 16)));
    expect(await src.read({ offset: 3000, length: 1000 })).toEqual(new Uint8Array(small.subarray(3000)));
    expect(src.stats).toEqual({ requests: 1, bytes: small.length });
  });
});
