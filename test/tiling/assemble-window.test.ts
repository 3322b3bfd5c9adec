import { describe, expect, it } from 'vitest';
import type { BlockLayout } from '../../src/cog/cog-header.js';
import { assembleWindow, blockKey } from '../../src/tiling/assemble-window.js';

/** A 2x2-block image of 4x4-pixel blocks whose sample s at (col,row) is col*10 + row + s*100 (fits uint16). */
const layout = (over: Partial<BlockLayout> = {}): BlockLayout => ({
  ifd: 0, width: 8, height: 8, blockWidth: 4, blockHeight: 4, blocksAcross: 2, blocksDown: 2, offsets: [], byteCounts: [],
  compression: 1, predictor: 1, bitsPerSample: 16, samplesPerPixel: 3, planarConfiguration: 1, sampleFormat: 1, photometric: 2, ...over,
});
const value = (col: number, row: number, s: number) => col * 10 + row + s * 100;

function blocks(l: BlockLayout, skip: string[] = []) {
  const data = new Map<string, ArrayBufferLike>();
  const planes = l.planarConfiguration === 2 ? l.samplesPerPixel : 1;
  const spp = l.planarConfiguration === 2 ? 1 : l.samplesPerPixel;
  for (let by = 0; by < 2; by++) for (let bx = 0; bx < 2; bx++) for (let p = 0; p < planes; p++) {
    const key = blockKey(bx, by, p);
    if (skip.includes(key)) continue;
    const a = new Uint16Array(16 * spp);
    for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) for (let s = 0; s < spp; s++) {
      a[(r * 4 + c) * spp + s] = value(bx * 4 + c, by * 4 + r, planes > 1 ? p : s);
    }
    data.set(key, a.buffer);
  }
  return { data };
}

describe('assembleWindow', () => {
  it('copies a window across four blocks, chosen bands only, planar out', () => {
    const w = assembleWindow(layout(), { col: 2, row: 3, width: 4, height: 3, decimation: 1 }, 'uint16', [2, 0], undefined, blocks(layout()));
    expect(w.width).toBe(4);
    expect(w.mask).toBeUndefined();
    for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) {
      expect(w.data[r * 4 + c]).toBe(value(2 + c, 3 + r, 2));
      expect(w.data[12 + r * 4 + c]).toBe(value(2 + c, 3 + r, 0));
    }
  });

  it('reads planar-configuration-2 blocks and one-sample blocks with a row copy', () => {
    const l = layout({ planarConfiguration: 2 });
    const w = assembleWindow(l, { col: 0, row: 0, width: 8, height: 8, decimation: 1 }, 'uint16', [1], undefined, blocks(l));
    for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) expect(w.data[r * 8 + c]).toBe(value(c, r, 1));
  });

  it('decimates: every d-th pixel from the middle of each d x d cell', () => {
    const w = assembleWindow(layout(), { col: 0, row: 0, width: 8, height: 8, decimation: 2 }, 'uint16', [0], undefined, blocks(layout()));
    expect([w.width, w.height]).toEqual([4, 4]);
    expect(w.data[0]).toBe(value(1, 1, 0));
    expect(w.data[5]).toBe(value(3, 3, 0));
  });

  it('masks sparse blocks and zero alpha', () => {
    const l = layout();
    const src = blocks(l, [blockKey(1, 0)]);
    // alpha = sample 2: make one pixel transparent in block (0,1)
    new Uint16Array(src.data.get(blockKey(0, 1))!)[(0 * 4 + 1) * 3 + 2] = 0;
    const w = assembleWindow(l, { col: 0, row: 0, width: 8, height: 8, decimation: 1 }, 'uint16', [0], 2, src);
    expect(w.mask![0]).toBe(255);
    expect(w.mask![5]).toBe(0); // (5,0) is in the missing block (1,0)
    expect(w.data[5]).toBe(0);
    expect(w.mask![4 * 8 + 1]).toBe(0); // alpha 0
    expect(w.mask![4 * 8 + 2]).toBe(255);
  });

  it('masks sparse blocks when the dataset has no mask of its own', () => {
    const l = layout({ samplesPerPixel: 1 });
    const w = assembleWindow(l, { col: 0, row: 0, width: 8, height: 8, decimation: 1 }, 'uint16', [0], undefined, blocks(l, [blockKey(1, 1)]));
    expect(w.mask![0]).toBe(255);
    expect(w.mask![7 * 8 + 7]).toBe(0);
  });
});
