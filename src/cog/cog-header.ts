import { GeoTIFF } from 'geotiff';
import type { ByteSource } from '../sources/byte-source.js';
import type { SampleType } from '../kernels/types.js';
import { crsFromEpsg, type Crs } from '../tiling/crs.js';
import { unprocessable } from '../server/errors.js';
import { toGeoTiffSource } from './geotiff-source.js';
import { checkTiffStructure } from './tiff-structure.js';
import { redactUrl } from '../sources/redact.js';

/**
 * Everything the server needs to know about a COG, read once from its header and cached.
 * It is plain data (no functions, no geotiff.js objects) so it can be sent to worker threads.
 */
export interface BlockLayout {
  /** IFD index in the file. */
  ifd: number;
  width: number;
  height: number;
  blockWidth: number;
  blockHeight: number;
  blocksAcross: number;
  blocksDown: number;
  /** Per block; with planar configuration 2 band b's blocks follow band b-1's. */
  offsets: number[];
  byteCounts: number[];
  compression: number;
  predictor: number;
  bitsPerSample: number;
  samplesPerPixel: number;
  planarConfiguration: number;
  sampleFormat: number;
  jpegTables?: number[];
  photometric: number;
}

export interface CogLevel extends BlockLayout {
  /** Pixel size in CRS units at this level (x, y; both positive). */
  resolution: [number, number];
  /** The internal mask (GDAL's per-dataset mask IFD) for this level, 1 bit per pixel. */
  mask?: BlockLayout;
}

export interface CogHeader {
  url: string;
  littleEndian: boolean;
  crs: Crs;
  /** Top-left corner in CRS units. */
  origin: [number, number];
  /** [minx, miny, maxx, maxy] in CRS units. */
  bounds: [number, number, number, number];
  width: number;
  height: number;
  /** Samples per pixel, including any alpha sample. */
  samples: number;
  dtype: SampleType;
  nodata?: number;
  /** 0-based index of the alpha sample, when ExtraSamples declares one. */
  alphaSample?: number;
  /** Levels from full resolution (0) to the coarsest overview. */
  levels: CogLevel[];
  /** Band descriptions and offsets/scales from GDAL metadata, for /info. */
  bandDescriptions: string[];
  colorInterpretation: string[];
}

const SAMPLE_TYPES: Record<string, SampleType> = {
  '1:8': 'uint8', '2:8': 'int8', '1:16': 'uint16', '2:16': 'int16',
  '1:32': 'uint32', '2:32': 'int32', '3:32': 'float32', '3:64': 'float64',
};
// none, LZW, JPEG, deflate, PackBits, Adobe deflate, ZSTD (LERC and WebP need codecs we do not ship)
const SUPPORTED_COMPRESSIONS = new Set([1, 5, 7, 8, 32773, 32946, 50000]);

type Ifd = Awaited<ReturnType<GeoTIFF['requestIFD']>>;

/** Reads and validates the header of a (Cloud-Optimized) GeoTIFF. Corrupt or unsupported files are 422. */
export async function readCogHeader(source: ByteSource, signal?: AbortSignal): Promise<CogHeader> {
  let tiff: GeoTIFF;
  try {
    await checkTiffStructure(source, signal); // before geotiff.js, which loops forever on IFD cycles
    tiff = await GeoTIFF.fromSource(toGeoTiffSource(source) as never, undefined, signal);
  } catch (err) {
    throw asUnprocessable(source.url, err);
  }
  try {
    return await parseHeader(source.url, tiff, signal);
  } catch (err) {
    throw asUnprocessable(source.url, err);
  }
}

function asUnprocessable(url: string, err: unknown) {
  if (err instanceof Error && 'status' in err) return err; // an HttpError from the source (404, 403, 502)
  const reason = err instanceof Error ? err.message : String(err);
  return unprocessable(`cannot read GeoTIFF ${redactUrl(url)}: ${reason}`);
}

async function parseHeader(url: string, tiff: GeoTIFF, signal?: AbortSignal): Promise<CogHeader> {
  const count = await tiff.getImageCount(); // at most MAX_IFDS: checkTiffStructure counted them
  const first = await tiff.getImage(0);
  const ifd0 = first.fileDirectory;
  const width = first.getWidth();
  const height = first.getHeight();
  if (width <= 0 || height <= 0 || width > 1 << 20 || height > 1 << 20) {
    throw new Error(`absurd dimensions ${width}x${height}`);
  }
  const keys = first.getGeoKeys();
  const { origin, resolution } = geotransform(ifd0, keys?.GTRasterTypeGeoKey === 2);
  const crs = crsOf(keys);

  const images: Array<{ layout: BlockLayout; isMask: boolean }> = [];
  for (let i = 0; i < count; i++) {
    const ifd = await tiff.requestIFD(i);
    const subfile = Number(ifd.getValue('NewSubfileType') ?? 0);
    images.push({ layout: await blockLayout(i, ifd), isMask: (subfile & 4) !== 0 });
  }
  const data = images.filter((im) => !im.isMask).map((im) => im.layout);
  const masks = images.filter((im) => im.isMask).map((im) => im.layout);
  const base = data[0];
  const dtypeKey = `${base.sampleFormat}:${base.bitsPerSample}`;
  const dtype = SAMPLE_TYPES[dtypeKey];
  if (!dtype) throw new Error(`unsupported sample format/bits ${dtypeKey}`);

  const levels: CogLevel[] = data
    .filter((l) => l.samplesPerPixel === base.samplesPerPixel && l.width <= base.width)
    .sort((a, b) => b.width - a.width)
    .map((l) => ({
      ...l,
      resolution: [(resolution[0] * width) / l.width, (resolution[1] * height) / l.height] as [number, number],
      mask: masks.find((m) => m.width === l.width && m.height === l.height),
    }));

  const extra = ifd0.getValue('ExtraSamples') as ArrayLike<number> | undefined;
  const colorSamples = base.samplesPerPixel - (extra?.length ?? 0);
  const alphaIndex = extra ? Array.from(extra).findIndex((v) => v === 1 || v === 2) : -1;
  const nodataText = ifd0.getValue('GDAL_NODATA') as string | undefined;
  const nodata = parseNodata(nodataText);
  const meta = await gdalBandMetadata(first, base.samplesPerPixel, signal);

  return {
    url,
    littleEndian: tiff.littleEndian,
    crs,
    origin,
    bounds: [origin[0], origin[1] - resolution[1] * height, origin[0] + resolution[0] * width, origin[1]],
    width,
    height,
    samples: base.samplesPerPixel,
    dtype,
    nodata,
    alphaSample: alphaIndex >= 0 ? colorSamples + alphaIndex : undefined,
    levels,
    bandDescriptions: meta,
    colorInterpretation: colorInterpretation(base.photometric, base.samplesPerPixel, alphaIndex >= 0 ? colorSamples + alphaIndex : -1),
  };
}

/** Largest decoded block (tile or strip) read: 4096 x 4096 float32, or 2048 x 2048 of 4 float64 samples. */
export const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

async function blockLayout(index: number, ifd: Ifd): Promise<BlockLayout> {
  const num = (name: string, fallback?: number): number => {
    const v = ifd.getValue(name as never) as unknown;
    const n = Array.isArray(v) || ArrayBuffer.isView(v) ? Number((v as ArrayLike<number>)[0]) : Number(v ?? fallback);
    if (!Number.isFinite(n)) throw new Error(`missing or invalid TIFF tag ${name}`);
    return n;
  };
  const width = num('ImageWidth');
  const height = num('ImageLength');
  const tiled = ifd.hasTag('TileOffsets');
  const blockWidth = tiled ? num('TileWidth') : width;
  const blockHeight = tiled ? num('TileLength') : Math.min(height, num('RowsPerStrip', height));
  if (blockWidth <= 0 || blockHeight <= 0 || blockWidth > 1 << 16 || blockHeight > 1 << 20) {
    throw new Error(`absurd block size ${blockWidth}x${blockHeight}`);
  }
  const offsets = Array.from((await ifd.loadValue(tiled ? 'TileOffsets' : 'StripOffsets')) as ArrayLike<number>, Number);
  const byteCounts = Array.from((await ifd.loadValue(tiled ? 'TileByteCounts' : 'StripByteCounts')) as ArrayLike<number>, Number);
  const compression = num('Compression', 1);
  if (!SUPPORTED_COMPRESSIONS.has(compression)) throw new Error(`unsupported compression ${compression}`);
  const jpeg = ifd.getValue('JPEGTables') as ArrayLike<number> | undefined;
  const samplesPerPixel = num('SamplesPerPixel', 1);
  const blocksAcross = Math.ceil(width / blockWidth);
  const blocksDown = Math.ceil(height / blockHeight);
  const planarConfiguration = num('PlanarConfiguration', 1);
  const bitsPerSample = num('BitsPerSample', 1);
  // One block is decoded whole in a worker: a huge strip (a non-tiled image in one piece) would take its memory.
  const blockBytes = (blockWidth * blockHeight * (planarConfiguration === 2 ? 1 : samplesPerPixel) * bitsPerSample) / 8;
  if (blockBytes > MAX_BLOCK_BYTES) {
    throw new Error(`blocks of ${blockWidth}x${blockHeight} x ${samplesPerPixel} samples decode to over ${MAX_BLOCK_BYTES >> 20} MiB (use a tiled COG)`);
  }
  const expected = blocksAcross * blocksDown * (planarConfiguration === 2 ? samplesPerPixel : 1);
  if (offsets.length < expected || byteCounts.length < expected) {
    throw new Error(`IFD ${index} lists ${offsets.length} blocks, expected ${expected}`);
  }
  return {
    ifd: index,
    width,
    height,
    blockWidth,
    blockHeight,
    blocksAcross,
    blocksDown,
    offsets,
    byteCounts,
    compression,
    predictor: num('Predictor', 1),
    bitsPerSample,
    samplesPerPixel,
    planarConfiguration,
    sampleFormat: num('SampleFormat', 1),
    jpegTables: jpeg ? Array.from(jpeg) : undefined,
    photometric: num('PhotometricInterpretation', 1),
  };
}

/** The top-left corner and pixel size. PixelIsPoint tie points name a pixel centre: GDAL shifts them half a pixel. */
function geotransform(ifd: Ifd, pixelIsPoint: boolean): { origin: [number, number]; resolution: [number, number] } {
  const t = geotransformAsStored(ifd);
  if (!pixelIsPoint) return t;
  return { origin: [t.origin[0] - t.resolution[0] / 2, t.origin[1] + t.resolution[1] / 2], resolution: t.resolution };
}

function geotransformAsStored(ifd: Ifd): { origin: [number, number]; resolution: [number, number] } {
  const scale = ifd.getValue('ModelPixelScale') as ArrayLike<number> | undefined;
  const tie = ifd.getValue('ModelTiepoint') as ArrayLike<number> | undefined;
  const matrix = ifd.getValue('ModelTransformation') as ArrayLike<number> | undefined;
  if (scale && tie) {
    // GDAL's default raster type is PixelIsArea; tie point (i, j) -> (x, y)
    return {
      origin: [tie[3] - tie[0] * scale[0], tie[4] + tie[1] * scale[1]],
      resolution: [scale[0], scale[1]],
    };
  }
  if (matrix && matrix[1] === 0 && matrix[4] === 0) {
    return { origin: [matrix[3], matrix[7]], resolution: [matrix[0], -matrix[5]] };
  }
  throw new Error(matrix ? 'rotated or sheared geotransforms are not supported' : 'no georeferencing (ModelPixelScale/ModelTiepoint)');
}

function crsOf(keys: Record<string, unknown> | null): Crs {
  const code = Number(keys?.ProjectedCSTypeGeoKey ?? (keys?.GTModelTypeGeoKey === 2 ? keys?.GeographicTypeGeoKey : undefined));
  if (!Number.isFinite(code) || code === 32767) throw new Error('the GeoTIFF declares no EPSG code (user-defined CRSs are not supported)');
  const crs = crsFromEpsg(code);
  if (!crs) throw new Error(`unknown CRS EPSG:${code}`);
  return crs;
}

function parseNodata(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.replace(/\0/g, '').trim();
  if (t === '') return undefined;
  if (/^nan$/i.test(t)) return NaN;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

async function gdalBandMetadata(image: Awaited<ReturnType<GeoTIFF['getImage']>>, samples: number, _signal?: AbortSignal) {
  const names: string[] = [];
  for (let s = 0; s < samples; s++) {
    const md = await image.getGDALMetadata(s).catch(() => null);
    names.push(typeof md?.DESCRIPTION === 'string' ? md.DESCRIPTION : `b${s + 1}`);
  }
  return names;
}

function colorInterpretation(photometric: number, samples: number, alpha: number): string[] {
  const out: string[] = [];
  for (let s = 0; s < samples; s++) {
    if (s === alpha) out.push('alpha');
    else if (photometric === 2 && s < 3) out.push(['red', 'green', 'blue'][s]);
    else if (photometric === 6 && s < 3) out.push(['red', 'green', 'blue'][s]); // YCbCr JPEG is decoded to RGB
    else if (photometric <= 1 && s === 0) out.push('gray');
    else out.push('undefined');
  }
  return out;
}
