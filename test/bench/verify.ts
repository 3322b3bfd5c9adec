// Checks a tile body the way a client would read it: counts the pixels its mask marks valid.
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import sharp from '../../src/encoders/sharp.js';
import { tilePath, type Scenario } from './scenarios.js';

/** Valid pixels of a png (alpha channel) or npy (last band, kepler.gl's mask) tile body. */
export async function validPixels(body: Buffer, ext: 'png' | 'npy', contentEncoding?: string): Promise<number> {
  if (ext === 'png') {
    const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 2 && info.channels !== 4) throw new Error(`png without alpha (${info.channels} channels)`);
    let n = 0;
    for (let i = info.channels - 1; i < data.length; i += info.channels) if (data[i] !== 0) n++;
    return n;
  }
  const npy = contentEncoding === 'br' ? brotliDecompressSync(body) : contentEncoding === 'gzip' ? gunzipSync(body) : body;
  const header = npy.subarray(10, 10 + npy.readUInt16LE(8)).toString('latin1'); // npy v1.0
  const item = Number(/'descr': '[<>|][a-z](\d+)'/.exec(header)?.[1]);
  const shape = /'shape': \((\d+), (\d+), (\d+)\)/.exec(header);
  if (!item || !shape) throw new Error(`unexpected npy header ${header}`);
  const pixels = Number(shape[2]) * Number(shape[3]);
  const mask = npy.subarray(npy.length - pixels * item);
  let n = 0;
  for (let p = 0; p < pixels; p++) {
    for (let k = 0; k < item; k++) if (mask[p * item + k] !== 0) { n++; break; }
  }
  return n;
}

export interface Fetched {
  status: number;
  body: Buffer;
  contentEncoding?: string;
}

/** Requests every tile of the list once; throws unless each is 200 with a non-empty mask. */
export async function verifyTiles(s: Scenario, get: (path: string, headers?: Record<string, string>) => Promise<Fetched>): Promise<void> {
  for (let i = 0; i < s.tiles.length; i++) {
    const path = tilePath(s, i, -1 - i);
    const r = await get(path, s.headers);
    const valid = r.status === 200 ? await validPixels(r.body, s.ext, r.contentEncoding) : 0;
    if (r.status !== 200 || valid === 0) {
      throw new Error(`${s.name}: tile ${s.tiles[i]!.join('/')} answered ${r.status} with ${valid} valid pixels: ${r.body.subarray(0, 200).toString()}`);
    }
  }
}
