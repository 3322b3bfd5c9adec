import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting HTTP proxy for tests: put it between the server and a real component (the
 * range server, s3rver, the STAC API, MapServer) and switch faults on and off while it runs.
 * Without a fault it passes every request through unchanged (Host header included, so S3
 * signatures still match). Faults:
 *  - delay:       hold the request `ms` before passing it on (a slow or stalled upstream);
 *  - reset:       pass the status, headers and the first `afterBytes` of the body, then reset the connection;
 *  - truncate:    the same but close cleanly: the body ends short of its Content-Length;
 *  - status:      answer `status` with `body` without asking the upstream (500s, S3 errors);
 *  - invalidJson: answer 200 application/json with JSON cut in the middle;
 *  - short:       ask the upstream without Range and answer 200 with only the first `bytes` of the
 *                 file, Content-Length saying so (an upstream whose file is shorter than asked);
 *  - ignoreRange: drop the Range header, so the upstream answers 200 with the whole file.
 */
export type Fault =
  | { kind: 'delay'; ms: number }
  | { kind: 'reset'; afterBytes: number }
  | { kind: 'truncate'; bytes: number }
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  | { kind: 'invalidJson' }
  | { kind: 'short'; bytes: number }
  | { kind: 'ignoreRange' };

export interface FaultRule {
  fault: Fault;
  /** Only requests with this method (e.g. 'PUT' for S3 PutObject). */
  method?: string;
  /** Only requests whose path and query match. */
  path?: RegExp;
  /** Only the first `times` matching requests, then pass through (default: until cleared). */
  times?: number;
}

export interface ProxiedRequest {
  method: string;
  /** Path and query. */
  url: string;
  range?: string;
  /** The fault applied to it, if any. */
  fault?: Fault['kind'];
}

export interface FaultProxy {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  requests: ProxiedRequest[];
  /** Requests the last injected rule has faulted (still counted after clear()). */
  faulted(): number;
  /** Applies `rule` from now on (replacing the previous one). */
  inject(rule: FaultRule): void;
  /**
   * Back to passing everything through, once the requests under way have been answered: a request
   * made after `await clear()` cannot join a read the fault is still failing.
   */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** A proxy on 127.0.0.1 in front of `target` (e.g. http://127.0.0.1:1234). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let rule: FaultRule | undefined;
  let faulted = 0;
  let active = 0;
  let whenIdle: Array<() => void> = [];

  const pick = (req: IncomingMessage): Fault | undefined => {
    if (!rule) return undefined;
    if (rule.method && rule.method !== req.method) return undefined;
    if (rule.path && !rule.path.test(req.url ?? '')) return undefined;
    if (rule.times !== undefined && faulted >= rule.times) return undefined;
    faulted++;
    return rule.fault;
  };

  const server = createServer((req, res) => {
    const fault = pick(req);
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', range: req.headers.range, fault: fault?.kind });
    active++;
    res.once('close', () => {
      if (--active > 0) return;
      for (const done of whenIdle) done();
      whenIdle = [];
    });
    handle(req, res, fault).catch(() => res.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse, fault: Fault | undefined) {
    let gone = false; // the client gave up (timed out): nothing more to do
    res.once('close', () => (gone = true));
    const body = await readAll(req); // a request body (PUT, POST) is read first, whatever is answered
    if (fault?.kind === 'delay') await delay(fault.ms, res);
    if (gone) return;
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, { 'content-type': fault.contentType ?? 'text/plain' }).end(fault.body ?? '');
      return;
    }
    if (fault?.kind === 'invalidJson') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"FeatureCollection","features":[{"type":"Feat');
      return;
    }
    const headers = { ...req.headers };
    if (fault?.kind === 'ignoreRange' || fault?.kind === 'short') delete headers.range;
    const answer = await forward(upstream, req.method ?? 'GET', req.url ?? '/', headers, body);
    if (fault?.kind === 'short') {
      const cut = answer.body.subarray(0, fault.bytes);
      const { 'content-range': _range, ...rest } = answer.headers;
      res.writeHead(200, { ...rest, 'content-length': cut.length }).end(cut);
      return;
    }
    res.writeHead(answer.status, answer.headers);
    if (fault?.kind === 'reset' || fault?.kind === 'truncate') {
      const part = answer.body.subarray(0, fault.kind === 'reset' ? fault.afterBytes : fault.bytes);
      res.flushHeaders();
      res.write(part, () => (fault.kind === 'reset' ? res.socket?.resetAndDestroy() : res.socket?.end()));
      return;
    }
    res.end(answer.body);
  }

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faulted: () => faulted,
    inject(next) {
      rule = next;
      faulted = 0;
    },
    async clear() {
      if (active > 0) await new Promise<void>((done) => whenIdle.push(done));
      rule = undefined;
    },
    close: () =>
      new Promise<void>((done, fail) => {
        server.close((error) => (error ? fail(error) : done()));
        server.closeAllConnections(); // delayed and keep-alive connections would block close
      }),
  };
}

/** Waits `ms`, or less if the client closes the connection first. */
function delay(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(done, ms);
    res.once('close', () => {
      clearTimeout(timer);
      done();
    });
  });
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request to the upstream, answer read whole (test components serve small bodies). */
function forward(upstream: URL, method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const { connection: _c, 'keep-alive': _k, ...kept } = headers;
    const request = httpRequest({ host: upstream.hostname, port: upstream.port, method, path, headers: kept }, (response) => {
      readAll(response).then((data) => {
        const { connection: _conn, 'transfer-encoding': _te, 'keep-alive': _ka, ...rest } = response.headers;
        // a chunked answer is sent on with its length, so truncate/reset have a Content-Length to fall short of
        if (rest['content-length'] === undefined && method !== 'HEAD') rest['content-length'] = String(data.length);
        resolve({ status: response.statusCode ?? 502, headers: rest, body: data });
      }, reject);
    });
    request.on('error', reject);
    request.end(body.length > 0 ? body : undefined);
  });
}
