import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { HttpError } from '../../src/server/errors.js';
import { FileSource } from '../../src/sources/file-source.js';
import { openSource } from '../../src/sources/open-source.js';

const FIXTURE = join(DEMO_DATA_DIR, 'riotiler-cog_uint16_utm_ovr.tif');
const bytes = readFileSync(FIXTURE);
const config = loadConfig({ sourceAllowlist: [DEMO_DATA_DIR] }, {});

describe('file source', () => {
  it('reads ranges equal to the file bytes, by path and by file:// URL', async () => {
    for (const url of [FIXTURE, pathToFileURL(FIXTURE).href]) {
      const source = await openSource(url, config);
      expect(source.url).toBe(FIXTURE);
      expect(await source.size()).toBe(bytes.length);
      expect(await source.read({ offset: 0, length: 16 })).toEqual(new Uint8Array(bytes.subarray(0, 16)));
      const ranges = [
        { offset: 700_000, length: 5000 },
        { offset: 100_000, length: 1234 },
        { offset: 100_500, length: 10 },
      ];
      const got = await source.readRanges(ranges);
      got.forEach((chunk, i) => {
        const { offset, length } = ranges[i]!;
        expect(chunk).toEqual(new Uint8Array(bytes.subarray(offset, offset + length)));
      });
    }
  });

  it('returns short reads at end of file and empty ones past it', async () => {
    const source = new FileSource(FIXTURE);
    expect((await source.read({ offset: bytes.length - 10, length: 100 })).length).toBe(10);
    expect((await source.read({ offset: bytes.length + 10, length: 100 })).length).toBe(0);
    expect((await source.read({ offset: 5, length: 0 })).length).toBe(0);
  });

  it('gives each result its own ArrayBuffer', async () => {
    const source = new FileSource(FIXTURE);
    const [a, b] = await source.readRanges([{ offset: 200_000, length: 8 }, { offset: 200_004, length: 8 }]);
    expect(a!.byteOffset).toBe(0);
    expect(a!.buffer.byteLength).toBe(8);
    expect(a!.buffer).not.toBe(b!.buffer);
  });

  it('answers 404 for a missing file', async () => {
    const source = await openSource(join(DEMO_DATA_DIR, 'missing.tif'), config);
    await expect(source.size()).rejects.toMatchObject({ status: 404 });
    const error = await source.read({ offset: 100_000, length: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 404, detail: expect.stringContaining('not found') });
  });

  it('rejects invalid ranges', async () => {
    const source = new FileSource(FIXTURE);
    await expect(source.read({ offset: -1, length: 4 })).rejects.toBeInstanceOf(RangeError);
    await expect(source.read({ offset: 1.5, length: 4 })).rejects.toBeInstanceOf(RangeError);
  });
});
