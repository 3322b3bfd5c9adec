// Scalar reference of the mosaic blending kernel (assembly/blend.ts): rio-tiler's mosaic methods
// (rio_tiler/mosaic/methods/defaults.py) over numpy.ma, pixel by pixel, with numpy's arithmetic in
// numpy's order. The rules are spelled out in src/kernels/blend.ts.
import type { BlendInput, BlendResult, PixelSelection } from '../../../src/kernels/blend.js';
import { typedArrayFor, type SampleType, type TypedArray } from '../../../src/kernels/types.js';

/** DBL_MIN, numpy.ma's safe-division tolerance (np.finfo(float).tiny). */
const TINY = 2.2250738585072014e-308;

const isFloat = (t: SampleType) => t === 'float32' || t === 'float64';

/** -0 sorts before +0 (the order the kernel's min/max networks give; numpy leaves it unspecified). */
function before(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && Object.is(a, -0) && !Object.is(b, -0));
}

export function blendReference(
  method: PixelSelection, dtype: SampleType, bands: number, pixels: number, tiles: readonly BlendInput[],
): BlendResult {
  const n = tiles.length;
  const P = pixels;
  const f32 = dtype === 'float32';
  const round = (v: number) => (f32 ? Math.fround(v) : v);
  const valid = (i: number, p: number) => tiles[i]!.mask[p] !== 0;
  const value = (i: number, b: number, p: number) => tiles[i]!.data[b * P + p]!;

  const mask = new Uint8Array(P);
  const counts = new Uint32Array(P);
  for (let p = 0; p < P; p++) {
    let c = 0;
    for (let i = 0; i < n; i++) if (valid(i, p)) c++;
    counts[p] = c;
    mask[p] = c > 0 ? 255 : 0;
  }

  if (method === 'count') {
    const data = n < 256 ? new Uint8Array(P) : new Uint32Array(P);
    data.set(counts);
    return { data, mask: new Uint8Array(P).fill(255), dtype: n < 256 ? 'uint8' : 'uint32', bands: 1 };
  }

  if (method === 'lastbandlow' || method === 'lastbandhigh') {
    const outBands = bands - 1;
    const data = new (typedArrayFor(dtype))(outBands * P);
    const last = bands - 1;
    for (let p = 0; p < P; p++) {
      let win = -1;
      let cur = 0;
      for (let i = 0; i < n; i++) {
        if (!valid(i, p)) continue;
        const v = value(i, last, p);
        if (win < 0 || (method === 'lastbandlow' ? v < cur : v > cur)) {
          win = i;
          cur = v;
        }
      }
      if (win >= 0) for (let b = 0; b < outBands; b++) data[b * P + p] = value(win, b, p);
    }
    return { data, mask, dtype, bands: outBands };
  }

  const outType: SampleType = method === 'stdev' ? 'float64' : dtype;
  const data: TypedArray = new (typedArrayFor(outType))(bands * P);
  const sorted: number[] = [];
  // mean / stdev of floats: 1 where some band is not masked by numpy (see below)
  const ok = new Uint8Array(P);
  for (let b = 0; b < bands; b++) {
    for (let p = 0; p < P; p++) {
      const c = counts[p]!;
      if (c === 0) continue; // masked: 0
      let out = 0;
      switch (method) {
        case 'first':
          for (let i = 0; i < n; i++) {
            if (valid(i, p)) {
              out = value(i, b, p);
              break;
            }
          }
          break;
        case 'highest':
        case 'lowest': {
          let has = false;
          for (let i = 0; i < n; i++) {
            if (!valid(i, p)) continue;
            const v = value(i, b, p);
            if (!has || (method === 'highest' ? v > out : v < out)) out = v;
            has = true;
          }
          break;
        }
        case 'mean':
        case 'stdev': {
          // numpy.ma.mean: masked samples filled with 0, summed from 0 in tile order (f64 for
          // integers, the array's own type for floats), then (sum * 1.) / count in f64, through
          // numpy.ma's safe division, which masks a non-finite quotient or |sum| * DBL_MIN >= count
          // and leaves the dividend (the sum) in the data there
          let s = 0;
          for (let i = 0; i < n; i++) s = round(s + (valid(i, p) ? value(i, b, p) : 0));
          const meanMasked = !(Math.abs(s) * TINY < c);
          if (method === 'mean') {
            if (!isFloat(dtype)) out = Math.trunc((s * 1) / c);
            else if (meanMasked) out = s;
            else {
              out = (s * 1) / c; // the typed array rounds float32
              ok[p] = 1;
            }
            break;
          }
          // numpy.ma.std: a masked mean masks every deviation: var = 0 / count, std 0, valid
          if (meanMasked) {
            ok[p] = 1;
            break;
          }
          const mean = (s * 1) / c;
          let ss = 0;
          for (let i = 0; i < n; i++) {
            if (!valid(i, p)) continue;
            const d = value(i, b, p) - mean;
            ss += d * d;
          }
          // safe division again (var then overrides its mask): ss itself where |ss| * DBL_MIN >= count
          const v = Math.abs(ss) * TINY >= c ? ss : ss / c;
          out = Math.sqrt(v);
          if (Number.isFinite(ss)) ok[p] = 1; // sqrt masks a non-finite result
          break;
        }
        case 'median': {
          sorted.length = 0;
          let nan = false;
          for (let i = 0; i < n; i++) {
            if (!valid(i, p)) continue;
            const v = value(i, b, p);
            if (Number.isNaN(v)) nan = true;
            sorted.push(v);
          }
          if (nan) {
            out = Number.NaN;
            break;
          }
          sorted.sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0));
          const lo = sorted[(c - 1) >> 1]!;
          const hi = sorted[c >> 1]!;
          // floats: (lo + hi) / 2 in the array's type, even when lo is hi; integers: numpy.ma.mean
          // of the two in f64, then astype (truncation toward zero)
          // (numpy.ma.sum of the two starts at 0: (0 + lo) + hi, so -0 and -0 give +0)
          out = isFloat(dtype) ? round(round(round(0 + lo) + hi) / 2) : Math.trunc(((lo + hi) * 1) / 2);
          break;
        }
        default:
          throw new TypeError(`unknown method ${String(method)}`);
      }
      data[b * P + p] = out;
    }
  }
  if ((method === 'mean' || method === 'stdev') && isFloat(dtype)) {
    // numpy masked every band of these pixels; ImageData.mask is valid where any band is
    for (let p = 0; p < P; p++) {
      if (mask[p] === 0 || ok[p] !== 0) continue;
      mask[p] = 0;
      for (let b = 0; b < bands; b++) data[b * P + p] = 0;
    }
  }
  return { data, mask, dtype: outType, bands };
}
