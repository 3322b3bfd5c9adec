import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_DATA_DIR } from '../../src/paths.js';
import { FileSource } from '../../src/sources/file-source.js';
import { HttpSource } from '../../src/sources/http-source.js';
import { openSource } from '../../src/sources/open-source.js';
import { S3Source } from '../../src/sources/s3-source.js';

const FIXTURE = join(DEMO_DATA_DIR, 'riotiler-cog_uint8_rgb_mask_4326.tif');

describe('openSource', () => {
  const config = loadConfig(
    { sourceAllowlist: [DEMO_DATA_DIR, 'https://', 's3://'], allowPrivateAddresses: true, s3: { region: 'us-east-1', forcePathStyle: false } },
    {},
  );

  it('picks the source by scheme', async () => {
    expect(await openSource(FIXTURE, config)).toBeInstanceOf(FileSource);
    expect(await openSource('https://127.0.0.1/a.tif', config)).toBeInstanceOf(HttpSource);
    expect(await openSource('s3://bucket/path/a.tif', config)).toBeInstanceOf(S3Source);
  });

  it('returns the same instance for the same (normalised) url', async () => {
    const first = await openSource(FIXTURE, config);
    expect(await openSource(pathToFileURL(FIXTURE).href, config)).toBe(first);
    expect(await openSource(`${DEMO_DATA_DIR}/./sub/../${FIXTURE.split('/').pop()}`, config)).toBe(first);
    const http = await openSource('HTTPS://127.0.0.1:443/a.tif#frag', config);
    expect(http.url).toBe('https://127.0.0.1/a.tif');
    expect(await openSource('https://127.0.0.1/a.tif', config)).toBe(http);
    expect(await openSource('https://127.0.0.1/a.tif?v=2', config)).not.toBe(http);
  });

  it('returns one instance to concurrent first opens', async () => {
    const url = 's3://bucket/concurrent.tif';
    const [a, b, c] = await Promise.all([openSource(url, config), openSource(url, config), openSource(url, config)]);
    expect(a).toBe(b);
    expect(b).toBe(c);
  });

  it('keeps sources of different configs apart', async () => {
    const other = { ...config, upstreamTimeoutMs: 1 };
    expect(await openSource(FIXTURE, other)).not.toBe(await openSource(FIXTURE, config));
  });
});
