/**
 * A diff as an OCI layer tar: changed entries with their metadata, deletions as `.wh.<name>`
 * (the whiteout form of the image spec), for `docker commit`. The snapshot may belong to a
 * running container, so every entry is opened below its root through real directories only
 * (src/confine/), files O_NONBLOCK and packed only while still the regular file we listed.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import {
  O_NONBLOCK,
  O_RDONLY,
  confined,
  isDirMode,
  isFifoMode,
  isFileMode,
  isSymlinkMode,
} from '../confine/confined-fs.js';
import { closeFd, exactChunks, openBeneath, openRootDir } from '../confine/confined-root.js';
import { readlinkBeneath, statBeneath, type DiffEntry } from './layer-diff.js';
import { WHITEOUT_PREFIX } from './layer-paths.js';

export function packDiff(entries: readonly DiffEntry[]): Readable {
  const pack = tar.pack();
  const roots = new Map<string, number>();
  const rootFd = (root: string): number => {
    let fd = roots.get(root);
    if (fd === undefined) {
      fd = openRootDir(root);
      roots.set(root, fd);
    }
    return fd;
  };
  // A running container can swap a directory for a symlink between the listing and the pack:
  // nothing may then be packed below what went into the tar as a non-directory, or the layer
  // would name a path through a symlink (and be refused when applied).
  const notDirs = new Set<string>();
  const underNotDir = (rel: string): boolean => {
    for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1))
      if (notDirs.has(rel.slice(0, i))) return true;
    return false;
  };
  const add = async (): Promise<void> => {
    for (const e of entries) {
      if (underNotDir(e.rel)) continue;
      if (e.kind === 'deleted' || e.root === undefined) {
        notDirs.add(e.rel);
        const slash = e.rel.lastIndexOf('/');
        const name =
          slash < 0
            ? `${WHITEOUT_PREFIX}${e.rel}`
            : `${e.rel.slice(0, slash)}/${WHITEOUT_PREFIX}${e.rel.slice(slash + 1)}`;
        await entry(
          pack,
          { name, type: 'file', size: 0, mode: 0o600, mtime: new Date(0) },
          Buffer.alloc(0),
        );
        continue;
      }
      const root = rootFd(e.root);
      const st = statBeneath(root, e.rel);
      if (!st) continue;
      const header = {
        name: e.rel,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: new Date(st.mtimeSec * 1000 + Math.floor(st.mtimeNsec / 1e6)),
      };
      if (!isDirMode(st.mode)) notDirs.add(e.rel);
      if (isDirMode(st.mode))
        await entry(pack, { ...header, name: `${e.rel}/`, type: 'directory' });
      else if (isSymlinkMode(st.mode)) {
        const linkname = readlinkBeneath(root, e.rel);
        if (linkname !== undefined) await entry(pack, { ...header, type: 'symlink', linkname });
      } else if (isFileMode(st.mode)) await packFile(pack, root, e.rel, header, st.ino);
      else if (isFifoMode(st.mode)) await entry(pack, { ...header, type: 'fifo' });
    }
  };
  add()
    .then(
      () => {
        pack.finalize();
      },
      (err: unknown) => {
        pack.destroy(err instanceof Error ? err : new Error(String(err)));
      },
    )
    .finally(() => {
      for (const fd of roots.values()) closeFd(fd);
    });
  return Readable.from(pack as AsyncIterable<Buffer>);
}

/** A regular file's content, if `rel` still is the file that was listed. */
async function packFile(
  pack: tar.Pack,
  root: number,
  rel: string,
  header: Partial<tar.Header> & { name: string },
  ino: number,
): Promise<void> {
  let fd: number;
  try {
    fd = openBeneath(root, rel, O_RDONLY | O_NONBLOCK);
  } catch {
    return; // gone, or swapped for a symlink since it was listed
  }
  try {
    const st = confined().lstatat(fd, '');
    if (!isFileMode(st.mode) || st.ino !== ino) return;
    await pipeline(
      Readable.from(exactChunks(fd, st.size)),
      pack.entry({ ...header, type: 'file', size: st.size }),
    );
  } finally {
    closeFd(fd);
  }
}

/** An entry without a data stream; a file entry needs its (empty) body, or tar-stream waits for one. */
function entry(
  pack: tar.Pack,
  header: Partial<tar.Header> & { name: string },
  body?: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => {
      if (err) reject(err);
      else resolve();
    };
    if (body) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}
