/**
 * Content-Encoding for npy bodies (TiTiler compresses npy; images are already compressed). Runs in the
 * Piscina workers next to the encoders.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

export type ContentEncoding = 'br' | 'gzip';

/**
 * Levels measured on 256x256 float32 npy tiles (band + mask, 512 KiB; test/encoders/bench-compress.ts):
 * brotli 4 gives gzip-6 sizes in 2-3 ms where gzip 6 takes 6-7 ms and brotli 5 takes 5-10 ms;
 * gzip 4 is within 3% of gzip 6 and up to twice as fast.
 */
const BROTLI_QUALITY = 4;
const GZIP_LEVEL = 4;

/**
 * The encoding to answer with, from the request's Accept-Encoding: the acceptable one (q > 0) with the
 * highest q, brotli on a tie (smaller and faster). `*` stands for any coding the header does not name.
 * No header, `identity` alone or only unknown codings -> undefined (send the body as is).
 */
export function pickContentEncoding(acceptEncoding: string | undefined): ContentEncoding | undefined {
  if (!acceptEncoding) return undefined;
  const q = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!coding) continue;
    let weight = 1;
    for (const p of params) {
      // An unreadable q makes the coding unacceptable: the plain body is always safe.
      if (p.startsWith('q=')) weight = /^[01](\.\d{0,3})?$/.test(p.slice(2)) ? Number(p.slice(2)) : 0;
    }
    q.set(coding === 'x-gzip' ? 'gzip' : coding, weight);
  }
  const star = q.get('*') ?? 0;
  const br = q.get('br') ?? star;
  const gzip = q.get('gzip') ?? star;
  if (br <= 0 && gzip <= 0) return undefined;
  return br >= gzip ? 'br' : 'gzip';
}

/**
 * Compress a response body. Synchronous zlib on purpose: inside a worker the thread itself is the CPU
 * budget, and the async API would queue on libuv's small shared thread pool instead.
 */
export async function compressBody(body: Uint8Array, enc: ContentEncoding): Promise<Uint8Array> {
  if (enc === 'br') {
    return brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength },
    });
  }
  return gzipSync(body, { level: GZIP_LEVEL });
}
