/**
 * Path resolution that the kernel confines, over the raw calls of confined-fs.ts: a container
 * path resolved inside a root as a chroot would (openat2 RESOLVE_IN_ROOT), a path below a held
 * directory through real directories only (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), and the
 * descriptor bookkeeping that goes with them.
 */
import { closeSync } from 'node:fs';
import { promisify } from 'node:util';
import { fstat as fstatCb, read as readCb } from 'node:fs';
import {
  AT_FDCWD,
  O_DIRECTORY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  RESOLVE_BENEATH,
  RESOLVE_IN_ROOT,
  RESOLVE_NO_MAGICLINKS,
  RESOLVE_NO_SYMLINKS,
  confined,
} from './confined-fs.js';

const fstat = promisify(fstatCb);
const read = promisify(readCb);

/** Opens a directory that skiffd itself chose (a snapshot mount, /proc/<pid>/root) as a root. */
export function openRootDir(hostPath: string): number {
  return confined().openat2(AT_FDCWD, hostPath, O_PATH | O_DIRECTORY, 0, 0);
}

/**
 * Opens `containerPath` inside the root held by `rootFd` as a chroot would resolve it: symlinks
 * are followed inside the root (an absolute target means the root), `..` stops at the root, and
 * /proc magic links are refused. `followLast: false` opens a final symlink itself (with O_PATH).
 */
export function openInRoot(
  rootFd: number,
  containerPath: string,
  flags: number,
  o: { followLast?: boolean } = {},
): number {
  const f = flags | (o.followLast === false ? O_NOFOLLOW : 0);
  return confined().openat2(rootFd, containerPath, f, 0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/**
 * Opens `rel` below `dirFd` through real directories only: no symlink anywhere on the way or at
 * the end, no `..` above `dirFd`. For walks of trees a container can change while we read.
 */
export function openBeneath(dirFd: number, rel: string, flags: number, mode = 0): number {
  return confined().openat2(
    dirFd,
    rel,
    flags | O_NOFOLLOW,
    mode,
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  );
}

export function closeFd(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/** Runs `fn` with a descriptor and closes it afterwards, whatever happens. */
export async function withFd<T>(fd: number, fn: (fd: number) => Promise<T> | T): Promise<T> {
  try {
    return await fn(fd);
  } finally {
    closeFd(fd);
  }
}

/** "a/b/c" → ["a/b", "c"]; "c" → ["", "c"]. */
export function splitParent(rel: string): [string, string] {
  const i = rel.lastIndexOf('/');
  return i < 0 ? ['', rel] : [rel.slice(0, i), rel.slice(i + 1)];
}

/**
 * Reads a small regular file that a container controls (/etc/passwd, /etc/group) without ever
 * blocking or leaving its root: O_NONBLOCK (a FIFO cannot stall a libuv thread), regular files
 * only, at most `limit` bytes. undefined when it does not exist or is not a regular file.
 */
export async function readSmallFileInRoot(
  rootHostPath: string,
  containerPath: string,
  limit: number,
): Promise<Buffer | undefined> {
  let root: number | undefined;
  let fd: number | undefined;
  try {
    root = openRootDir(rootHostPath);
    fd = openInRoot(root, containerPath, O_RDONLY | O_NONBLOCK, { followLast: true });
    const st = await fstat(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(Math.min(limit, st.size));
    let off = 0;
    while (off < buf.length) {
      const { bytesRead } = await read(fd, buf, off, buf.length - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return buf.subarray(0, off);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EXDEV')
      return undefined;
    throw e;
  } finally {
    closeFd(fd);
    closeFd(root);
  }
}

/**
 * Exactly `size` bytes of an open file, for a tar entry whose header is already written: a file
 * that shrank while we read is padded with zeros, one that grew is cut.
 */
export async function* exactChunks(fd: number, size: number, start = 0): AsyncGenerator<Buffer> {
  const chunk = 256 * 1024;
  let off = 0;
  while (off < size) {
    const buf = Buffer.alloc(Math.min(chunk, size - off));
    const { bytesRead } = await read(fd, buf, 0, buf.length, start + off);
    const data = bytesRead === 0 ? buf : buf.subarray(0, bytesRead);
    off += data.length;
    yield data;
  }
}
