/**
 * The walk behind COPY/ADD: each source resolved inside its root as moby's FollowSymlinkInScope
 * does (openat2 RESOLVE_IN_ROOT, so a link to /etc means the root's own /etc), then its tree
 * walked by held descriptors, one name at a time, never following a symlink below the source.
 * Shared by the packer and the checksum so that both see exactly the same entries.
 */
import { openSync } from 'node:fs';
import { InvalidArgumentError } from '../../errors.js';
import {
  O_DIRECTORY,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  confined,
  errnoOf,
  isDirMode,
  isFileMode,
  isSymlinkMode,
  type RawStat,
} from '../../confine/confined-fs.js';
import { closeFd, exactChunks, openInRoot } from '../../confine/confined-root.js';
import { readSmall } from './read-root-file.js';

export interface Source {
  /** The source, relative to the root ("." or "" for the root itself). */
  readonly rel: string;
  /** Its name in the archive; "" puts a directory's contents at the archive's top. */
  readonly destName: string;
}

export interface SourceEntry {
  /** The archive name, without a trailing slash. */
  readonly name: string;
  readonly type: 'directory' | 'file' | 'symlink' | 'link';
  readonly st: RawStat;
  /** A symlink's target, or for `link` the archive name of the first copy of the file. */
  readonly linkname?: string;
  /** For `file`: the file open for reading, valid until the walk moves on. */
  readonly fd?: number;
  /** Where the content starts in `fd` (an indexed context keeps every file in one blob). */
  readonly start?: number;
}

/**
 * The entries of `sources` in a stable order (sources as given, each tree depth-first with
 * names sorted). Sockets, FIFOs and devices are skipped: none belongs in an image layer made by
 * COPY, and opening a device node from another stage is not something to do on its behalf.
 */
export function* walkSources(rootFd: number, sources: readonly Source[]): Generator<SourceEntry> {
  const links = new Map<string, string>();
  for (const src of sources) {
    const top = openInRootOrNotFound(rootFd, src.rel);
    try {
      const st = confined().lstatat(top, '');
      if (isDirMode(st.mode)) {
        // "." from the O_PATH descriptor reopens that very directory for reading, with no lookup.
        const dir = confined().openat(top, '.', O_RDONLY | O_DIRECTORY, 0);
        try {
          if (src.destName !== '') yield { name: src.destName, type: 'directory', st };
          yield* walkDir(dir, src.destName, links);
        } finally {
          closeFd(dir);
        }
      } else if (isFileMode(st.mode)) {
        if (src.destName === '')
          throw new InvalidArgumentError(`cannot copy the file ${src.rel} onto a directory`);
        // Reopening the held O_PATH descriptor reads the inode that was resolved, not a new lookup.
        const fd = openSync(`/proc/self/fd/${top}`, O_RDONLY | O_NONBLOCK);
        try {
          yield fileEntry(src.destName, st, fd, links);
        } finally {
          closeFd(fd);
        }
      }
    } finally {
      closeFd(top);
    }
  }
}

function* walkDir(dir: number, prefix: string, links: Map<string, string>): Generator<SourceEntry> {
  const sys = confined();
  for (const child of sys.readdir(dir).sort()) {
    const name = prefix === '' ? child : `${prefix}/${child}`;
    const st = sys.lstatat(dir, child);
    if (isDirMode(st.mode)) {
      yield { name, type: 'directory', st };
      const sub = sys.openat(dir, child, O_RDONLY | O_DIRECTORY, 0);
      try {
        yield* walkDir(sub, name, links);
      } finally {
        closeFd(sub);
      }
    } else if (isSymlinkMode(st.mode)) {
      yield { name, type: 'symlink', st, linkname: sys.readlinkat(dir, child) };
    } else if (isFileMode(st.mode)) {
      const first = st.nlink > 1 ? links.get(`${st.dev}:${st.ino}`) : undefined;
      if (first !== undefined) {
        yield { name, type: 'link', st, linkname: first };
        continue;
      }
      const fd = sys.openat(dir, child, O_RDONLY | O_NONBLOCK, 0);
      try {
        yield fileEntry(name, st, fd, links);
      } finally {
        closeFd(fd);
      }
    }
  }
}

function fileEntry(name: string, st: RawStat, fd: number, links: Map<string, string>): SourceEntry {
  if (st.nlink > 1) links.set(`${st.dev}:${st.ino}`, name);
  return { name, type: 'file', st, fd };
}

function openInRootOrNotFound(rootFd: number, rel: string): number {
  try {
    return openInRoot(rootFd, rel === '' ? '.' : rel, O_PATH);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP')
      throw new InvalidArgumentError(`stat ${rel}: file does not exist`);
    throw e;
  }
}

/** Files up to this size are read in one synchronous call: cheaper than a thread-pool round trip. */
const SMALL_FILE = 256 * 1024;

/** Exactly `size` bytes of the held file from `start`, as readSmall and exactChunks give them. */
export async function* fileChunks(fd: number, size: number, start = 0): AsyncGenerator<Buffer> {
  if (size > SMALL_FILE) {
    yield* exactChunks(fd, size, start);
    return;
  }
  yield readSmall(fd, size, start);
}

export const isSmallFile = (size: number): boolean => size <= SMALL_FILE;
