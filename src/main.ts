import { buildApp } from './server/app.js';
import { loadConfig } from './config.js';

/**
 * `npm start`: serve on HOST:PORT (127.0.0.1:8000 by default) until SIGTERM or SIGINT, then drain:
 * stop accepting, answer the requests in progress, flush the tile cache's S3 writes, close the
 * worker pool and exit 0 (see src/server/drain.ts). A drain that takes longer than DRAIN_TIMEOUT_MS
 * exits 1 anyway; a second signal exits at once.
 */
const config = loadConfig();
// sharp (image encoding) and zlib run on libuv's thread pool: give every worker thread one
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, config.workers + 2));
const app = buildApp({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });

let draining = false;
function shutdown(signal: NodeJS.Signals) {
  if (draining) {
    app.log.warn({ signal }, 'second signal while draining: exiting now');
    process.exit(1);
  }
  draining = true;
  app.log.info({ signal, drainTimeoutMs: config.drainTimeoutMs }, 'draining: finishing the requests in progress');
  if (config.drainTimeoutMs > 0) {
    setTimeout(() => {
      app.log.error({ drainTimeoutMs: config.drainTimeoutMs }, 'drain timed out: exiting with requests or writes unfinished');
      process.exit(1);
    }, config.drainTimeoutMs).unref();
  }
  app.close().then(
    () => {
      app.log.info('drained: exiting');
      process.exit(0);
    },
    (err: unknown) => {
      app.log.error({ err }, 'drain failed');
      process.exit(1);
    },
  );
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// A promise rejection nobody handled is a bug to fix, but not worth every request in progress:
// log it loudly and keep serving (Node would exit, and a client could trigger it again at will).
process.on('unhandledRejection', (err) => app.log.error({ err }, 'unhandled promise rejection (a bug): kept running'));

try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  app.log.error(err);
  process.exit(1);
}
