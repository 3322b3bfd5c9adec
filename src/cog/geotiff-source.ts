import type { ByteSource } from '../sources/byte-source.js';

/**
 * Adapts one of our ByteSources to the `BaseSource` shape geotiff.js parses headers from, so that header
 * reads go through the same allowlist, range merging and coalescing as block reads.
 */
export function toGeoTiffSource(source: ByteSource) {
  return {
    async fetch(slices: Array<{ offset: number; length: number }>, signal?: AbortSignal): Promise<ArrayBuffer[]> {
      const parts = await source.readRanges(slices, signal);
      return parts.map((p) => p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength) as ArrayBuffer);
    },
    async fetchSlice(slice: { offset: number; length: number }, signal?: AbortSignal) {
      const [data] = await this.fetch([slice], signal);
      return { ...slice, data };
    },
    get fileSize(): number | null {
      return null;
    },
    async close() {},
  };
}
