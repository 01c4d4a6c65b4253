/**
 * Packs a file or directory tree into a tar stream, keeping numeric ownership, modes, mtimes,
 * symlinks and hardlinks (for `docker cp` out of a container and `docker export`). The walk is
 * confined by the kernel: it holds a descriptor per directory and opens each child by name with
 * O_NOFOLLOW, so a container that swaps a directory for a symlink to `/` while we read gets an
 * entry skipped, never a host file in the tar. Files are opened O_NONBLOCK and packed only when
 * still regular (a FIFO cannot block a libuv thread). Sockets are skipped (tar has no form).
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import {
  O_DIRECTORY,
  O_NONBLOCK,
  O_RDONLY,
  confined,
  errnoOf,
  isBlockMode,
  isCharMode,
  isDirMode,
  isFifoMode,
  isFileMode,
  isSymlinkMode,
  mtimeOf,
  type RawStat,
} from '../../../confine/confined-fs.js';
import { closeFd } from '../../../confine/confined-root.js';
import { packHeldFile, tarEntry } from '../../../snapshot/tar-entries.js';

export interface PackOptions {
  /** Name of the top entry ("" = the contents of the directory at the archive root). */
  readonly name: string;
  readonly signal?: AbortSignal;
}

/**
 * Packs `entry` (one name) of the directory held as `dirFd`, or with `entry` "" the directory
 * itself. `dirFd` stays the caller's to close, after the stream has ended.
 */
export function packPath(dirFd: number, entry: string, o: PackOptions): Readable {
  const pack = tar.pack();
  const links = new Map<string, string>();
  const sys = confined();
  const add = async (parent: number, child: string, name: string): Promise<void> => {
    if (o.signal?.aborted) return;
    let st: RawStat;
    try {
      st = sys.lstatat(parent, child);
    } catch (e) {
      // Gone since the directory was listed: a running container changes its files.
      if (errnoOf(e) === 'ENOENT') return;
      throw e;
    }
    const header = {
      name,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtime: mtimeOf(st),
    };
    if (isDirMode(st.mode)) {
      if (name !== '') await tarEntry(pack, { ...header, name: `${name}/`, type: 'directory' });
      const fd = child === '' ? parent : openChild(parent, child, O_RDONLY | O_DIRECTORY);
      if (fd === undefined) return;
      try {
        for (const c of sys.readdir(fd).sort()) await add(fd, c, name === '' ? c : `${name}/${c}`);
      } finally {
        if (fd !== parent) closeFd(fd);
      }
      return;
    }
    if (isSymlinkMode(st.mode)) {
      const linkname = readlinkOrUndefined(parent, child);
      if (linkname !== undefined) await tarEntry(pack, { ...header, type: 'symlink', linkname });
      return;
    }
    if (isFileMode(st.mode)) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        await tarEntry(pack, { ...header, type: 'link', linkname: first });
        return;
      }
      const fd = openChild(parent, child, O_RDONLY | O_NONBLOCK);
      if (fd === undefined) return;
      try {
        // Swapped for something else since the lstat: skipped, nothing read.
        if ((await packHeldFile(pack, header, fd, st)) && st.nlink > 1) links.set(key, name);
      } finally {
        closeFd(fd);
      }
      return;
    }
    if (isFifoMode(st.mode)) await tarEntry(pack, { ...header, type: 'fifo' });
    else if (isCharMode(st.mode) || isBlockMode(st.mode))
      await tarEntry(pack, {
        ...header,
        type: isCharMode(st.mode) ? 'character-device' : 'block-device',
        // Linux's dev_t: 12 bits of major above the low 8 of minor, the rest of minor above.
        devmajor: (st.rdev >> 8) & 0xfff,
        devminor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00),
      });
  };
  add(dirFd, entry, o.name).then(
    () => {
      pack.finalize();
    },
    (e: unknown) => {
      pack.destroy(e instanceof Error ? e : new Error(String(e)));
    },
  );
  // tar-stream's pack is a streamx stream: hand out a Node Readable.
  return Readable.from(pack as AsyncIterable<Buffer>);
}

/** A symlink's target; undefined when the name is gone or is no longer a symlink. */
function readlinkOrUndefined(parent: number, child: string): string | undefined {
  try {
    return confined().readlinkat(parent, child);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'EINVAL') return undefined;
    throw e;
  }
}

/** A child opened by name without following a symlink; undefined when it went away or changed kind. */
function openChild(parent: number, child: string, flags: number): number | undefined {
  try {
    return confined().openat(parent, child, flags, 0);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'ENXIO')
      return undefined;
    throw e;
  }
}
