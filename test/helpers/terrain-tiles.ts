import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode, encode } from 'fast-png';

/**
 * A small Terrarium tile pyramid made from real data for the /mesh tests: fuji.png (512x512
 * Terrain-RGB, test/fixtures/terrain) cut into 2x2 neighbouring 256 px tiles at zoom 12 around
 * Mt Fuji, re-encoded as Terrarium PNGs under root/{z}/{x}/{y}.png. Returns the tiles and heights.
 */
export const FUJI_TILES = { z: 12, x0: 3630, y0: 1612 };

export function fujiHeights(): { heights: Float32Array; size: number } {
  const png = decode(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'terrain', 'martini_fuji.png')));
  const size = png.width;
  const heights = new Float32Array(size * size);
  const c = png.channels;
  for (let i = 0; i < size * size; i++) {
    const [r, g, b] = [png.data[i * c], png.data[i * c + 1], png.data[i * c + 2]];
    heights[i] = (r * 65536 + g * 256 + b) / 10 - 10000;
  }
  return { heights, size };
}

/** Terrarium-encodes h (metres, 1/256 m steps). */
export function terrariumPixel(h: number): [number, number, number] {
  const v = Math.round((h + 32768) * 256) / 256;
  const whole = Math.floor(v);
  return [Math.floor(whole / 256), whole % 256, Math.round((v - whole) * 256)];
}

export function terrariumHeight(r: number, g: number, b: number): number {
  return r * 256 + g + b / 256 - 32768;
}

export function writeFujiTiles(root: string): Array<{ z: number; x: number; y: number; heights: Float32Array }> {
  const { heights, size } = fujiHeights();
  const out: Array<{ z: number; x: number; y: number; heights: Float32Array }> = [];
  for (let ty = 0; ty < size / 256; ty++) {
    for (let tx = 0; tx < size / 256; tx++) {
      const rgb = new Uint8Array(256 * 256 * 3);
      const tile = new Float32Array(256 * 256);
      for (let r = 0; r < 256; r++) {
        for (let c = 0; c < 256; c++) {
          const px = terrariumPixel(heights[(ty * 256 + r) * size + tx * 256 + c]);
          rgb.set(px, (r * 256 + c) * 3);
          tile[r * 256 + c] = terrariumHeight(...px);
        }
      }
      const { z, x0, y0 } = FUJI_TILES;
      const dir = join(root, String(z), String(x0 + tx));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${y0 + ty}.png`), encode({ width: 256, height: 256, data: rgb, channels: 3, depth: 8 }));
      out.push({ z, x: x0 + tx, y: y0 + ty, heights: tile });
    }
  }
  return out;
}
