import type { ByteRange, ByteSource, SourceStats } from './byte-source.js';
import { RangeReader, type RangeReaderOptions } from './range-reader.js';

/**
 * What every byte source shares: reads go through one RangeReader (merging, coalescing, the kept
 * header chunk, stats); a source only says how to read one upstream range and how big it is.
 */
export abstract class RangedSource implements ByteSource {
  abstract readonly url: string;
  private readonly reader: RangeReader;

  constructor(options?: RangeReaderOptions) {
    this.reader = new RangeReader((offset, length, signal) => this.readUpstream(offset, length, signal), options);
  }

  /** Exactly [offset, offset + length), short only at end of file; errors as HttpErrors. */
  protected abstract readUpstream(offset: number, length: number, signal: AbortSignal): Promise<Uint8Array>;

  abstract size(signal?: AbortSignal): Promise<number>;

  get stats(): Readonly<SourceStats> {
    return this.reader.stats;
  }

  read(range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    return this.reader.read(range, signal);
  }

  readRanges(ranges: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> {
    return this.reader.readRanges(ranges, signal);
  }
}
