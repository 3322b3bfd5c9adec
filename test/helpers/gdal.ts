/**
 * GDAL reference harness for parity tests.
 *
 * Runs the system `gdalwarp` (GDAL 3.6 on CI) to produce the reference for a Web-Mercator
 * XYZ tile and reads it back with geotiff.js. Tests that need GDAL use `describeWithGdal`:
 * they are skipped when GDAL is missing, unless REQUIRE_SYSTEM_TESTS=1, in which case the
 * missing tool is an error (so CI can never silently skip parity tests).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { fromArrayBuffer, type TypedArray } from 'geotiff';
import proj4 from 'proj4';
import { describeWithSystemTool, REQUIRE_SYSTEM_TESTS, systemToolRequirement } from './system-tool.js';

export type { TypedArray };

const execFileP = promisify(execFile);

/** Half the Web-Mercator world width in metres (pi * 6378137). */
export const ORIGIN = 20037508.342789244;

// ---------------------------------------------------------------------------------------------
// Availability
// ---------------------------------------------------------------------------------------------

/** True when `name` is an executable file in one of the PATH directories. */
export function onPath(name: string, pathEnv: string = process.env.PATH ?? ''): boolean {
  for (const dir of pathEnv.split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      if (!statSync(p).isFile()) continue;
      accessSync(p, fsConstants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** gdalwarp is on PATH. */
export const HAS_GDAL: boolean = onPath('gdalwarp');

/** True when REQUIRE_SYSTEM_TESTS=1: system tests must run, never skip. */
export { REQUIRE_SYSTEM_TESTS };

/** The decision behind requireGdal(), as a pure function (unit-testable). */
export const gdalRequirement = systemToolRequirement;

export const MISSING_GDAL_MESSAGE =
  'GDAL (gdalwarp) is not on PATH but REQUIRE_SYSTEM_TESTS=1: install gdal-bin ' +
  '(apt-get install gdal-bin) or unset REQUIRE_SYSTEM_TESTS to skip GDAL parity tests.';

/**
 * Returns true when GDAL tests can run, false when they may be skipped.
 * Throws when GDAL is missing and REQUIRE_SYSTEM_TESTS=1.
 */
export function requireGdal(): boolean {
  const d = gdalRequirement(HAS_GDAL, REQUIRE_SYSTEM_TESTS);
  if (d === 'fail') throw new Error(MISSING_GDAL_MESSAGE);
  return d === 'run';
}

/**
 * `describe` for suites that need GDAL (see system-tool.ts). Tests inside get a 30 s default
 * timeout (gdalwarp runs as a subprocess; CI machines may be busy).
 */
export function describeWithGdal(name: string, fn: () => void, options: { timeout?: number } = {}): void {
  describeWithSystemTool({ name: 'GDAL', available: HAS_GDAL, missingMessage: MISSING_GDAL_MESSAGE }, name, fn, { timeout: 30_000, ...options });
}

// ---------------------------------------------------------------------------------------------
// Tile geometry
// ---------------------------------------------------------------------------------------------

export type Bounds = [minx: number, miny: number, maxx: number, maxy: number];

/** Exact EPSG:3857 bounds of XYZ tile z/x/y (y counted from the north). */
export function mercatorTileBounds(z: number, x: number, y: number): Bounds {
  const n = 2 ** z;
  if (!Number.isInteger(z) || z < 0 || !Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= n || y >= n) {
    throw new Error(`invalid tile ${z}/${x}/${y}`);
  }
  const t = (2 * ORIGIN) / n;
  return [-ORIGIN + x * t, ORIGIN - (y + 1) * t, -ORIGIN + (x + 1) * t, ORIGIN - y * t];
}

/** The XYZ tile containing lon/lat at zoom z. */
export function tileForLonLat(lon: number, lat: number, z: number): { z: number; x: number; y: number } {
  const [mx, my] = proj4('EPSG:4326', 'EPSG:3857', [lon, lat]);
  const n = 2 ** z;
  const t = (2 * ORIGIN) / n;
  const clamp = (v: number) => Math.min(n - 1, Math.max(0, v));
  return { z, x: clamp(Math.floor((mx + ORIGIN) / t)), y: clamp(Math.floor((ORIGIN - my) / t)) };
}

// ---------------------------------------------------------------------------------------------
// gdalwarp reference tiles
// ---------------------------------------------------------------------------------------------

export type Resampling = 'near' | 'bilinear' | 'cubic' | 'cubicspline' | 'lanczos' | 'average' | 'mode';

export interface ReferenceTileOptions {
  resampling: Resampling;
  /** Output width and height in pixels (default 256). */
  size?: number;
  /** 1-based band indexes to return (default: all non-alpha bands). All bands are warped. */
  bands?: number[];
  /** Override the source nodata (-srcnodata/-dstnodata), like TiTiler's `nodata` parameter. */
  nodata?: number;
  /** gdalwarp -ovr (default: GDAL's default, AUTO). */
  ovr?: 'AUTO' | 'NONE' | number | `AUTO-${number}`;
  /** Extra raw gdalwarp arguments (debugging), inserted before the file names. */
  extraArgs?: string[];
}

export interface ReferenceTile {
  width: number;
  height: number;
  /** One typed array per returned band, row-major, width*height. */
  bands: TypedArray[];
  /** 0 (no data) or 255 (data) per pixel: the gdalwarp -dstalpha band > 0. */
  mask: Uint8Array;
  /** The raw alpha band written by gdalwarp (0..255 for Byte, 0..65535 for UInt16, ...). */
  alpha: TypedArray;
  /** 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64' */
  dtype: string;
  /** The gdalwarp command line (shell-quoted, for copy/paste). */
  command: string;
  /** Source overview gdalwarp used: -1 = full resolution (from its CPL_DEBUG output). */
  overview: number;
}

function fmt(v: number): string {
  // Shortest round-trip representation: GDAL parses it back to the same double.
  return String(v);
}

/** gdalwarp arguments (without the program name) for tile z/x/y written to `out`. */
export function gdalwarpArgs(file: string, z: number, x: number, y: number, opts: ReferenceTileOptions, out: string): string[] {
  const size = opts.size ?? 256;
  const [minx, miny, maxx, maxy] = mercatorTileBounds(z, x, y);
  const args = [
    '-q',
    '-t_srs', 'EPSG:3857',
    '-te', fmt(minx), fmt(miny), fmt(maxx), fmt(maxy),
    '-ts', String(size), String(size),
    '-r', opts.resampling,
    '-dstalpha',
    '-of', 'GTiff',
  ];
  if (opts.nodata !== undefined) args.push('-srcnodata', fmt(opts.nodata), '-dstnodata', fmt(opts.nodata));
  if (opts.ovr !== undefined) args.push('-ovr', String(opts.ovr));
  if (opts.extraArgs) args.push(...opts.extraArgs);
  args.push(file, out);
  return args;
}

function shellQuote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** The gdalwarp command line gdalReferenceTile would run (output path is a placeholder). */
export function gdalwarpCommand(file: string, z: number, x: number, y: number, opts: ReferenceTileOptions, out = 'out.tif'): string {
  return ['gdalwarp', ...gdalwarpArgs(file, z, x, y, opts, out)].map(shellQuote).join(' ');
}

function dtypeOf(a: TypedArray): string {
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  throw new Error(`unexpected array type ${(a as object).constructor.name}`);
}

const OVERVIEW_DEBUG = /Selecting overview level (\d+)/;

/**
 * Renders the EPSG:3857 XYZ tile z/x/y of `file` with gdalwarp and reads it back.
 * All source bands are warped (gdalwarp 3.6 has no -srcband); `opts.bands` selects the returned ones.
 */
export async function gdalReferenceTile(file: string, z: number, x: number, y: number, opts: ReferenceTileOptions): Promise<ReferenceTile> {
  const dir = await mkdtemp(join(tmpdir(), 'gdalref-'));
  const out = join(dir, 'tile.tif');
  const args = gdalwarpArgs(file, z, x, y, opts, out);
  const command = ['gdalwarp', ...args].map(shellQuote).join(' ');
  try {
    let stderr: string;
    try {
      ({ stderr } = await execFileP('gdalwarp', args, {
        env: { ...process.env, CPL_DEBUG: 'ON' },
        maxBuffer: 64 * 1024 * 1024,
        timeout: 60_000,
      }));
    } catch (e) {
      const err = e as Error & { stderr?: string };
      const tail = (err.stderr ?? '').split('\n').filter((l) => /ERROR|Warning/i.test(l)).join('\n');
      throw new Error(`gdalwarp failed: ${command}\n${tail || err.message}`);
    }
    const m = OVERVIEW_DEBUG.exec(stderr);
    const overview = m ? Number(m[1]) : -1;

    const buf = await readFile(out);
    const tiff = await fromArrayBuffer(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
    const image = await tiff.getImage();
    const width = image.getWidth();
    const height = image.getHeight();
    const rasters = (await image.readRasters({ interleave: false })) as unknown as TypedArray[];
    if (rasters.length < 2) throw new Error(`expected data + alpha bands from ${command}`);
    const alpha = rasters[rasters.length - 1];
    const data = rasters.slice(0, -1);
    const wanted = opts.bands ?? data.map((_, i) => i + 1);
    const bands = wanted.map((b) => {
      if (!Number.isInteger(b) || b < 1 || b > data.length) throw new Error(`band ${b} out of range 1..${data.length}`);
      return data[b - 1];
    });
    const mask = new Uint8Array(width * height);
    for (let i = 0; i < mask.length; i++) mask[i] = alpha[i] > 0 ? 255 : 0;
    return { width, height, bands, mask, alpha, dtype: dtypeOf(data[0]), command, overview };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `gdalinfo -json` of a file. */
export async function gdalInfo(file: string): Promise<any> {
  const { stdout } = await execFileP('gdalinfo', ['-json', file], { maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  return JSON.parse(stdout);
}

/** PROJ.4 string of a file's CRS (`gdalsrsinfo -o proj4`), usable with proj4js. */
export async function gdalProj4(file: string): Promise<string> {
  const { stdout } = await execFileP('gdalsrsinfo', ['-o', 'proj4', file], { timeout: 60_000 });
  const line = stdout.split('\n').map((l) => l.trim().replace(/^'|'$/g, '')).find((l) => l.startsWith('+'));
  if (!line) throw new Error(`no PROJ.4 definition for ${file}`);
  return line;
}

// ---------------------------------------------------------------------------------------------
// gdalwarp (GDAL 3.6) default overview choice, -ovr AUTO
// ---------------------------------------------------------------------------------------------

/**
 * gdalwarp's target ratio when -te and -ts are given (GDAL 3.6 apps/gdalwarp_lib.cpp): a 10x10
 * grid of destination pixel-edge positions (0, W/9, ..., W) x (0, H/9, ..., H) is transformed to
 * full-resolution source pixel coordinates; ratio = (max srcX - min srcX) / W. X only in 3.6;
 * GDAL >= 3.7 takes min(ratioX, ratioY) (pass `useY`).
 */
export function gdalwarpTargetRatio(
  dstToSrcPixel: (px: number, py: number) => [number, number] | null,
  dstWidth: number,
  dstHeight: number,
  useY = false,
): number {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < 10; i++) {
    for (let j = 0; j < 10; j++) {
      const p = dstToSrcPixel((dstWidth * i) / 9, (dstHeight * j) / 9);
      if (!p || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) continue;
      minX = Math.min(minX, p[0]); maxX = Math.max(maxX, p[0]);
      minY = Math.min(minY, p[1]); maxY = Math.max(maxY, p[1]);
    }
  }
  const rx = maxX > minX ? (maxX - minX) / dstWidth : 0;
  if (!useY) return rx;
  const ry = maxY > minY ? (maxY - minY) / dstHeight : 0;
  return Math.min(rx, ry);
}

/**
 * gdalwarp's -ovr AUTO choice from the target ratio: -1 = full resolution, else overview index.
 * Overview i has ratio srcWidth / ovrWidths[i]. Effectively: the last level whose ratio is <= the
 * target ratio (no tolerance towards coarser levels), clamped to the last overview.
 */
export function gdalwarpAutoOverview(targetRatio: number, srcWidth: number, ovrWidths: number[]): number {
  if (!(targetRatio > 1) || ovrWidths.length === 0) return -1;
  let i = -1;
  for (; i < ovrWidths.length - 1; i++) {
    const r = i < 0 ? 1 : srcWidth / ovrWidths[i];
    const next = srcWidth / ovrWidths[i + 1];
    if (r < targetRatio && next > targetRatio) break;
    if (Math.abs(r - targetRatio) < 0.1) break;
  }
  return i;
}

/** Predicts gdalwarp's -ovr AUTO choice for a tile of `file` (uses gdalinfo + gdalsrsinfo + proj4js). */
export async function predictGdalwarpOverview(file: string, z: number, x: number, y: number, size = 256): Promise<{ ratio: number; overview: number }> {
  const [info, def] = await Promise.all([gdalInfo(file), gdalProj4(file)]);
  const gt: number[] = info.geoTransform;
  const det = gt[1] * gt[5] - gt[2] * gt[4];
  const toSrc = proj4('EPSG:3857', def);
  const [minx, , , maxy] = mercatorTileBounds(z, x, y);
  const res = (2 * ORIGIN) / 2 ** z / size;
  const ratio = gdalwarpTargetRatio((px, py) => {
    const [sx, sy] = toSrc.forward([minx + px * res, maxy - py * res]);
    const dx = sx - gt[0];
    const dy = sy - gt[3];
    return [(gt[5] * dx - gt[2] * dy) / det, (gt[1] * dy - gt[4] * dx) / det];
  }, size, size);
  const ovrWidths: number[] = (info.bands[0].overviews ?? []).map((o: { size: number[] }) => o.size[0]);
  return { ratio, overview: gdalwarpAutoOverview(ratio, info.size[0], ovrWidths) };
}

// ---------------------------------------------------------------------------------------------
// Comparison
// ---------------------------------------------------------------------------------------------

export interface TileLike {
  bands: ArrayLike<number>[];
  /** 0 = no data, anything else = data. */
  mask: ArrayLike<number>;
}

export interface TileComparison {
  /** Fraction of all pixels where both masks agree (valid/invalid). */
  maskAgreement: number;
  /** Over pixels valid in both: fraction whose values are equal in every band (NaN == NaN). 1 when validBoth = 0. */
  equalFraction: number;
  /** Over samples valid in both, not NaN, with a finite difference: mean |a - b|. 0 when none. */
  meanAbsDiff: number;
  /** Largest |a - b| over the same samples as meanAbsDiff. */
  maxAbsDiff: number;
  /** Number of pixels valid in both. */
  validBoth: number;
  /** Samples (pixel x band) valid in both where exactly one side is NaN. */
  nanMismatch: number;
}

/**
 * Compares our tile with a reference tile, NaN-aware. `tolerance` (default 0): values whose
 * absolute difference is <= tolerance count as equal.
 */
export function compareTiles(ours: TileLike, ref: TileLike, tolerance = 0): TileComparison {
  const n = ref.mask.length;
  if (ours.mask.length !== n) throw new Error(`mask sizes differ: ${ours.mask.length} vs ${n}`);
  if (ours.bands.length !== ref.bands.length) throw new Error(`band counts differ: ${ours.bands.length} vs ${ref.bands.length}`);
  for (const b of [...ours.bands, ...ref.bands]) if (b.length !== n) throw new Error(`band length ${b.length} != ${n} pixels`);

  let agree = 0, validBoth = 0, equalPixels = 0, samples = 0, nanMismatch = 0;
  let sumAbs = 0, maxAbs = 0;
  for (let i = 0; i < n; i++) {
    const a = ours.mask[i] !== 0;
    const b = ref.mask[i] !== 0;
    if (a === b) agree++;
    if (!(a && b)) continue;
    validBoth++;
    let equal = true;
    for (let k = 0; k < ref.bands.length; k++) {
      const va = ours.bands[k][i];
      const vb = ref.bands[k][i];
      const na = Number.isNaN(va), nb = Number.isNaN(vb);
      if (na || nb) {
        if (na !== nb) { equal = false; nanMismatch++; }
        continue;
      }
      if (va === vb) { samples++; continue; } // also +-Infinity on both sides
      const d = Math.abs(va - vb);
      if (!(d <= tolerance)) equal = false;
      if (Number.isFinite(d)) {
        sumAbs += d; samples++;
        if (d > maxAbs) maxAbs = d;
      }
    }
    if (equal) equalPixels++;
  }
  return {
    maskAgreement: n ? agree / n : 1,
    equalFraction: validBoth ? equalPixels / validBoth : 1,
    meanAbsDiff: samples ? sumAbs / samples : 0,
    maxAbsDiff: maxAbs,
    validBoth,
    nanMismatch,
  };
}
