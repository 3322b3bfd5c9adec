// Named colormaps as 256-entry RGBA lookup tables for Kernels.applyColormap.
//
// Perceptual and ColorBrewer maps come from d3-scale-chromatic sampled at i/255 (for viridis & co
// that is exactly entry i of the 256-colour table). Matplotlib's segmented maps (gray, terrain) are
// rebuilt with matplotlib's own lookup-table arithmetic and rio-tiler's `(v * 255).astype(uint8)`
// truncation, so they match TiTiler's tables. Every map has a reversed "_r" twin, as in rio-tiler.
// LUTs are built on first use and memoised: callers must not mutate them.

import * as d3 from 'd3-scale-chromatic';

type Ramp = (t: number) => string;

/** d3 interpolators under rio-tiler's (lower-case matplotlib) names. */
const D3_RAMPS: Record<string, Ramp> = {
  viridis: d3.interpolateViridis,
  magma: d3.interpolateMagma,
  inferno: d3.interpolateInferno,
  plasma: d3.interpolatePlasma,
  cividis: d3.interpolateCividis,
  turbo: d3.interpolateTurbo,
  greys: d3.interpolateGreys, // white -> black, as matplotlib's Greys
  blues: d3.interpolateBlues,
  greens: d3.interpolateGreens,
  oranges: d3.interpolateOranges,
  purples: d3.interpolatePurples,
  reds: d3.interpolateReds,
  bugn: d3.interpolateBuGn,
  bupu: d3.interpolateBuPu,
  gnbu: d3.interpolateGnBu,
  orrd: d3.interpolateOrRd,
  pubu: d3.interpolatePuBu,
  pubugn: d3.interpolatePuBuGn,
  purd: d3.interpolatePuRd,
  rdpu: d3.interpolateRdPu,
  ylgn: d3.interpolateYlGn,
  ylgnbu: d3.interpolateYlGnBu,
  ylorbr: d3.interpolateYlOrBr,
  ylorrd: d3.interpolateYlOrRd,
  brbg: d3.interpolateBrBG,
  piyg: d3.interpolatePiYG,
  prgn: d3.interpolatePRGn,
  puor: d3.interpolatePuOr,
  rdbu: d3.interpolateRdBu,
  rdgy: d3.interpolateRdGy,
  rdylbu: d3.interpolateRdYlBu,
  rdylgn: d3.interpolateRdYlGn,
  spectral: d3.interpolateSpectral,
};

/** matplotlib segment anchors: (x, [r, g, b]) with channels in [0, 1], piecewise linear. */
type Anchors = ReadonlyArray<readonly [number, readonly [number, number, number]]>;

const SEGMENTED: Record<string, Anchors> = {
  gray: [
    [0, [0, 0, 0]],
    [1, [1, 1, 1]],
  ],
  terrain: [
    [0.0, [0.2, 0.2, 0.6]],
    [0.15, [0.0, 0.6, 1.0]],
    [0.25, [0.0, 0.8, 0.4]],
    [0.5, [1.0, 1.0, 0.6]],
    [0.75, [0.5, 0.36, 0.33]],
    [1.0, [1.0, 1.0, 1.0]],
  ],
};

const BASE_NAMES = [...Object.keys(D3_RAMPS), ...Object.keys(SEGMENTED)].sort();

/** Every name colormapLut accepts: each map and its reversed "_r" twin. */
export const COLORMAP_NAMES: string[] = BASE_NAMES.flatMap((n) => [n, `${n}_r`]);

const cache = new Map<string, Uint8Array>();

/** The 256*4 RGBA table of a named colormap, or undefined for an unknown name. */
export function colormapLut(name: string): Uint8Array | undefined {
  let lut = cache.get(name);
  if (lut !== undefined) return lut;
  const reversed = name.endsWith('_r');
  const base = reversed ? name.slice(0, -2) : name;
  if (Object.hasOwn(D3_RAMPS, base)) lut = fromRamp(D3_RAMPS[base]!);
  else if (Object.hasOwn(SEGMENTED, base)) lut = fromAnchors(SEGMENTED[base]!);
  else return undefined;
  if (reversed) lut = reverse(lut);
  cache.set(name, lut);
  return lut;
}

function fromRamp(ramp: Ramp): Uint8Array {
  const lut = new Uint8Array(1024);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = parseColor(ramp(i / 255));
    lut.set([r, g, b, 255], i * 4);
  }
  return lut;
}

/** d3 returns "#rrggbb" (table-based maps) or "rgb(r, g, b)" (interpolated ones). */
function parseColor(css: string): [number, number, number] {
  if (css.startsWith('#') && css.length === 7) {
    const n = Number.parseInt(css.slice(1), 16);
    return [n >> 16, (n >> 8) & 255, n & 255];
  }
  const m = /^rgb\((\d+),\s*(\d+),\s*(\d+)\)$/.exec(css);
  if (m === null) throw new Error(`colormaps: unexpected colour ${css}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * matplotlib's LinearSegmentedColormap lookup table for N = 256 (colors._create_lookup_table with
 * gamma 1), then bytes as rio-tiler stores them: trunc(clip(v, 0, 1) * 255). The float steps
 * (including numpy.linspace's i * (1/255)) are kept so the truncation lands on the same side.
 */
function fromAnchors(anchors: Anchors): Uint8Array {
  const N = 256;
  const x = anchors.map(([a]) => a * (N - 1));
  const lut = new Uint8Array(N * 4);
  for (let ch = 0; ch < 3; ch++) {
    const y = anchors.map(([, rgb]) => rgb[ch]!);
    for (let i = 0; i < N; i++) {
      let v: number;
      if (i === 0) v = y[0]!;
      else if (i === N - 1) v = y[y.length - 1]!;
      else {
        const xi = (N - 1) * (i * (1 / (N - 1)));
        let k = 0; // numpy.searchsorted(x, xi), side "left": first anchor >= xi
        while (x[k]! < xi) k++;
        const t = (xi - x[k - 1]!) / (x[k]! - x[k - 1]!);
        v = t * (y[k]! - y[k - 1]!) + y[k - 1]!;
      }
      lut[i * 4 + ch] = Math.trunc(Math.min(Math.max(v, 0), 1) * 255);
    }
  }
  for (let i = 0; i < N; i++) lut[i * 4 + 3] = 255;
  return lut;
}

function reverse(lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(lut.length);
  for (let i = 0; i < 256; i++) out.set(lut.subarray((255 - i) * 4, (256 - i) * 4), i * 4);
  return out;
}
