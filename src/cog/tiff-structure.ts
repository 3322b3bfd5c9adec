import type { ByteSource } from '../sources/byte-source.js';

/**
 * A walk over a TIFF's IFD chain before geotiff.js parses it, refusing what geotiff.js would not
 * survive: it follows next-IFD offsets without checking for loops (a chain that points back spins
 * forever, in microtasks, so the whole server stops), and it allocates every tag's value array at
 * the length the tag claims (a 3 KB file can ask for gigabytes). Only IFD bytes are read: a COG keeps
 * them in its first chunk, which the source already keeps. Failures are plain Errors: the header
 * reader turns them into 422s.
 */
export const MAX_IFDS = 64;
/** Real IFDs have a few dozen entries; GDAL writes under 40. */
const MAX_ENTRIES = 1024;
/**
 * Bytes of tag values (offset tables, geokeys, metadata) over the whole file, what geotiff.js holds
 * in memory for a header: 64 MiB is the offset and byte-count tables of about four million blocks.
 */
export const MAX_TAG_VALUE_BYTES = 64 * 1024 * 1024;

/** Bytes per value of each TIFF field type; unknown types count as one byte (geotiff.js rejects them). */
const TYPE_SIZES: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8 };

interface Layout {
  littleEndian: boolean;
  big: boolean;
  firstIfd: number;
}

/** Checks the IFD chain of the TIFF in `source`; returns the number of IFDs. */
export async function checkTiffStructure(source: ByteSource, signal?: AbortSignal): Promise<number> {
  const layout = parseTiffHeader(await source.read({ offset: 0, length: 16 }, signal));
  const countSize = layout.big ? 8 : 2;
  const entrySize = layout.big ? 20 : 12;
  const seen = new Set<number>();
  let tagBytes = 0;
  for (let offset = layout.firstIfd; offset !== 0;) {
    if (seen.has(offset)) throw new Error(`IFD loop: the chain returns to offset ${offset}`);
    if (seen.size === MAX_IFDS) throw new Error(`more than ${MAX_IFDS} IFDs`);
    seen.add(offset);
    const head = await readExactly(source, offset, countSize, signal, `IFD ${seen.size - 1} at offset ${offset}`);
    const entries = readUint(head, 0, countSize, layout.littleEndian);
    if (entries === 0 || entries > MAX_ENTRIES) throw new Error(`IFD ${seen.size - 1} declares ${entries} entries`);
    const bodyLength = entries * entrySize + (layout.big ? 8 : 4);
    const body = await readExactly(source, offset + countSize, bodyLength, signal, `IFD ${seen.size - 1} at offset ${offset}`);
    for (let i = 0; i < entries; i++) {
      const e = i * entrySize;
      const type = readUint(body, e + 2, 2, layout.littleEndian);
      const count = readUint(body, e + 4, layout.big ? 8 : 4, layout.littleEndian);
      const bytes = count * (TYPE_SIZES[type] ?? 1);
      if (bytes > (layout.big ? 8 : 4)) tagBytes += bytes;
      if (tagBytes > MAX_TAG_VALUE_BYTES) {
        throw new Error(`tag ${readUint(body, e, 2, layout.littleEndian)} of IFD ${seen.size - 1} takes the tag values past ${MAX_TAG_VALUE_BYTES} bytes`);
      }
    }
    offset = readUint(body, entries * entrySize, layout.big ? 8 : 4, layout.littleEndian);
  }
  if (seen.size === 0) throw new Error('no IFD');
  return seen.size;
}

/** Byte order, classic (42) or BigTIFF (43), and the first IFD's offset. */
function parseTiffHeader(h: Uint8Array): Layout {
  const order = String.fromCharCode(h[0] ?? 0, h[1] ?? 0);
  if (h.length < 8 || (order !== 'II' && order !== 'MM')) throw new Error('not a TIFF (no II/MM byte order mark)');
  const littleEndian = order === 'II';
  const magic = readUint(h, 2, 2, littleEndian);
  if (magic === 42) return { littleEndian, big: false, firstIfd: readUint(h, 4, 4, littleEndian) };
  if (magic === 43 && h.length >= 16 && readUint(h, 4, 2, littleEndian) === 8) {
    return { littleEndian, big: true, firstIfd: readUint(h, 8, 8, littleEndian) };
  }
  throw new Error(`not a TIFF (version ${magic})`);
}

async function readExactly(source: ByteSource, offset: number, length: number, signal: AbortSignal | undefined, what: string): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset + length)) throw new Error(`${what} is past the end of the file`);
  const bytes = await source.read({ offset, length }, signal);
  if (bytes.length < length) throw new Error(`${what} is past the end of the file`);
  return bytes;
}

/** An unsigned integer of 2, 4 or 8 bytes (8-byte values past 2^53 lose precision: they are refused anyway). */
function readUint(b: Uint8Array, at: number, size: number, littleEndian: boolean): number {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (size === 2) return view.getUint16(at, littleEndian);
  if (size === 4) return view.getUint32(at, littleEndian);
  return Number(view.getBigUint64(at, littleEndian));
}
