import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import proj4 from 'proj4';

/**
 * Coordinate reference systems: EPSG codes resolved to proj4 definitions from the epsg-index package
 * (one small JSON file per code, read on first use), and cached transforms from Web Mercator.
 */
export interface Crs {
  /** EPSG code, when the GeoTIFF declares one. */
  code?: number;
  proj4: string;
  /** Geographic (degrees) rather than projected. */
  geographic: boolean;
}

export const WEB_MERCATOR: Crs = { code: 3857, proj4: 'EPSG:3857', geographic: false };
export const WGS84: Crs = { code: 4326, proj4: 'EPSG:4326', geographic: true };

const epsgDir = join(dirname(createRequire(import.meta.url).resolve('epsg-index/all.json')), 's');
const definitions = new Map<number, Crs | undefined>([
  [3857, WEB_MERCATOR],
  [900913, WEB_MERCATOR],
  [4326, WGS84],
]);

/** The CRS of an EPSG code, or undefined when the code is unknown. */
export function crsFromEpsg(code: number): Crs | undefined {
  if (!definitions.has(code)) {
    let crs: Crs | undefined;
    try {
      const entry = JSON.parse(readFileSync(join(epsgDir, `${Math.trunc(code)}.json`), 'utf8'));
      if (typeof entry.proj4 === 'string' && entry.proj4.length > 0) {
        crs = { code, proj4: entry.proj4, geographic: entry.proj4.includes('+proj=longlat') };
      }
    } catch {
      crs = undefined;
    }
    definitions.set(code, crs);
  }
  return definitions.get(code);
}

export type PointTransform = (x: number, y: number) => [number, number];

const transforms = new Map<string, { forward: PointTransform; inverse: PointTransform }>();

/**
 * Transforms between two CRSs (forward: from -> to), built once per pair. Pairs go through WGS84 in
 * two steps: proj4 builds a WGS84 projection object per point for a datum shift (`+towgs84`) in a
 * direct transform, which made EPSG:2056 tiles 3.7x slower to plan; the two steps give identical
 * coordinates.
 */
export function transformBetween(from: Crs, to: Crs): { forward: PointTransform; inverse: PointTransform } {
  const key = `${from.proj4}|${to.proj4}`;
  let t = transforms.get(key);
  if (!t) {
    const direct = from.proj4 === WGS84.proj4 || to.proj4 === WGS84.proj4;
    const a = proj4(from.proj4, direct ? to.proj4 : WGS84.proj4);
    const b = direct ? undefined : proj4(WGS84.proj4, to.proj4);
    t = b
      ? {
          forward: (x, y) => b.forward(a.forward([x, y])) as [number, number],
          inverse: (x, y) => a.inverse(b.inverse([x, y])) as [number, number],
        }
      : {
          forward: (x, y) => a.forward([x, y]) as [number, number],
          inverse: (x, y) => a.inverse([x, y]) as [number, number],
        };
    transforms.set(key, t);
  }
  return t;
}

export function sameCrs(a: Crs, b: Crs): boolean {
  return a.proj4 === b.proj4 || (a.code !== undefined && a.code === b.code);
}

/** A rectangle's bounding box in another CRS, from `points` samples an edge (edges curve when reprojected). */
export function transformBounds(b: [number, number, number, number], from: Crs, to: Crs, points = 21): [number, number, number, number] {
  if (sameCrs(from, to)) return b;
  const { forward } = transformBetween(from, to);
  const out: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (let i = 0; i < points; i++) {
    const t = i / (points - 1);
    const x = b[0] + t * (b[2] - b[0]);
    const y = b[1] + t * (b[3] - b[1]);
    for (const [px, py] of [[x, b[1]], [x, b[3]], [b[0], y], [b[2], y]]) {
      const [tx, ty] = forward(px, py);
      if (!Number.isFinite(tx) || !Number.isFinite(ty)) continue;
      out[0] = Math.min(out[0], tx); out[1] = Math.min(out[1], ty);
      out[2] = Math.max(out[2], tx); out[3] = Math.max(out[3], ty);
    }
  }
  return out;
}

/** `EPSG:4326`, `epsg:2056` or an OGC URI (`http://www.opengis.net/def/crs/EPSG/0/3857`); undefined when unknown. */
export function parseCrsName(name: string): Crs | undefined {
  const m = /^(?:epsg:|https?:\/\/www\.opengis\.net\/def\/crs\/epsg\/0\/)(\d+)$/i.exec(name.trim());
  return m ? crsFromEpsg(Number(m[1])) : undefined;
}
