import { decode } from 'fast-png';
import { badGateway } from '../server/errors.js';

/**
 * An elevation PNG as 8-bit RGB or RGBA pixels. Elevation tiles are never palette or 16-bit images;
 * anything else (or bytes that are not a PNG) is an upstream failure: 502.
 */
export function decodePngPixels(bytes: Uint8Array, what: string): { data: Uint8Array; width: number; height: number; channels: 3 | 4 } {
  let img: ReturnType<typeof decode>;
  try {
    img = decode(bytes);
  } catch (err) {
    throw badGateway(`corrupt PNG elevation tile ${what}: ${(err as Error).message}`);
  }
  if (img.depth !== 8 || (img.channels !== 3 && img.channels !== 4) || img.palette) {
    throw badGateway(`unsupported elevation PNG ${what}: ${img.channels} channels of ${img.depth} bits (need 8-bit RGB or RGBA)`);
  }
  return { data: img.data as Uint8Array, width: img.width, height: img.height, channels: img.channels as 3 | 4 };
}
