// Every stored block of a TIFF (all IFDs, masks included), as the server reads them: layout from
// readCogHeader, compressed bytes straight from the file. Used by the LZW/predictor/decodeBlock tests.
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { getDecoder } from 'geotiff';
import { readCogHeader, type BlockLayout, type CogHeader } from '../../src/cog/cog-header.js';
import { loadConfig } from '../../src/config.js';
import { openSource } from '../../src/sources/open-source.js';

export interface TiffBlock {
  layout: BlockLayout;
  /** Level (0 = full resolution) and whether this is the level's mask. */
  level: number;
  isMask: boolean;
  index: number;
  rows: number;
  /** Decoded bytes (samples * bits / 8 * width * rows). */
  expected: number;
  compressed: Uint8Array;
}

export async function tiffBlocks(file: string): Promise<{ header: CogHeader; blocks: TiffBlock[] }> {
  const config = loadConfig({ sourceAllowlist: [dirname(file) + '/'] });
  const header = await readCogHeader(await openSource(file, config));
  const bytes = readFileSync(file);
  const blocks: TiffBlock[] = [];
  header.levels.forEach((level, l) => {
    for (const [layout, isMask] of [[level, false], ...(level.mask ? [[level.mask, true]] : [])] as Array<[BlockLayout, boolean]>) {
      const samples = layout.planarConfiguration === 2 ? 1 : layout.samplesPerPixel;
      layout.offsets.forEach((offset, index) => {
        const length = layout.byteCounts[index]!;
        if (!length) return;
        const by = Math.floor((index % (layout.blocksAcross * layout.blocksDown)) / layout.blocksAcross);
        const rows = Math.min(layout.blockHeight, layout.height - by * layout.blockHeight);
        const expected = Math.ceil((layout.blockWidth * samples * layout.bitsPerSample) / 8) * rows;
        blocks.push({ layout, level: l, isMask, index, rows, expected, compressed: bytes.subarray(offset, offset + length) });
      });
    }
  });
  return { header, blocks };
}

/** geotiff.js's own decoding of a block (its codec and its predictor), cut to the block's size. */
export async function geotiffDecode(b: TiffBlock, options: { predictor?: boolean } = {}): Promise<Uint8Array> {
  const samples = b.layout.planarConfiguration === 2 ? 1 : b.layout.samplesPerPixel;
  const decoder = await getDecoder(b.layout.compression, {
    tileWidth: b.layout.blockWidth,
    tileHeight: b.rows,
    predictor: options.predictor === false ? 1 : b.layout.predictor,
    bitsPerSample: Array(samples).fill(b.layout.bitsPerSample),
    planarConfiguration: b.layout.planarConfiguration,
  });
  const c = b.compressed;
  const out = new Uint8Array(await decoder.decode(c.buffer.slice(c.byteOffset, c.byteOffset + c.byteLength) as ArrayBuffer));
  return out.subarray(0, b.expected);
}
