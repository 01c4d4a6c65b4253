/**
 * A diff as an OCI layer tar: changed entries with their metadata, deletions as `.wh.<name>`
 * (the whiteout form of the image spec), for `docker commit`. The snapshot may belong to a
 * running container, so every entry is opened below its root through real directories only
 * (src/confine/), files O_NONBLOCK and packed only while still the regular file we listed.
 */
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import {
  O_NONBLOCK,
  O_RDONLY,
  isDirMode,
  isFifoMode,
  isFileMode,
  isSymlinkMode,
  mtimeOf,
  type RawStat,
} from '../confine/confined-fs.js';
import { closeFd, openBeneath, openRootDir } from '../confine/confined-root.js';
import { packHeldFile, tarEntry, type EntryHeader } from './tar-entries.js';
import { readlinkBeneath, statBeneath, type DiffEntry } from './layer-diff.js';
import { OPAQUE_MARKER, WHITEOUT_PREFIX } from './layer-paths.js';

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
  const linked = new Map<string, string>();
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
        await tarEntry(
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
        mtime: mtimeOf(st),
      };
      if (!isDirMode(st.mode)) notDirs.add(e.rel);
      if (isDirMode(st.mode)) {
        await tarEntry(pack, { ...header, name: `${e.rel}/`, type: 'directory' });
        if (e.opaque)
          await tarEntry(
            pack,
            {
              name: `${e.rel}/${OPAQUE_MARKER}`,
              type: 'file',
              size: 0,
              mode: 0o600,
              mtime: new Date(0),
            },
            Buffer.alloc(0),
          );
      } else if (isSymlinkMode(st.mode)) {
        const linkname = readlinkBeneath(root, e.rel);
        if (linkname !== undefined) await tarEntry(pack, { ...header, type: 'symlink', linkname });
      } else if (isFileMode(st.mode)) {
        // One copy per inode: later names of a hard-linked file are links to the first.
        const inode = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? linked.get(inode) : undefined;
        if (first !== undefined) await tarEntry(pack, { ...header, type: 'link', linkname: first });
        else {
          if (st.nlink > 1) linked.set(inode, e.rel);
          await packFile(pack, root, e.rel, header, st);
        }
      } else if (isFifoMode(st.mode)) await tarEntry(pack, { ...header, type: 'fifo' });
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
  header: EntryHeader,
  listed: RawStat,
): Promise<void> {
  let fd: number;
  try {
    fd = openBeneath(root, rel, O_RDONLY | O_NONBLOCK);
  } catch {
    return; // gone, or swapped for a symlink since it was listed
  }
  try {
    await packHeldFile(pack, header, fd, listed);
  } finally {
    closeFd(fd);
  }
}
