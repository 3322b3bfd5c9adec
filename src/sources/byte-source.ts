/** A byte range of a source: `length` bytes starting at `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

/** Upstream traffic of one source, for tests and metrics. */
export interface SourceStats {
  /** Upstream reads issued (a merged or coalesced read counts once). */
  requests: number;
  /** Bytes received from upstream. */
  bytes: number;
}

/**
 * Random access to the bytes of a local file, an HTTP(S) resource or an S3 object. Reads are
 * range reads; nothing is ever read whole unless the upstream cannot serve ranges.
 */
export interface ByteSource {
  /**
   * Normalised identity, usable as a cache key. It may contain a signed query string, so put
   * `redactUrl(url)` in messages, never the url itself.
   */
  readonly url: string;
  /** Total bytes (HEAD / stat / HeadObject, or learned from a Content-Range). */
  size(): Promise<number>;
  /** Exactly those bytes, short only at end of file. The result owns its ArrayBuffer. */
  read(range: ByteRange, signal?: AbortSignal): Promise<Uint8Array>;
  /** One result per range, in the order asked; nearby ranges are fetched in one upstream read. */
  readRanges(ranges: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]>;
  /** Upstream traffic so far (sources made by openSource always have it). */
  readonly stats?: Readonly<SourceStats>;
}
