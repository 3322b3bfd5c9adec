/**
 * geotiff.js decodes ZSTD with zstddec, which does not survive corrupt data: a frame that does not
 * declare its content size (GDAL's streaming writer never does) goes through a streaming loop that
 * spins forever on a decoding error (a worker lost for good), and a one-shot decode that fails
 * returns the rest of its WASM heap (maybe another file's pixels) instead of an error. Giving the
 * frame the size the block must have sends it through the one-shot path, where libzstd checks the
 * decoded size against it; the caller then checks the answer's length.
 */
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The frame with a 4-byte Frame_Content_Size of `size` (RFC 8878, 3.1.1.1); unchanged when it has one. */
export function withContentSize(frame: Uint8Array, size: number): Uint8Array {
  if (frame.length < 6 || !MAGIC.every((b, i) => frame[i] === b)) throw new Error('corrupt ZSTD block: no frame magic number');
  const descriptor = frame[4]!;
  const singleSegment = (descriptor >> 5) & 1;
  const dictionaryId = [0, 1, 2, 4][descriptor & 3]!;
  const fcsBytes = [singleSegment, 2, 4, 8][descriptor >> 6]!;
  if (fcsBytes > 0) {
    // declared already: it must be `size` (a corrupt size would have zstddec allocate it)
    const at = 5 + (singleSegment ? 0 : 1) + dictionaryId;
    let declared = 0;
    for (let i = fcsBytes - 1; i >= 0; i--) declared = declared * 256 + (frame[at + i] ?? 0);
    if ((fcsBytes === 2 ? declared + 256 : declared) !== size) throw new Error(`corrupt ZSTD block: declares ${declared} bytes, not ${size}`);
    return frame;
  }
  const headerEnd = 6 + dictionaryId; // magic, descriptor, window descriptor, dictionary id
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, headerEnd));
  out[4] = descriptor | (2 << 6); // Frame_Content_Size_flag 2: 4 bytes
  new DataView(out.buffer).setUint32(headerEnd, size, true);
  out.set(frame.subarray(headerEnd), headerEnd + 4);
  return out;
}
