// A static tile server for the mesh HTTP benchmark, run in its own process (forked by mesh-http.ts)
// so that serving the Terrarium PNGs costs neither the server's event loop nor its workers. Every
// file under `root` is read into memory once; GET and HEAD with single Range support (206 +
// Content-Range, as S3 answers the server's ranged reads), 404 otherwise. Messages: { root } starts
// it and answers { url }; 'stats' answers { cpuMs, requests, notFound }.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative, sep } from 'node:path';

function loadTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.isDirectory()) walk(path);
      else files.set('/' + relative(root, path).split(sep).join('/'), readFileSync(path));
    }
  };
  walk(root);
  return files;
}

export async function startTileServer(root: string): Promise<{ url: string; stats: () => { cpuMs: number; requests: number; notFound: number } }> {
  const files = loadTree(root);
  let requests = 0, notFound = 0;
  const server = createServer((req, res) => {
    requests++;
    const body = files.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!body) {
      notFound++;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const headers = { 'content-type': 'image/png', 'accept-ranges': 'bytes' };
    if (!m) {
      res.writeHead(200, { ...headers, 'content-length': body.length }).end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const start = Number(m[1]);
    const end = Math.min(body.length - 1, m[2] ? Number(m[2]) : body.length - 1);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { ...headers, 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${body.length}` });
    res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const cpu0 = process.cpuUsage();
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stats: () => {
      const c = process.cpuUsage(cpu0);
      return { cpuMs: (c.user + c.system) / 1000, requests, notFound };
    },
  };
}

// Forked child
if (process.send && process.argv[1] === import.meta.filename) {
  let stats: (() => unknown) | undefined;
  process.on('message', async (m: { root?: string } | 'stats') => {
    if (m === 'stats') process.send!(stats?.());
    else if (m.root) {
      const s = await startTileServer(m.root);
      stats = s.stats;
      process.send!({ url: s.url });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
