/**
 * Rendered-image encoders (TiTiler's png/jpeg/jpg/webp) and the media types of every output format.
 * npy lives in npy.ts: it takes any dtype and is not an image.
 */
import type { PlanarImage } from './interleave.js';
import { encodeJpeg } from './jpeg.js';
import { encodePng } from './png.js';
import { encodeWebp } from './webp.js';

export type { PlanarImage } from './interleave.js';

/**
 * TiTiler's media types (`jpg` really is `image/jpg` there). `tif` is listed for completeness but has no
 * encoder: geotiff.js's writer takes ~80 ms per 256x256x4 tile (a DataView per sample), uncompressed,
 * and encodeImage gets no transform/CRS to georeference it with.
 */
export const MEDIA_TYPES = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  jpg: 'image/jpg',
  webp: 'image/webp',
  tif: 'image/tiff; application=geotiff',
  npy: 'application/x-binary',
} as const;

export type ImageFormat = 'png' | 'jpeg' | 'jpg' | 'webp';

export function encodeImage(format: ImageFormat, img: PlanarImage): Promise<Uint8Array> {
  switch (format) {
    case 'png':
      return encodePng(img);
    case 'jpeg':
    case 'jpg':
      return encodeJpeg(img);
    case 'webp':
      return encodeWebp(img);
    default:
      return Promise.reject(new TypeError(`no image encoder for ${String(format)}`));
  }
}
