import Fastify, { type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { loadConfig, type ServerConfig } from '../config.js';
import { CogReader } from '../cog/cog-reader.js';
import { installAbortSignals } from './abort-signal.js';
import { installErrorHandlers } from './error-handler.js';
import { installMetrics } from './metrics.js';
import { installRequestIds, requestLogOptions } from './request-log.js';
import { installRequestLimits, requestLimitOptions } from './request-limits.js';
import { createWorkerPool } from './worker-pool.js';
import { admitPoolRoutes } from './overload.js';
import { installDrain } from './drain.js';
import { healthRoutes } from './routes/health-routes.js';
import { cogRoutes } from './routes/cog-routes.js';
import { meshRoutes } from './routes/mesh-routes.js';
import { TerrainReader } from '../mesh/terrain-reader.js';
import { MosaicReader } from '../mosaic/mosaic-reader.js';
import { stacRoutes } from './routes/stac-routes.js';
import { landingPage } from './routes/landing-page.js';
import { viewerRoutes } from './routes/viewer-routes.js';
import { tileCacheRoutes } from './routes/tile-cache-routes.js';
import { TileCache } from '../cache/tile-cache.js';
import { S3Store } from '../cache/s3-store.js';

/**
 * The server as a Fastify instance: `await buildApp().listen(...)`, or `.inject()` in tests.
 * The worker pool starts when the app becomes ready and stops when it closes.
 */
export interface BuildOptions {
  config?: Partial<ServerConfig>;
  logger?: boolean | object;
}

export function buildApp(options: BuildOptions = {}): FastifyInstance {
  const config = loadConfig(options.config);
  const app = Fastify({
    ...requestLogOptions(options.logger),
    ...requestLimitOptions,
    // the request deadline: 503 through the error handler, and req.abortSignal fires (abort-signal.ts)
    handlerTimeout: config.requestTimeoutMs,
    // while closing, requests get our JSON 503 (drain.ts) rather than Fastify's own
    return503OnClosing: false,
  });
  installRequestIds(app);
  const metrics = installMetrics(app, config);
  installErrorHandlers(app);
  installRequestLimits(app);
  installAbortSignals(app);
  const drain = installDrain(app);
  app.register(cors, { origin: '*', methods: ['GET', 'HEAD', 'OPTIONS'] });
  app.register(swagger, {
    openapi: { info: { title: 'kepler-raster-server', version: '0.1.0', description: 'TiTiler-compatible raster tiles for kepler.gl' } },
  });
  app.register(swaggerUi, { routePrefix: '/docs' });
  app.register(async (scope) => {
    const pool = await createWorkerPool(config.workers, { maxRequests: config.maxWorkerRequests, taskTimeoutMs: config.workerTaskTimeoutMs });
    admitPoolRoutes(scope, () => pool.admit());
    const reader = new CogReader(config, pool);
    cogRoutes(scope, { reader, config });
    const terrain = new TerrainReader(config, pool, reader);
    meshRoutes(scope, { terrain, config });
    stacRoutes(scope, { mosaic: new MosaicReader(config, pool, reader), cogs: reader, pool, config });
    const tileCache = new TileCache(config.tileCache, new S3Store(config.tileCache, app.log), (t) => pool.cut(t), app.log, () => pool.admit());
    // after the requests in progress have finished (Fastify's close): the renders they started may
    // still be cutting and writing, so flush the S3 writes before the pool closes
    scope.addHook('onClose', async () => {
      await tileCache.flush();
      tileCache.store.close();
      await pool.close();
    });
    metrics.observe({ pool, cogs: reader, terrain, tileCache, config });
    tileCacheRoutes(scope, { cache: tileCache }); // before the landing page: `/?tile=` is the cache's
    landingPage(scope);
    viewerRoutes(scope);
    healthRoutes(scope, { drain });
    scope.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });
  return app;
}
