/**
 * Cutting a validated meta-tile image into its tiles (runs in a pool worker, task kind 'cache-cut'; sharp decodes
 * once to raw pixels and encodes each tile). A truncated or corrupt image fails the whole meta-tile.
 */
import sharp from 'sharp';
import type { TileExt } from './config.js';

export interface CutTask {
  kind: 'cache-cut';
  image: Uint8Array;
  /** Tiles across and up; tile (i, j) has its top-left pixel at (buffer + i*256, buffer + (rows-1-j)*256). */
  cols: number;
  rows: number;
  buffer: number;
  ext: TileExt;
  jpegQuality: number;
}

export interface CutTile {
  /** Column from the west and row from the SOUTH (TMS order) within the meta-tile. */
  i: number;
  j: number;
  body: Uint8Array;
}

export interface CutResult {
  tiles: CutTile[];
}

export async function runCutTask(task: CutTask): Promise<CutResult> {
  const size = 256;
  const { data, info } = await sharp(task.image, { failOn: 'truncated' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const expectW = task.cols * size + 2 * task.buffer;
  const expectH = task.rows * size + 2 * task.buffer;
  if (info.width !== expectW || info.height !== expectH) throw new Error(`meta-tile is ${info.width}x${info.height}, expected ${expectW}x${expectH}`);
  const raw = { width: info.width, height: info.height, channels: info.channels };
  const tiles: CutTile[] = [];
  for (let j = 0; j < task.rows; j++) {
    for (let i = 0; i < task.cols; i++) {
      const left = task.buffer + i * size;
      const top = task.buffer + (task.rows - 1 - j) * size;
      let img = sharp(data, { raw }).extract({ left, top, width: size, height: size });
      const encoded = task.ext === 'png'
        ? await img.png({ compressionLevel: 6 }).toBuffer()
        : await (img = img.flatten({ background: '#ffffff' })).jpeg({ quality: task.jpegQuality, mozjpeg: false }).toBuffer();
      tiles.push({ i, j, body: new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength) });
    }
  }
  return { tiles };
}
