import sharp from '../encoders/sharp.js';
import { badGateway } from '../server/errors.js';

/**
 * An elevation PNG as 8-bit RGB or RGBA pixels, decoded by libvips (sharp): about twice as fast as a
 * JavaScript PNG decoder, which was most of a cold /mesh request. Bytes that are not a PNG (or a
 * PNG that does not decode) are an upstream failure: 502.
 */
export async function decodePngPixels(bytes: Uint8Array, what: string): Promise<{ data: Uint8Array; width: number; height: number; channels: 3 | 4 }> {
  if (bytes.length < 8 || bytes[0] !== 0x89 || bytes[1] !== 0x50 || bytes[2] !== 0x4e || bytes[3] !== 0x47) {
    throw badGateway(`corrupt PNG elevation tile ${what}: not a PNG`);
  }
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 && info.channels !== 4) throw new Error(`${info.channels} channels (need RGB or RGBA)`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    throw badGateway(`corrupt PNG elevation tile ${what}: ${(err as Error).message}`);
  }
}
