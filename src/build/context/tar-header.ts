/**
 * Whether a block of bytes starts a tar archive: the test moby's IsArchive makes (the first
 * header parses), done on the header's checksum so that a Dockerfile that happens to be 512
 * bytes long is never taken for a tar.
 */
export const TAR_BLOCK = 512;

/** The header checksum field (offset 148, 8 bytes of octal) against the block's byte sum. */
export function isTarHeader(block: Buffer): boolean {
  if (block.length < TAR_BLOCK) return false;
  const field = block
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (!/^[0-7]{1,8}$/.test(field)) return false;
  const recorded = parseInt(field, 8);
  // The checksum is computed with its own field as spaces; old tars summed signed bytes.
  let unsigned = 8 * 0x20;
  let signed = 8 * 0x20;
  for (let i = 0; i < TAR_BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    const b = block[i] ?? 0;
    unsigned += b;
    signed += b < 128 ? b : b - 256;
  }
  // An all-zero block is the end-of-archive marker, not a header.
  return unsigned !== 8 * 0x20 && (recorded === unsigned || recorded === signed);
}
