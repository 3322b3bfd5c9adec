// Node-only loading of the kernels: the one file here allowed to touch node: modules.
import { readFile } from 'node:fs/promises';
import { KERNELS_WASM } from '../paths.js';
import { instantiateKernels, type Kernels } from './kernels.js';

/** Reads and compiles the kernels once; hand the Module to each worker to instantiate. */
export async function compileKernels(path: string = KERNELS_WASM): Promise<WebAssembly.Module> {
  const bytes = await readFile(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
    throw new Error(`kernels: ${path} not found; run \`npm run build:wasm\``, { cause: err });
  });
  return WebAssembly.compile(bytes);
}

/** Compiles and instantiates the kernels in one go (tests, scripts, single-threaded use). */
export async function loadKernels(path: string = KERNELS_WASM): Promise<Kernels> {
  return instantiateKernels(await compileKernels(path));
}
