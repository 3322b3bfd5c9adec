// The tile server of the mesh HTTP benchmark: the files of a folder served with Range (as S3 serves the
// server's ranged reads) by a process of its own, so that it costs neither the server's event loop nor
// its workers. On a 2-core machine its CPU is still taken from the server (in production the upstream
// is another machine), so it should be light: nginx when it is installed (test/helpers/nginx.ts, one
// process), else tile-server.ts forked (Node). Both tell the CPU they used and the requests they answered.
import type { ChildProcess } from 'node:child_process';
import { HAS_NGINX, NGINX_STATUS_PATH, startStaticNginx } from '../helpers/nginx.js';
import { ask, forkBenchChild } from './bench-child.js';
import { taskCpuMs } from './proc-stat.js';

export interface TileServerStats {
  /** CPU ms the tile server process used since it started (NaN where /proc is missing). */
  cpuMs: number;
  /** Requests it answered (404s included). */
  requests: number;
}

export interface StaticTiles {
  kind: 'nginx' | 'node';
  /** e.g. http://127.0.0.1:41234: a file <root>/a/b.png is <url>/a/b.png */
  url: string;
  stats(): Promise<TileServerStats>;
  close(): Promise<void>;
}

/** Serves `root` with nginx when installed and `nginx` is true, else with tile-server.ts. */
export async function startStaticTiles(root: string, nginx: boolean): Promise<StaticTiles> {
  return nginx && HAS_NGINX ? nginxTiles(root) : nodeTiles(root);
}

async function nginxTiles(root: string): Promise<StaticTiles> {
  const n = await startStaticNginx(root);
  let statusReads = 0;
  return {
    kind: 'nginx',
    url: n.url,
    async stats() {
      // stub_status: "server accepts handled requests\n A H R"; R counts every request, the status reads too
      const text = await (await fetch(n.url + NGINX_STATUS_PATH)).text();
      const m = /\n\s*\d+\s+\d+\s+(\d+)/.exec(text);
      if (!m) throw new Error(`nginx status page: ${text}`);
      return { cpuMs: taskCpuMs(`/proc/${n.pid}/task/${n.pid}`), requests: Number(m[1]) - ++statusReads };
    },
    close: n.close,
  };
}

async function nodeTiles(root: string): Promise<StaticTiles> {
  const child: ChildProcess = forkBenchChild('./tile-server.ts');
  const { url } = await ask<{ url: string }>(child, { root });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    kind: 'node',
    url,
    stats: () => ask<TileServerStats>(child, 'stats'),
    async close() {
      child.disconnect(); // it exits when its IPC channel closes
      await exited;
    },
  };
}
