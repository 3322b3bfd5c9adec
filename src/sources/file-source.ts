import { open, stat } from 'node:fs/promises';
import { HttpError, badGateway, forbidden, notFound } from '../server/errors.js';
import type { RangeReaderOptions } from './range-reader.js';
import { RangedSource } from './ranged-source.js';
import { countUpstreamError } from './upstream-errors.js';

/** A local file. `path` must already be allowlist-checked and symlink-resolved (see openSource). */
export class FileSource extends RangedSource {

  constructor(
    readonly url: string,
    options?: RangeReaderOptions,
  ) {
    super(options);
  }

  async size(): Promise<number> {
    try {
      const info = await stat(this.url);
      if (!info.isFile()) throw notFound(`not found (not a file): ${this.url}`);
      return info.size;
    } catch (error) {
      throw countUpstreamError('file', this.toHttpError(error));
    }
  }

  // The file is opened per read rather than held open: cached sources then own no descriptors,
  // and eviction from the source cache needs no cleanup.
  protected async readUpstream(offset: number, length: number, signal: AbortSignal): Promise<Uint8Array> {
    let handle;
    try {
      handle = await open(this.url, 'r');
      // a read may ask for more than the file holds (whole small files are read with a generous length)
      const available = Math.max(0, Math.min(length, (await handle.stat()).size - offset));
      const buffer = new Uint8Array(available);
      let filled = 0;
      while (filled < available) {
        signal.throwIfAborted();
        const { bytesRead } = await handle.read(buffer, filled, available - filled, offset + filled);
        if (bytesRead === 0) break; // end of file
        filled += bytesRead;
      }
      return filled === available ? buffer : buffer.slice(0, filled);
    } catch (error) {
      throw signal.aborted ? signal.reason : countUpstreamError('file', this.toHttpError(error));
    } finally {
      await handle?.close();
    }
  }

  private toHttpError(error: unknown): unknown {
    if (error instanceof HttpError) return error;
    switch ((error as NodeJS.ErrnoException).code) {
      case 'ENOENT':
      case 'ENOTDIR':
        return notFound(`not found: ${this.url}`);
      case 'EISDIR':
        return notFound(`not found (not a file): ${this.url}`);
      case 'EACCES':
      case 'EPERM':
        return forbidden(`permission denied: ${this.url}`);
      default:
        return badGateway(`cannot read ${this.url}: ${(error as Error).message}`);
    }
  }
}
