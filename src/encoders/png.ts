import sharp from './sharp.js';
import { interleave, type PlanarImage } from './interleave.js';

/**
 * PNG like TiTiler's (GDAL PNG driver, zlevel 6, libpng's adaptive filtering): uint8 or uint16 samples,
 * the mask appended as alpha. 1 channel -> grey, 2 -> grey+alpha, 3 -> RGB, 4 -> RGBA.
 */
export async function encodePng(img: PlanarImage): Promise<Uint8Array> {
  const { data, channels } = interleave(img, { withAlpha: img.alpha !== undefined });
  if (channels > 4) throw new RangeError(`PNG holds at most 4 channels, got ${channels} (bands + mask)`);
  const sixteen = data instanceof Uint16Array;
  // Without an explicit colour space sharp turns grey into RGB and 16-bit into 8-bit.
  const space = channels <= 2 ? (sixteen ? 'grey16' : 'b-w') : sixteen ? 'rgb16' : 'srgb';
  return sharp(data, { raw: { width: img.width, height: img.height, channels: channels as 1 | 2 | 3 | 4 } })
    .toColourspace(space)
    .png({ compressionLevel: 6, adaptiveFiltering: true })
    .toBuffer();
}
