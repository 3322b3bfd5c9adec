// gdalwarp's chunk list and kernel scales on affine geometries worked out by hand; the same model is
// checked against gdalwarp's own chunks on real tiles in test/cog/gdal-parity.test.ts.
import { describe, expect, it } from 'vitest';
import { computeSourceWindow, kernelScales, warpChunks, warpScales, type WarpGeometry } from '../../src/tiling/warp-scale.js';

/** A 256x256 output over a 1024x1024 level: output pixel (x, y) is level pixel (a*x + ox, b*y + oy). */
function affine(a: number, b: number, ox = 0, oy = 0, radius = 1): WarpGeometry {
  return {
    toSource: (x, y) => [a * x + ox, b * y + oy],
    width: 256, height: 256, srcWidth: 1024, srcHeight: 1024, radius,
  };
}

describe('warp-scale: GDAL 3.6 chunks and kernel scales', () => {
  it('a 2x reduction inside the source is one chunk with scale 1/2 and a window padded by the stretched radius', () => {
    const g = affine(2, 2, 100, 100);
    // edges map to 100..612; bilinear radius ceil(1 / 0.5) = 2 on each side
    expect(computeSourceWindow(g, 0, 0, 256, 256)).toEqual({ x: 98, y: 98, width: 516, height: 516, extraX: 4, extraY: 4, fillRatio: 1 });
    const chunks = warpChunks(g);
    expect(chunks.map(({ x, y, width, height, scaleX, scaleY }) => [x, y, width, height, scaleX, scaleY])).toEqual([[0, 0, 256, 256, 0.5, 0.5]]);
    const w = warpScales(g)!;
    expect(w.padding).toBe(3);
    expect(w.scales(1)).toEqual({ scaleX: 0.5, scaleY: 0.5 });
    expect(w.scales(2)).toEqual({ scaleX: 1, scaleY: 1 }); // in pixels of a window decimated by 2
  });

  it('magnifying keeps the fixed kernels: no scales', () => {
    expect(warpScales(affine(0.5, 0.5, 10, 10))).toBeUndefined();
    expect(warpScales(affine(2, 2, 100, 100, 0))).toBeUndefined(); // nearest
  });

  it('an output hanging off the source is split until each chunk\'s window is half inside; chunks without source are dropped', () => {
    // x maps to 800..1312 of a 1024-wide level: the window is 44% inside, so gdalwarp halves the
    // output (rows first on a square), then the columns; the right column has no source
    const chunks = warpChunks(affine(2, 2, 800, 100));
    expect(chunks.map(({ x, y, width, height }) => [x, y, width, height])).toEqual([[0, 0, 128, 128], [0, 128, 128, 128]]);
    // raw source width 224 (clamped at the level edge) for 128 output pixels
    for (const c of chunks) expect([c.scaleX, c.scaleY]).toEqual([128 / 224, 0.5]);
    expect(warpScales(affine(2, 2, 800, 100))!.scales(1)).toEqual({ scaleRegions: chunks.map(({ source: _, ...r }) => r) });
  });

  it('kernel scales: reciprocals within 0.05 of an integer snap to it; a window between the raw and the output size is 1', () => {
    const g = affine(1, 1);
    const window = (width: number, extraX: number) => ({ x: 0, y: 0, width, height: 256, extraX, extraY: 0, fillRatio: 1 });
    expect(kernelScales(g, 0, 0, 256, 256, window(256 * 3.04 + 4, 4))[0]).toBe(1 / 3);
    expect(kernelScales(g, 0, 0, 256, 256, window(256 * 3.1 + 4, 4))[0]).toBeCloseTo(1 / 3.1, 12);
    expect(kernelScales(g, 0, 0, 256, 256, window(258, 4))[0]).toBe(1); // raw 254 <= 256 <= 258
    expect(kernelScales(g, 0, 0, 256, 256, window(4, 4))[0]).toBe(1); // no raw extent: not finite
  });
});
