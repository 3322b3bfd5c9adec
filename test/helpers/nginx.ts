/**
 * Debian's nginx (nginx-light) for tests and benchmarks: one foreground process (no master, so that killing the pid we
 * started stops everything, no worker switches to user nobody, and that pid's /proc/<pid>/stat is all of nginx's CPU)
 * on 127.0.0.1, with its config, temp folders and pid file in a temporary folder (no root, no /etc/nginx, no
 * /var/log). Two roles:
 * - startNginx: a real load balancer, round-robin over the given upstreams; each answer carries `X-Upstream` (the
 *   instance that answered);
 * - startStaticNginx: a static file server for a folder (GET/HEAD, single and multiple Range, 404), as S3 or a CDN
 *   serves tiles, with a stub_status page that counts the requests it answered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onPath } from './gdal.js';

/** nginx lives in /usr/sbin, which is not on every user's PATH. */
const NGINX = onPath('nginx') ? 'nginx' : '/usr/sbin/nginx';
/** Suites use it with describeWithSystemTool (Debian package: nginx-light). */
export const HAS_NGINX = NGINX === 'nginx' || existsSync(NGINX);

export interface NginxFixture {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** The one nginx process (serves every request). */
  pid: number;
  close(): Promise<void>;
}

/** A port free right now on 127.0.0.1 (nginx cannot listen on port 0 and tell us which it got). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** The whole config around `http`, the directives of its http block (what this nginx does). */
function config(dir: string, http: string): string {
  return `worker_processes 1;
master_process off;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
}
`;
}

const proxyHttp = (port: number, upstreams: string[]) => `  upstream instances {
${upstreams.map((u) => `    server ${u};`).join('\n')}
    keepalive 16;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://instances;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # an instance that fails is not retried on the other: the test must see every answer as it was
      proxy_next_upstream off;
      add_header X-Upstream $upstream_addr always;
    }
  }`;

/** The path of startStaticNginx's request counter (nginx's stub_status page). */
export const NGINX_STATUS_PATH = '/.nginx-status';

const staticHttp = (port: number, root: string) => `  types { image/png png; image/tiff tif tiff; application/json json; }
  default_type application/octet-stream;
  sendfile on;
  # descriptors and sizes of the files served stay open: no open/stat per request
  open_file_cache max=4096 inactive=600s;
  open_file_cache_valid 600s;
  # clients keep their connections as long as they like (nginx closes one after 1000 requests by default)
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
    location = ${NGINX_STATUS_PATH} { stub_status; }
  }`;

/** Starts nginx in front of `upstreams` (host:port), resolving once it answers. */
export async function startNginx(upstreams: string[]): Promise<NginxFixture> {
  return runNginx((port) => proxyHttp(port, upstreams));
}

/** Starts nginx serving the files under `root` (an absolute path), resolving once it answers. */
export async function startStaticNginx(root: string): Promise<NginxFixture> {
  return runNginx((port) => staticHttp(port, root));
}

async function runNginx(http: (port: number) => string): Promise<NginxFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, http(port)));
  const stderr: Buffer[] = [];
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', `daemon off; pid ${dir}/nginx.pid;`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  // nginx outlives a parent that dies (a crash, an uncaught error): stop it when this process exits
  const stopOnExit = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopOnExit);
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    process.off('exit', stopOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGQUIT'); // graceful: finish open requests
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`nginx exited: ${Buffer.concat(stderr).toString()}`);
    }
    try {
      await (await fetch(`${url}/healthz`)).arrayBuffer();
      return { url, pid: child.pid!, close };
    } catch (e) {
      if (i >= 100) {
        await close();
        throw new Error(`nginx did not answer on ${url}: ${(e as Error).message}; ${Buffer.concat(stderr).toString()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
