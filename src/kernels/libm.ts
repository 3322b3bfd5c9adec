// The kernels module's libm (assembly/libm.ts): sin, cos, atan and exp that give the same bits in
// every JS engine, for the glue's few transcendental numbers that end up in output bytes (the
// quantized-mesh header and vertex positions). Browser-safe.
//
// Why not Math.sin: its last bit is the engine's choice, and V8 changed it between releases (Node 20
// and Chromium 156 disagree on ~1% of angles), so a mesh encoded in a browser would not equal the
// server's byte for byte. A call costs a few nanoseconds; the glue makes a few per grid row.

import type { Kernels } from './kernels.js';

export interface Libm {
  sin(x: number): number;
  cos(x: number): number;
  atan(x: number): number;
  exp(x: number): number;
}

type Unary = (x: number) => number;

const cache = new WeakMap<Kernels, Libm>();

/** The module's libm functions (cached per Kernels instance). */
export function kernelLibm(k: Kernels): Libm {
  let libm = cache.get(k);
  if (!libm) {
    const fn = (name: string): Unary => {
      const f = k.exports[`libm_${name}`];
      if (typeof f !== 'function') throw new TypeError(`kernels module lacks libm_${name}: stale build?`);
      return f as Unary;
    };
    libm = { sin: fn('sin'), cos: fn('cos'), atan: fn('atan'), exp: fn('exp') };
    cache.set(k, libm);
  }
  return libm;
}
