// Palette lookup: one uint8 index per pixel -> pixel-interleaved RGBA through a 256-entry LUT.

/**
 * out[i] = lut[index[i]] as 4 bytes; alpha forced to 0 where mask[i] == 0 (mask 0 = no mask).
 * Entries are moved as little-endian u32, so alpha is the top byte.
 */
export function apply_colormap(index: usize, mask: usize, lut: usize, pixels: i32, out: usize): void {
  const n = <usize>pixels;
  if (mask == 0) {
    for (let i: usize = 0; i < n; i++) store<u32>(out + (i << 2), load<u32>(lut + (<usize>load<u8>(index + i) << 2)));
    return;
  }
  for (let i: usize = 0; i < n; i++) {
    const rgba = load<u32>(lut + (<usize>load<u8>(index + i) << 2));
    const keep: u32 = load<u8>(mask + i) != 0 ? 0xffffffff : 0x00ffffff;
    store<u32>(out + (i << 2), rgba & keep);
  }
}
