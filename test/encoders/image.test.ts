import { decode } from 'fast-png';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeImage, MEDIA_TYPES, type PlanarImage } from '../../src/encoders/image.js';

const W = 64;
const H = 48;
const N = W * H;

/** Planar test image: smooth per-band ramps (so lossy codecs stay close), mask off in the left quarter. */
function image(bands: number, opts: { sixteen?: boolean; alpha?: boolean } = {}): PlanarImage {
  const max = opts.sixteen ? 65535 : 255;
  const data = opts.sixteen ? new Uint16Array(bands * N) : new Uint8Array(bands * N);
  for (let b = 0; b < bands; b++) {
    for (let y = 0; y < H; y++) {
      // each band ramps in its own direction, so swapped channels show up as large differences
      const fx = (b + 1) / (bands + 1);
      for (let x = 0; x < W; x++) data[b * N + y * W + x] = Math.round(max * ((fx * x) / (W - 1) + ((1 - fx) * y) / (H - 1)));
    }
  }
  const alpha = opts.alpha ? Uint8Array.from({ length: N }, (_, p) => (p % W < W / 4 ? 0 : 255)) : undefined;
  return { width: W, height: H, bands, data, alpha };
}

/** What the decoded image should hold: pixel-interleaved bands, then the mask scaled to the sample range. */
function expectedChunky(img: PlanarImage, repeatGray = false): number[] {
  const out: number[] = [];
  const scale = img.data instanceof Uint16Array ? 257 : 1;
  for (let p = 0; p < N; p++) {
    for (let b = 0; b < img.bands; b++) out.push(img.data[b * N + p]);
    if (repeatGray && img.bands === 1) out.push(img.data[p], img.data[p]);
    if (img.alpha) out.push(img.alpha[p] * scale);
  }
  return out;
}

async function decodeWithSharp(bytes: Uint8Array) {
  const meta = await sharp(bytes).metadata();
  // sharp's raw output turns grey into RGB unless told to keep it
  const decoder = meta.channels === 1 ? sharp(bytes).toColourspace('b-w') : sharp(bytes);
  const { data, info } = await decoder.raw().toBuffer({ resolveWithObject: true });
  return { meta, data, info };
}

function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

describe('MEDIA_TYPES', () => {
  it('are TiTiler’s', () => {
    expect(MEDIA_TYPES).toEqual({
      png: 'image/png',
      jpeg: 'image/jpeg',
      jpg: 'image/jpg',
      webp: 'image/webp',
      tif: 'image/tiff; application=geotiff',
      npy: 'application/x-binary',
    });
  });
});

describe('encodeImage png', () => {
  const cases: [string, PlanarImage, number][] = [
    ['8-bit grey', image(1), 1],
    ['8-bit grey + mask', image(1, { alpha: true }), 2],
    ['8-bit 2 bands (grey + alpha)', image(2), 2],
    ['8-bit RGB', image(3), 3],
    ['8-bit RGB + mask', image(3, { alpha: true }), 4],
    ['8-bit RGBA bands', image(4), 4],
    ['16-bit grey', image(1, { sixteen: true }), 1],
    ['16-bit grey + mask', image(1, { sixteen: true, alpha: true }), 2],
    ['16-bit RGB + mask', image(3, { sixteen: true, alpha: true }), 4],
  ];
  for (const [name, img, channels] of cases) {
    it(`${name}: decodes to the same samples`, async () => {
      const png = decode(await encodeImage('png', img));
      expect(png.width).toBe(W);
      expect(png.height).toBe(H);
      expect(png.channels).toBe(channels);
      expect(png.depth).toBe(img.data instanceof Uint16Array ? 16 : 8);
      // Samples under alpha 0 are kept too (no premultiplication): the bands must survive exactly.
      expect(Array.from(png.data)).toEqual(expectedChunky(img));
    });
  }

  it('keeps every 16-bit value exactly', async () => {
    const img = { width: W, height: H, bands: 3, data: Uint16Array.from({ length: 3 * N }, (_, i) => (i * 7919) % 65536) };
    const png = decode(await encodeImage('png', img));
    expect(png.depth).toBe(16);
    expect(Array.from(png.data)).toEqual(expectedChunky(img));
  });

  it('refuses more than 4 channels (GDAL’s PNG driver does too)', async () => {
    await expect(encodeImage('png', image(4, { alpha: true }))).rejects.toThrow(/4 channels/);
  });

  it('rejects data of the wrong length', async () => {
    await expect(encodeImage('png', { width: W, height: H, bands: 3, data: new Uint8Array(N) })).rejects.toThrow(RangeError);
  });
});

describe('encodeImage jpeg', () => {
  it('RGB: right size and channels, pixels close; the mask is dropped', async () => {
    const img = image(3, { alpha: true });
    for (const format of ['jpeg', 'jpg'] as const) {
      const { meta, data } = await decodeWithSharp(await encodeImage(format, img));
      expect(meta.format).toBe('jpeg');
      expect([meta.width, meta.height, meta.channels, meta.hasAlpha]).toEqual([W, H, 3, false]);
      expect(meanAbsDiff(data, expectedChunky({ ...img, alpha: undefined }))).toBeLessThan(3);
    }
  });

  it('grey stays one channel', async () => {
    const img = image(1);
    const { meta, data, info } = await decodeWithSharp(await encodeImage('jpeg', img));
    expect([meta.channels, info.channels]).toEqual([1, 1]);
    expect(meanAbsDiff(data, expectedChunky(img))).toBeLessThan(3);
  });

  it('refuses uint16 and 2 or 4 bands', async () => {
    await expect(encodeImage('jpeg', image(3, { sixteen: true }))).rejects.toThrow(/uint8/);
    await expect(encodeImage('jpeg', image(4))).rejects.toThrow(/1 or 3 bands/);
  });
});

describe('encodeImage webp', () => {
  it('RGB + mask: RGBA, colours close, alpha exact', async () => {
    const img = image(3, { alpha: true });
    const { meta, data } = await decodeWithSharp(await encodeImage('webp', img));
    expect(meta.format).toBe('webp');
    expect([meta.width, meta.height, meta.channels, meta.hasAlpha]).toEqual([W, H, 4, true]);
    const want = expectedChunky(img);
    const alphaOf = (a: ArrayLike<number>) => Array.from({ length: N }, (_, p) => a[p * 4 + 3]);
    expect(alphaOf(data)).toEqual(alphaOf(want));
    // Compare colours where the mask is valid (lossy WebP may change hidden pixels).
    const visible = (a: ArrayLike<number>) => Array.from(a).filter((_, i) => want[i - (i % 4) + 3] === 255 && i % 4 !== 3);
    expect(meanAbsDiff(visible(data), visible(want))).toBeLessThan(5);
  });

  it('one band is repeated to RGB', async () => {
    const img = image(1);
    const { meta, data } = await decodeWithSharp(await encodeImage('webp', img));
    expect([meta.channels, meta.hasAlpha]).toEqual([3, false]);
    expect(meanAbsDiff(data, expectedChunky(img, true))).toBeLessThan(5);
  });

  it('one band + mask becomes RGBA', async () => {
    const { meta } = await decodeWithSharp(await encodeImage('webp', image(1, { alpha: true })));
    expect([meta.channels, meta.hasAlpha]).toEqual([4, true]);
  });

  it('refuses uint16 and 2 bands', async () => {
    await expect(encodeImage('webp', image(3, { sixteen: true }))).rejects.toThrow(/uint8/);
    await expect(encodeImage('webp', image(2))).rejects.toThrow(/RGB or RGBA/);
  });
});
