import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, resolve, sep } from 'node:path';

export interface RangeServerOptions {
  /** Ignore Range headers and always answer 200 with the whole file (a server without Range support). */
  noRange?: boolean;
  /** Sees every request first; return true when it has answered (fault injection, redirects, stalls). */
  onRequest?(req: IncomingMessage, res: ServerResponse): boolean;
  /** Loopback address to listen on (default 127.0.0.1; 127.0.0.2 is another host to the address rules). */
  host?: string;
  /** Called for every request it does not answer; a returned promise holds the answer until it settles. */
  hold?(req: IncomingMessage): Promise<void> | undefined;
}

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
}

export interface RangeServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A real static file server on loopback (127.0.0.1 unless `host`) serving `root` with Range support (single ranges: 206 +
 * Content-Range, 416 when unsatisfiable), HEAD and 404s.
 */
export async function startRangeServer(root: string, opts: RangeServerOptions = {}): Promise<RangeServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push({ method: req.method ?? 'GET', path, range: req.headers.range });
    if (opts.onRequest?.(req, res)) return;
    const serve = () => serveFile(root, path, req, res, opts.noRange ?? false).catch(() => res.destroy());
    const held = opts.hold?.(req);
    if (held) held.then(serve, () => res.destroy());
    else void serve();
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((done) => server.listen(0, host, done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    requests,
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections(); // stalled and keep-alive connections would block close
      }),
  };
}

async function serveFile(root: string, path: string, req: IncomingMessage, res: ServerResponse, noRange: boolean) {
  const file = resolve(root, '.' + path);
  const info = relative(resolve(root), file).split(sep)[0] === '..' ? undefined : await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const size = info.size;
  const range = noRange ? undefined : parseRange(req.headers.range, size);
  const headers: Record<string, string | number> = { 'content-type': 'application/octet-stream' };
  if (!noRange) headers['accept-ranges'] = 'bytes';
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` }).end();
    return;
  }
  const [start, end] = range ?? [0, size - 1];
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  res.writeHead(range ? 206 : 200, { ...headers, 'content-length': end - start + 1 });
  if (req.method === 'HEAD' || end < start) {
    res.end();
    return;
  }
  createReadStream(file, { start, end }).pipe(res);
}

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else is served whole, as HTTP allows. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header ?? '');
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') return size === 0 ? 'unsatisfiable' : [Math.max(0, size - Number(match[2])), size - 1];
  const start = Number(match[1]);
  if (start >= size) return 'unsatisfiable';
  return [start, match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)];
}
