/** The package's public API: the server as a library. */
export { buildApp, type BuildOptions } from './server/app.js';
export { loadConfig, type ServerConfig } from './config.js';
export { HttpError } from './server/errors.js';
