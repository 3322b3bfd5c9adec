import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compressBody, pickContentEncoding } from '../../src/encoders/content-encoding.js';
import { encodeNpy } from '../../src/encoders/npy.js';

describe('pickContentEncoding', () => {
  const cases: [string | undefined, 'br' | 'gzip' | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['deflate', undefined],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['br', 'br'],
    ['gzip, deflate, br', 'br'], // browsers: tie at q=1, brotli preferred
    ['GZIP , BR', 'br'],
    ['gzip;q=0, br', 'br'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.5, gzip;q=0.8', 'gzip'],
    ['br;q=0.8, gzip;q=0.5', 'br'],
    ['br;q=0, gzip;q=0', undefined],
    ['gzip;q=nonsense', undefined],
    ['*', 'br'],
    ['*;q=0', undefined],
    ['*;q=0.1, br;q=0', 'gzip'], // `*` covers gzip, br refused by name
    ['identity;q=1, *;q=0', undefined],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} -> ${expected}`, () => expect(pickContentEncoding(header)).toBe(expected));
  }
});

describe('compressBody', () => {
  const data = new Float32Array(2 * 256 * 256).map((_, i) => Math.round(Math.sin(i / 500) * 1000) / 10);
  const body = encodeNpy(data, [2, 256, 256]);

  it('gzip round-trips and shrinks an npy tile', async () => {
    const z = await compressBody(body, 'gzip');
    expect(z.length).toBeLessThan(body.length / 2);
    expect(Buffer.from(gunzipSync(z)).equals(Buffer.from(body))).toBe(true);
  });

  it('brotli round-trips and shrinks an npy tile', async () => {
    const z = await compressBody(body, 'br');
    expect(z.length).toBeLessThan(body.length / 2);
    expect(Buffer.from(brotliDecompressSync(z)).equals(Buffer.from(body))).toBe(true);
  });

  it('handles an empty body', async () => {
    expect(gunzipSync(await compressBody(new Uint8Array(0), 'gzip')).length).toBe(0);
    expect(brotliDecompressSync(await compressBody(new Uint8Array(0), 'br')).length).toBe(0);
  });
});
