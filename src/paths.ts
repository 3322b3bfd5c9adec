import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found from this file whether it runs from TypeScript sources (src/, under vitest
 * or tsx) or compiled (build/js/src/). Every other on-disk path is derived from it.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'asconfig.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('kepler-raster-server: package root not found');
    dir = parent;
  }
  return dir;
}

export const PACKAGE_ROOT = findPackageRoot();
/** The release build of the AssemblyScript kernels, made by `npm run build:wasm`. */
export const KERNELS_WASM = join(PACKAGE_ROOT, 'build', 'kernels.wasm');
/** Compiled JavaScript; worker threads always load their entry from here (they cannot load .ts). */
export const COMPILED_JS = join(PACKAGE_ROOT, 'build', 'js');
/** The bundled demo COGs served by `npm start`. */
export const DEMO_DATA_DIR = join(PACKAGE_ROOT, 'test', 'fixtures', 'cog') + '/';
