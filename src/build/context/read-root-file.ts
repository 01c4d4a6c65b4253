/** Reading a small file of a context or a rootfs whole, resolved inside that root by the kernel. */
import { fstatSync, readSync } from 'node:fs';
import { InvalidArgumentError } from '../../errors.js';
import { O_NONBLOCK, O_RDONLY, errnoOf } from '../../confine/confined-fs.js';
import { closeFd, openInRoot } from '../../confine/confined-root.js';

/**
 * The content of the regular file `rel` of the root `rootFd` (symlinks followed inside the root);
 * undefined when it is missing or not a regular file. O_NONBLOCK: a FIFO must not stall the
 * daemon. A file over `limit` bytes is an InvalidArgumentError naming it.
 */
export function readRootFile(rootFd: number, rel: string, limit: number): Buffer | undefined {
  if (rel === '') return undefined;
  let fd: number;
  try {
    fd = openInRoot(rootFd, rel, O_RDONLY | O_NONBLOCK);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    if (st.size > limit) throw new InvalidArgumentError(`${rel} is larger than ${limit} bytes`);
    return readSmall(fd, st.size);
  } finally {
    closeFd(fd);
  }
}

/**
 * Exactly `size` bytes of a held file in one buffer (a file that shrank is padded with zeros,
 * one that grew is cut, so a tar header written from an earlier stat stays true).
 */
export function readSmall(fd: number, size: number, start = 0): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, start + off);
    if (n === 0) break;
    off += n;
  }
  return buf;
}
