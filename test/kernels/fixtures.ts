// Real COG tiles and Web-Mercator coordinate grids for the kernel tests.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromFile, type GeoTIFFImage } from 'geotiff';
import proj4 from 'proj4';
import { DEMO_DATA_DIR, PACKAGE_ROOT } from '../../src/paths.js';
import { dtypeOf, typedArrayFor, type SampleType, type TypedArray } from '../../src/kernels/types.js';

export interface Raster {
  data: TypedArray; // planar
  dtype: SampleType;
  width: number;
  height: number;
  bands: number;
  nodata?: number;
  mask?: Uint8Array;
  /** proj4 definition of the raster CRS. */
  crs: string;
  /** Map coordinates of the top-left corner and pixel size (y negative for north-up). */
  origin: [number, number];
  resolution: [number, number];
}

async function projDef(epsg: number): Promise<string> {
  const json = JSON.parse(await readFile(join(PACKAGE_ROOT, 'node_modules/epsg-index/s', `${epsg}.json`), 'utf8'));
  return json.proj4 as string;
}

async function readPlanar(image: GeoTIFFImage): Promise<TypedArray> {
  const rasters = (await image.readRasters({ interleave: false })) as unknown as TypedArray[];
  const plane = image.getWidth() * image.getHeight();
  const out = new (typedArrayFor(dtypeOf(rasters[0]!)))(plane * rasters.length);
  rasters.forEach((r, b) => out.set(r as never, b * plane));
  return out;
}

export interface LoadOptions {
  /** Overview level (0 = full resolution); the geotransform is scaled accordingly. */
  level?: number;
  /** Use the last band as alpha: it becomes the mask and is dropped from the data. */
  alphaMask?: boolean;
}

/** Decodes a fixture from test/fixtures/cog/ with geotiff.js: data, nodata, internal mask, georeferencing. */
export async function loadCog(file: string, options: LoadOptions = {}): Promise<Raster> {
  const tiff = await fromFile(DEMO_DATA_DIR + file);
  const count = await tiff.getImageCount();
  const full = await tiff.getImage(0);
  const images: GeoTIFFImage[] = [];
  const masks: GeoTIFFImage[] = [];
  for (let i = 0; i < count; i++) {
    const image = await tiff.getImage(i);
    // NewSubfileType bit 4 marks GDAL's internal (transparency) masks
    ((Number(image.fileDirectory.getValue('NewSubfileType') ?? 0) & 4) !== 0 ? masks : images).push(image);
  }
  const image = images[options.level ?? 0]!;
  const width = image.getWidth();
  const height = image.getHeight();
  let data = await readPlanar(image);
  let bands = image.getSamplesPerPixel();
  let mask: Uint8Array | undefined;
  const maskImage = masks.find((m) => m.getWidth() === width && m.getHeight() === height);
  if (maskImage) mask = (await readPlanar(maskImage)) as Uint8Array;
  if (options.alphaMask) {
    bands -= 1;
    mask = (data as Uint8Array).slice(bands * width * height);
    data = data.subarray(0, bands * width * height);
  }
  const keys = full.getGeoKeys()!;
  const epsg = (keys.ProjectedCSTypeGeoKey ?? keys.GeographicTypeGeoKey) as number;
  const [ox, oy] = full.getOrigin() as [number, number];
  let [rx, ry] = full.getResolution() as [number, number];
  const pixelIsPoint = keys.GTRasterTypeGeoKey === 2;
  const scale = full.getWidth() / width;
  const origin: [number, number] = pixelIsPoint ? [ox - rx / 2, oy - ry / 2] : [ox, oy];
  rx *= scale;
  ry *= full.getHeight() / height;
  const nodata = full.getGDALNoData();
  return {
    data, dtype: dtypeOf(data), width, height, bands, mask,
    ...(nodata === null ? {} : { nodata }),
    crs: await projDef(epsg), origin, resolution: [rx, ry],
  };
}

const WORLD = 2 * Math.PI * 6378137;

export interface TileGrid {
  grid: Float64Array;
  gridStep: number;
  size: number;
  tile: [z: number, x: number, y: number];
}

/**
 * The Web-Mercator tile containing the point at fraction (fx, fy) of the raster, at the zoom where
 * an output pixel is about `scale` source pixels wide (scale < 1 upsamples), and its grid of source
 * coordinates: node (i, j) is the centre of output pixel (i*step, j*step), projected with proj4.
 */
export function tileGrid(r: Raster, fx: number, fy: number, scale: number, step = 16, size = 256): TileGrid {
  const toLonLat = proj4(r.crs, 'EPSG:4326');
  const [lon, lat] = toLonLat.forward([r.origin[0] + fx * r.width * r.resolution[0], r.origin[1] + fy * r.height * r.resolution[1]]) as [number, number];
  const metresPerUnit = r.crs.includes('+proj=longlat') ? 111320 * Math.cos((lat * Math.PI) / 180) : 1;
  const pixelMetres = Math.abs(r.resolution[0]) * metresPerUnit * scale;
  const z = Math.max(0, Math.round(Math.log2((WORLD * Math.cos((lat * Math.PI) / 180)) / (size * pixelMetres))));
  const n = 2 ** z;
  const tx = Math.floor(((lon + 180) / 360) * n);
  const latRad = (lat * Math.PI) / 180;
  const ty = Math.floor(((1 - Math.log(Math.tan(latRad) + 1 / Math.cos(latRad)) / Math.PI) / 2) * n);
  return { grid: gridFor(r, z, tx, ty, step, size), gridStep: step, size, tile: [z, tx, ty] };
}

export function gridFor(r: Raster, z: number, tx: number, ty: number, step: number, size: number): Float64Array {
  const span = WORLD / 2 ** z;
  const res = span / size;
  const x0 = -WORLD / 2 + tx * span;
  const y0 = WORLD / 2 - ty * span;
  const toSource = proj4('EPSG:3857', r.crs);
  const nodes = size / step + 1;
  const grid = new Float64Array(nodes * nodes * 2);
  for (let j = 0; j < nodes; j++) {
    for (let i = 0; i < nodes; i++) {
      const [x, y] = toSource.forward([x0 + (i * step + 0.5) * res, y0 - (j * step + 0.5) * res]) as [number, number];
      grid[2 * (j * nodes + i)] = (x - r.origin[0]) / r.resolution[0];
      grid[2 * (j * nodes + i) + 1] = (y - r.origin[1]) / r.resolution[1];
    }
  }
  return grid;
}

/** Index of the first differing byte of two typed arrays' contents, -1 when identical. */
export function firstByteDifference(a: ArrayBufferView, b: ArrayBufferView): number {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** A deterministic pseudo-random generator (xorshift32): numbers in [0, 1). */
export function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}
