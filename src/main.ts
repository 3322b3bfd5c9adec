import { buildApp } from './server/app.js';
import { loadConfig } from './config.js';

/** `npm start`: serve on HOST:PORT (127.0.0.1:8000 by default) until SIGINT/SIGTERM. */
const config = loadConfig();
// sharp (image encoding) and zlib run on libuv's thread pool: give every worker thread one
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(4, config.workers + 2));
const app = buildApp({ logger: { level: process.env.LOG_LEVEL ?? 'info' } });

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    app.log.info({ signal }, 'shutting down');
    app.close().then(() => process.exit(0), () => process.exit(1));
  });
}

try {
  await app.listen({ host: config.host, port: config.port });
} catch (err) {
  app.log.error(err);
  process.exit(1);
}
