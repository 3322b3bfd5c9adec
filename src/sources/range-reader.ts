import type { ByteRange, SourceStats } from './byte-source.js';

/**
 * One upstream read of `length` bytes at `offset`. Returns fewer bytes only at end of file (the
 * source itself turns a truncated response into a 502).
 */
export type UpstreamRead = (offset: number, length: number, signal: AbortSignal) => Promise<Uint8Array>;

export interface RangeReaderOptions {
  /** Ranges closer than this are fetched in one read: one round trip costs more than the gap. */
  mergeGapBytes?: number;
  /** A merged read never grows beyond this, so one huge read does not stall every caller. */
  maxMergedBytes?: number;
  /**
   * Size of the chunk read at offset 0 and kept: TIFF headers and IFDs sit there and are read
   * in many small pieces. 0 turns it off.
   */
  headerBytes?: number;
}

const DEFAULTS: Required<RangeReaderOptions> = {
  mergeGapBytes: 64 * 1024,
  maxMergedBytes: 16 * 1024 * 1024,
  headerBytes: 64 * 1024,
};

/** One upstream read and the ranges it answers. */
interface Group {
  offset: number;
  end: number;
  members: number[];
  /** The kept chunk at offset 0. */
  isHeader?: boolean;
}

/** An upstream read shared by every caller that asked for the same bytes while it ran. */
interface InFlight {
  key: string;
  promise: Promise<Uint8Array>;
  controller: AbortController;
  /** Callers still waiting; the read is aborted only when all of them have given up. */
  waiters: number;
  /** The bytes went to a waiter; the others get copies. */
  claimed: boolean;
}

/**
 * The read path shared by file, HTTP and S3 sources: merges nearby ranges, coalesces identical
 * concurrent reads, keeps the header chunk and counts upstream traffic.
 */
export class RangeReader {
  readonly stats: SourceStats = { requests: 0, bytes: 0 };
  private readonly options: Required<RangeReaderOptions>;
  private readonly inFlight = new Map<string, InFlight>();
  private header: Uint8Array | undefined;

  constructor(
    private readonly upstream: UpstreamRead,
    options: RangeReaderOptions = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  async read(range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
    const [bytes] = await this.readRanges([range], signal);
    return bytes!;
  }

  async readRanges(ranges: ByteRange[], signal?: AbortSignal): Promise<Uint8Array[]> {
    signal?.throwIfAborted();
    ranges.forEach(assertValidRange);
    const results: Uint8Array[] = ranges.map(() => new Uint8Array(0));
    const groups = this.plan(ranges);
    await Promise.all(
      groups.map(async (group) => {
        const bytes = await this.fetchGroup(group, signal);
        // Each result owns its buffer: callers may move it to a worker. A read for one range is
        // this caller's already (see wait); several ranges and the kept header chunk are copied from.
        if (group.members.length === 1 && !group.isHeader) {
          results[group.members[0]!] = bytes;
          return;
        }
        for (const i of group.members) {
          const { offset, length } = ranges[i]!;
          results[i] = bytes.slice(offset - group.offset, offset - group.offset + length);
        }
      }),
    );
    return results;
  }

  /** Groups the non-empty ranges into upstream reads; ranges inside the header chunk form one group. */
  private plan(ranges: ByteRange[]): Group[] {
    const { headerBytes, mergeGapBytes, maxMergedBytes } = this.options;
    const header: Group = { offset: 0, end: headerBytes, members: [], isHeader: true };
    const rest: number[] = [];
    ranges.forEach((r, i) => {
      if (r.length === 0) return;
      if (r.offset + r.length <= headerBytes) header.members.push(i);
      else rest.push(i);
    });
    rest.sort((a, b) => ranges[a]!.offset - ranges[b]!.offset);
    const groups: Group[] = header.members.length > 0 ? [header] : [];
    let current: Group | undefined;
    for (const i of rest) {
      const { offset, length } = ranges[i]!;
      const end = offset + length;
      if (current && offset <= current.end + mergeGapBytes && Math.max(end, current.end) - current.offset <= maxMergedBytes) {
        current.end = Math.max(current.end, end);
        current.members.push(i);
      } else {
        current = { offset, end, members: [i] };
        groups.push(current);
      }
    }
    return groups;
  }

  private async fetchGroup(group: Group, signal?: AbortSignal): Promise<Uint8Array> {
    if (group.isHeader && this.header) return this.header;
    const bytes = await this.fetchShared(group.offset, group.end - group.offset, signal);
    if (group.isHeader) this.header ??= bytes;
    return bytes;
  }

  /** Joins the identical read already running, or starts one. Failures are not remembered. */
  private fetchShared(offset: number, length: number, signal?: AbortSignal): Promise<Uint8Array> {
    const key = `${offset}:${length}`;
    let entry = this.inFlight.get(key);
    if (!entry) {
      this.stats.requests++;
      const controller = new AbortController();
      const promise: Promise<Uint8Array> = this.upstream(offset, length, controller.signal)
        .then((bytes) => {
          this.stats.bytes += bytes.length;
          return bytes;
        })
        .finally(() => this.forget(key, promise));
      // Every waiter handles its own copy of the outcome; a read all waiters abandoned must not
      // surface as an unhandled rejection.
      promise.catch(() => {});
      entry = { key, promise, controller, waiters: 0, claimed: false };
      this.inFlight.set(key, entry);
    }
    return this.wait(entry, signal);
  }

  /**
   * The read's bytes for one caller: the first to get them takes them, later ones a copy, made as
   * the read completes (before the first can move its bytes to a worker thread).
   */
  private wait(entry: InFlight, signal?: AbortSignal): Promise<Uint8Array> {
    entry.waiters++;
    const take = (bytes: Uint8Array) => {
      if (entry.claimed) return bytes.slice();
      entry.claimed = true;
      return bytes;
    };
    if (!signal) return entry.promise.then(take);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (--entry.waiters === 0) {
          this.forget(entry.key, entry.promise);
          entry.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      entry.promise.then(
        (bytes) => {
          signal.removeEventListener('abort', onAbort);
          resolve(take(bytes));
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  private forget(key: string, promise: Promise<Uint8Array>): void {
    if (this.inFlight.get(key)?.promise === promise) this.inFlight.delete(key);
  }
}

function assertValidRange({ offset, length }: ByteRange): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`invalid byte range: offset ${offset}, length ${length}`);
  }
}
