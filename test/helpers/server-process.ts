/**
 * The server as operators run it: `node build/js/src/main.js` in its own process (the build in this checkout; run
 * `npm run build` first), configured only through its environment, on 127.0.0.1 and a free port.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/paths.js';
import { freePort } from './nginx.js';

export interface ServerProcess {
  /** e.g. 127.0.0.1:41234 (an nginx upstream) */
  address: string;
  url: string;
  /** What it printed (pino JSON lines on stdout, anything on stderr), for failure messages. */
  output(): string;
  /** SIGTERM, then waits for the exit. */
  close(): Promise<void>;
}

export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'build', 'js', 'src', 'main.js')], {
    cwd: PACKAGE_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => out.push(d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const address = `127.0.0.1:${port}`;
  const server: ServerProcess = {
    address,
    url: `http://${address}`,
    output: () => Buffer.concat(out).toString(),
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${server.output()}`);
    const up = await fetch(`${server.url}/healthz`).then((r) => r.ok, () => false);
    if (up) return server;
    if (i >= 200) {
      await server.close();
      throw new Error(`server did not answer /healthz on ${address}: ${server.output()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
