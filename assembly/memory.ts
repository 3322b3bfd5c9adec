// Bump allocator for the JS glue. A worker runs one kernel call at a time, so the glue resets the
// allocator at the start of each call and every buffer of that call (inputs, outputs, scratch) is
// carved from the same arena. Nothing is freed individually; memory grows but never shrinks, so a
// worker settles at the size of its largest call.
//
// The arena starts at __heap_base: the stub runtime's own heap would start there too, but the
// kernels never allocate managed objects, so the two never coexist.

const ALIGN: usize = 16; // v128 loads/stores and f64 views need at least 8; 16 keeps SIMD aligned
const BASE: usize = (__heap_base + ALIGN - 1) & ~(ALIGN - 1);

let top: usize = BASE;

/** Returns a 16-byte aligned block of `bytes` bytes, growing memory when needed (traps if it cannot). */
export function alloc(bytes: usize): usize {
  const ptr = top;
  const end = (ptr + bytes + ALIGN - 1) & ~(ALIGN - 1);
  if (end < ptr) unreachable(); // wrapped past 4 GiB
  const have = (<usize>memory.size()) << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >>> 16);
    if (memory.grow(pages) < 0) unreachable();
  }
  top = end;
  return ptr;
}

/** Forgets every block handed out since the last reset. */
export function reset(): void {
  top = BASE;
}
