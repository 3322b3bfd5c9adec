/**
 * A real load balancer for tests: Debian's nginx (nginx-light) as a foreground, single-process reverse proxy on
 * 127.0.0.1, round-robin over the given upstreams, with its config, temp folders and pid file in a temporary folder
 * (no root, no /etc/nginx, no /var/log). Each answer carries `X-Upstream` (the instance that answered).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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

function config(dir: string, port: number, upstreams: string[]): string {
  return `worker_processes 1;
# one process, so that killing the pid we started stops everything (and no worker switches to user nobody)
master_process off;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream instances {
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
  }
}
`;
}

/** Starts nginx in front of `upstreams` (host:port), resolving once it answers. */
export async function startNginx(upstreams: string[]): Promise<NginxFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'nginx-'));
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, config(dir, port, upstreams));
  const stderr: Buffer[] = [];
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', `daemon off; pid ${dir}/nginx.pid;`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => stderr.push(d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
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
      return { url, close };
    } catch (e) {
      if (i >= 100) {
        await close();
        throw new Error(`nginx did not answer on ${url}: ${(e as Error).message}; ${Buffer.concat(stderr).toString()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
