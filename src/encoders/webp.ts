import sharp from './sharp.js';
import { interleave, type PlanarImage } from './interleave.js';

/**
 * WebP like TiTiler's: uint8, lossy quality 75, alpha kept. WebP has no grey mode, so one band is
 * repeated to RGB (rio-tiler does the same); the result must be RGB or RGBA.
 */
export async function encodeWebp(img: PlanarImage): Promise<Uint8Array> {
  if (!(img.data instanceof Uint8Array)) throw new TypeError('WebP needs uint8 data');
  const { data, channels } = interleave(img, { grayToRgb: true, withAlpha: img.alpha !== undefined });
  if (channels !== 3 && channels !== 4) {
    throw new RangeError(`WebP needs RGB or RGBA, got ${img.bands} bands${img.alpha ? ' + mask' : ''}`);
  }
  return sharp(data, { raw: { width: img.width, height: img.height, channels } })
    .webp({ quality: 75 })
    .toBuffer();
}
