/**
 * Byte-level access to a classic (little- or big-endian) TIFF, for tests that make corrupt files
 * from a real fixture: where each IFD and each tag entry sits, and how to patch them.
 */
export interface TiffEntry {
  /** Index of the IFD in the chain. */
  ifd: number;
  tag: number;
  type: number;
  count: number;
  /** Byte offset of the 12-byte entry. */
  at: number;
  /** The value (inline) or the offset of the values: the entry's last 4 bytes. */
  value: number;
}

export interface TiffIfd {
  /** Byte offset of the IFD (its entry count). */
  at: number;
  entries: TiffEntry[];
  /** Byte offset of the IFD's next-IFD pointer. */
  nextAt: number;
}

export class TiffBytes {
  readonly view: DataView;
  readonly le: boolean;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.le = bytes[0] === 0x49;
    if (this.view.getUint16(2, this.le) !== 42) throw new Error('not a classic TIFF');
  }

  u16 = (at: number) => this.view.getUint16(at, this.le);
  u32 = (at: number) => this.view.getUint32(at, this.le);
  setU16 = (at: number, v: number) => this.view.setUint16(at, v, this.le);
  setU32 = (at: number, v: number) => this.view.setUint32(at, v, this.le);

  get firstIfdAt(): number {
    return this.u32(4);
  }

  ifds(): TiffIfd[] {
    const out: TiffIfd[] = [];
    for (let at = this.firstIfdAt; at !== 0 && out.length < 100; at = this.u32(out[out.length - 1]!.nextAt)) {
      const n = this.u16(at);
      const entries = Array.from({ length: n }, (_, i) => {
        const e = at + 2 + 12 * i;
        return { ifd: out.length, tag: this.u16(e), type: this.u16(e + 2), count: this.u32(e + 4), at: e, value: this.u32(e + 8) };
      });
      out.push({ at, entries, nextAt: at + 2 + 12 * n });
    }
    return out;
  }

  /** The entry of `tag` in IFD `ifd` (throws when absent: the test's premise is wrong). */
  entry(tag: number, ifd = 0): TiffEntry {
    const e = this.ifds()[ifd]?.entries.find((x) => x.tag === tag);
    if (!e) throw new Error(`no tag ${tag} in IFD ${ifd}`);
    return e;
  }

  /** Overwrites an entry's type, count and/or inline value (a SHORT value sits in the first 2 bytes). */
  patch(e: TiffEntry, change: { type?: number; count?: number; value?: number; short?: number }): this {
    if (change.type !== undefined) this.setU16(e.at + 2, change.type);
    if (change.count !== undefined) this.setU32(e.at + 4, change.count);
    if (change.value !== undefined) this.setU32(e.at + 8, change.value);
    if (change.short !== undefined) this.setU16(e.at + 8, change.short);
    return this;
  }

  /** The values of a LONG or SHORT array entry (TileOffsets, TileByteCounts, ...). */
  values(e: TiffEntry): number[] {
    const size = e.type === 3 ? 2 : 4;
    const base = e.count * size <= 4 ? e.at + 8 : e.value;
    return Array.from({ length: e.count }, (_, i) => (size === 2 ? this.u16(base + 2 * i) : this.u32(base + 4 * i)));
  }
}

export const TAG = {
  ImageWidth: 256,
  ImageLength: 257,
  BitsPerSample: 258,
  Compression: 259,
  SamplesPerPixel: 277,
  TileWidth: 322,
  TileLength: 323,
  TileOffsets: 324,
  TileByteCounts: 325,
  SampleFormat: 339,
  ModelPixelScale: 33550,
} as const;
