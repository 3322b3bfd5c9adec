import { compressBody } from '../encoders/content-encoding.js';
import { encodeNpy } from '../encoders/npy.js';
import { encodeImage, MEDIA_TYPES, type ImageFormat } from '../encoders/image.js';
import type { Kernels } from '../kernels/kernels.js';
import type { SampleType, TypedArray } from '../kernels/types.js';
import { badRequest } from '../server/errors.js';
import { colormapLut } from './colormaps.js';

/**
 * Turns a resampled raster (any dtype, planar, with its validity mask) into the response body, as
 * TiTiler's render does: rescale, colormap, then the format's rules (npy keeps the dtype and
 * appends the mask as the last band; images need uint8, png also uint16).
 */
export type OutputFormat = 'npy' | 'png' | 'jpeg' | 'jpg' | 'webp';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['npy', 'png', 'jpeg', 'jpg', 'webp'];

export interface OutputOptions {
  /** Undefined: png when any pixel is masked, jpeg otherwise (TiTiler's rule). */
  format?: OutputFormat;
  returnMask: boolean;
  /** One [min, max] per band, or one for all bands. */
  rescale?: Array<[number, number]>;
  colormap?: string;
  /** Compress an npy body (images are already compressed). */
  contentEncoding?: 'br' | 'gzip';
}

export interface Raster {
  data: TypedArray;
  dtype: SampleType;
  /** 0 or 255 a pixel. */
  mask: Uint8Array;
  bands: number;
  width: number;
  height: number;
}

export interface RenderedBody {
  body: Uint8Array;
  contentType: string;
  format: OutputFormat;
  contentEncoding?: 'br' | 'gzip';
}

export async function renderOutput(kernels: Kernels, raster: Raster, options: OutputOptions): Promise<RenderedBody> {
  const pixels = raster.width * raster.height;
  const format = options.format ?? (raster.mask.includes(0) ? 'png' : 'jpeg');
  let { data, dtype, bands } = raster;
  let mask = raster.mask;
  checkRequest(format, bands, options);

  if (options.rescale || (format !== 'npy' && !imageAccepts(format, dtype))) {
    const ranges = options.rescale ?? [defaultRange(data, dtype, mask, bands, pixels)];
    data = kernels.rescaleToUint8(data, bands, pixels, ranges);
    dtype = 'uint8';
  }
  if (options.colormap) {
    const lut = colormapLut(options.colormap);
    if (!lut) throw new Error(`unknown colormap ${options.colormap}`);
    const rgba = kernels.applyColormap(data.subarray(0, pixels) as Uint8Array, mask, lut);
    ({ data, mask } = splitRgba(rgba, pixels));
    bands = 3;
    dtype = 'uint8';
  }

  if (format === 'npy') {
    const withMask = options.returnMask ? appendMask(data, dtype, mask, pixels, bands) : data;
    const shape = [bands + (options.returnMask ? 1 : 0), raster.height, raster.width];
    const npy = encodeNpy(withMask, shape);
    const enc = options.contentEncoding;
    return { body: enc ? await compressBody(npy, enc) : npy, contentType: MEDIA_TYPES.npy, format, contentEncoding: enc };
  }
  const body = await encodeImage(format as ImageFormat, {
    width: raster.width,
    height: raster.height,
    bands,
    data: data as Uint8Array | Uint16Array,
    alpha: options.returnMask && format !== 'jpeg' && format !== 'jpg' ? mask : undefined,
  });
  return { body, contentType: MEDIA_TYPES[format], format };
}

/**
 * What the client asked that this raster cannot give, as a 400 rather than an encoder's exception:
 * the band count is only known here (a mosaic's bands are its assets' bands).
 */
function checkRequest(format: OutputFormat, bands: number, options: OutputOptions): void {
  const n = options.rescale?.length ?? 1;
  if (n !== 1 && n !== bands) throw badRequest(`invalid rescale: ${n} ranges for ${bands} band(s) (give one for all, or one per band)`);
  const out = options.colormap ? 3 : bands;
  const alpha = options.returnMask && format !== 'jpeg' && format !== 'jpg' ? 1 : 0;
  const fits = format === 'npy' || (format === 'png' ? out + alpha <= 4 : out === 1 || out === 3); // jpeg, webp: grey or RGB
  if (!fits) {
    const allowed = format === 'png' ? `1 to ${4 - alpha}` : '1 or 3';
    throw badRequest(`${format} cannot hold ${out} band(s)${alpha ? ' + mask' : ''}: choose ${allowed} with bidx, or use npy`);
  }
}

function imageAccepts(format: OutputFormat, dtype: SampleType): boolean {
  return dtype === 'uint8' || (format === 'png' && dtype === 'uint16');
}

/**
 * Images need uint8: integers are stretched over their type's range (rio-tiler), floats over the
 * valid values of this raster (a type range of ±3.4e38 would show nothing).
 */
function defaultRange(data: TypedArray, dtype: SampleType, mask: Uint8Array, bands: number, pixels: number): [number, number] {
  const ranges: Record<string, [number, number]> = {
    int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767], uint32: [0, 4294967295], int32: [-2147483648, 2147483647],
  };
  if (ranges[dtype]) return ranges[dtype];
  let min = Infinity, max = -Infinity;
  for (let b = 0; b < bands; b++) {
    for (let i = 0; i < pixels; i++) {
      const v = data[b * pixels + i];
      if (mask[i] !== 0 && Number.isFinite(v)) { if (v < min) min = v; if (v > max) max = v; }
    }
  }
  return min <= max ? [min, max === min ? min + 1 : max] : [0, 1];
}

function splitRgba(rgba: Uint8Array, pixels: number) {
  const data = new Uint8Array(pixels * 3);
  const mask = new Uint8Array(pixels);
  for (let i = 0; i < pixels; i++) {
    data[i] = rgba[i * 4];
    data[pixels + i] = rgba[i * 4 + 1];
    data[2 * pixels + i] = rgba[i * 4 + 2];
    mask[i] = rgba[i * 4 + 3] === 0 ? 0 : 255;
  }
  return { data, mask };
}

/** kepler.gl pops the last band as the mask: same dtype as the data, 0 or 255. */
function appendMask(data: TypedArray, dtype: SampleType, mask: Uint8Array, pixels: number, bands: number): TypedArray {
  const Ctor = data.constructor as new (n: number) => TypedArray;
  const out = new Ctor(pixels * (bands + 1));
  out.set(data.subarray(0, pixels * bands));
  const tail = out.subarray(pixels * bands);
  if (dtype === 'int8') for (let i = 0; i < pixels; i++) tail[i] = mask[i] ? 127 : 0; // 255 does not fit
  else tail.set(mask);
  return out;
}
