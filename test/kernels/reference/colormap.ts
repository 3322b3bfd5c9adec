// Scalar reference of assembly/colormap.ts.
export function applyColormapReference(index: Uint8Array, mask: Uint8Array | undefined, lut: Uint8Array): Uint8Array {
  const out = new Uint8Array(index.length * 4);
  for (let i = 0; i < index.length; i++) {
    const e = index[i]! * 4;
    out[i * 4] = lut[e]!;
    out[i * 4 + 1] = lut[e + 1]!;
    out[i * 4 + 2] = lut[e + 2]!;
    out[i * 4 + 3] = mask !== undefined && mask[i] === 0 ? 0 : lut[e + 3]!;
  }
  return out;
}
