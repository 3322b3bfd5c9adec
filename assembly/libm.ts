// The kernels' own libm, exported for the glue. AssemblyScript's Math is a port of musl compiled into
// this module, so these give the same bits in every engine. JS's Math.sin, Math.exp, ... do not:
// V8 has changed its implementations between releases (Node 20 and Chromium 156 differ in the last
// bit), which would make a mesh encoded in a browser differ from the server's.

export function libm_sin(x: f64): f64 { return Math.sin(x); }
export function libm_cos(x: f64): f64 { return Math.cos(x); }
export function libm_atan(x: f64): f64 { return Math.atan(x); }
export function libm_exp(x: f64): f64 { return Math.exp(x); }
