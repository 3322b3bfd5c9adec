import sharp from './sharp.js';
import { interleave, type PlanarImage } from './interleave.js';

/** JPEG like TiTiler's: uint8 grey or RGB, quality 85; the mask is dropped (JPEG has no alpha). */
export async function encodeJpeg(img: PlanarImage): Promise<Uint8Array> {
  if (!(img.data instanceof Uint8Array)) throw new TypeError('JPEG needs uint8 data');
  if (img.bands !== 1 && img.bands !== 3) throw new RangeError(`JPEG needs 1 or 3 bands, got ${img.bands}`);
  const { data, channels } = interleave(img);
  return sharp(data, { raw: { width: img.width, height: img.height, channels: channels as 1 | 3 } })
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .jpeg({ quality: 85 })
    .toBuffer();
}
