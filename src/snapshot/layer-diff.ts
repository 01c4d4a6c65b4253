/**
 * What an active snapshot changed relative to its parent, for `docker diff` and as a layer tar
 * for `docker commit`. Overlay: the upper directory is the change set (char 0:0 = deleted).
 * vfs: a naive comparison with the parent's copy (mode, owner, size, mtime, link target).
 * The snapshot being read belongs to a container that may be running and changing it, so it
 * is walked by descriptors (src/confine/): a directory swapped for a symlink is never entered.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  O_DIRECTORY,
  O_PATH,
  confined,
  isCharMode,
  isDirMode,
  isSymlinkMode,
  type RawStat,
} from '../confine/confined-fs.js';
import { closeFd, openBeneath, openRootDir } from '../confine/confined-root.js';
import type { Change } from './snapshotter.js';

export interface DiffEntry {
  readonly kind: Change['kind'];
  /** Relative path ("etc/hosts"). */
  readonly rel: string;
  /** The directory `rel` is below (undefined for deletions): read it with openBeneath. */
  readonly root?: string;
  /** A directory that hides everything the lower layers had in it (deleted, then made again). */
  readonly opaque?: boolean;
}

const isWhiteout = (st: RawStat): boolean => isCharMode(st.mode) && st.rdev === 0;

async function existsBelow(lowers: readonly string[], rel: string): Promise<boolean> {
  for (const l of lowers)
    if (
      await lstat(join(l, rel)).then(
        () => true,
        () => false,
      )
    )
      return true;
  return false;
}

/** Names and stats of a directory's entries, reached from `rootFd` through real directories. */
function listBeneath(rootFd: number, rel: string): { name: string; st: RawStat }[] {
  const sys = confined();
  let fd: number;
  try {
    fd = rel === '' ? rootFd : openBeneath(rootFd, rel, O_PATH | O_DIRECTORY);
  } catch {
    return []; // gone, or swapped for something that is not a directory
  }
  try {
    const out: { name: string; st: RawStat }[] = [];
    for (const name of sys.readdir(fd).sort()) {
      try {
        out.push({ name, st: sys.lstatat(fd, name) });
      } catch {
        // removed since the listing
      }
    }
    return out;
  } finally {
    if (fd !== rootFd) closeFd(fd);
  }
}

/** The metadata of `rel`, read without following a symlink anywhere on its path. */
export function statBeneath(rootFd: number, rel: string): RawStat | undefined {
  try {
    const fd = openBeneath(rootFd, rel, O_PATH);
    try {
      return confined().lstatat(fd, '');
    } finally {
      closeFd(fd);
    }
  } catch {
    return undefined;
  }
}

/**
 * Overlay: walk the upper dir; everything there is a change. A directory marked opaque (by
 * `opaqueXattr`) was deleted and made again: the layer must say so (`.wh..wh..opq`), or what the
 * lower layers had in it comes back.
 */
export async function overlayDiff(
  upper: string,
  lowers: readonly string[],
  opaqueXattr?: string,
): Promise<DiffEntry[]> {
  const out: DiffEntry[] = [];
  const rootFd = openRootDir(upper);
  const walk = async (rel: string): Promise<void> => {
    for (const { name, st } of listBeneath(rootFd, rel)) {
      const r = rel === '' ? name : `${rel}/${name}`;
      if (isWhiteout(st)) {
        out.push({ kind: 'deleted', rel: r });
        continue;
      }
      const kind = (await existsBelow(lowers, r)) ? 'modified' : 'added';
      const opaque =
        kind === 'modified' && opaqueXattr !== undefined && isDirMode(st.mode)
          ? isOpaque(rootFd, r, opaqueXattr)
          : false;
      out.push({ kind, rel: r, root: upper, ...(opaque ? { opaque } : {}) });
      if (isDirMode(st.mode)) await walk(r);
    }
  };
  try {
    await walk('');
  } finally {
    closeFd(rootFd);
  }
  return out;
}

function isOpaque(rootFd: number, rel: string, attr: string): boolean {
  try {
    const fd = openBeneath(rootFd, rel, O_PATH | O_DIRECTORY);
    try {
      return confined().dirXattrAt(fd, '', attr) === 'y';
    } finally {
      closeFd(fd);
    }
  } catch {
    return false; // gone, or no longer a directory
  }
}

/** vfs: compare the snapshot's full copy with its parent's (an image layer: nothing changes it). */
export async function naiveDiff(dir: string, parent: string | undefined): Promise<DiffEntry[]> {
  const out: DiffEntry[] = [];
  const dirFd = openRootDir(dir);
  const parentFd = parent !== undefined ? openRootDir(parent) : undefined;
  const walk = (rel: string): void => {
    const here = new Map(listBeneath(dirFd, rel).map((e) => [e.name, e.st]));
    const before = new Map(
      parentFd !== undefined ? listBeneath(parentFd, rel).map((e) => [e.name, e.st]) : [],
    );
    for (const name of [...new Set([...here.keys(), ...before.keys()])].sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const a = here.get(name);
      const b = before.get(name);
      if (!a) {
        out.push({ kind: 'deleted', rel: r });
        continue;
      }
      if (!b) {
        out.push({ kind: 'added', rel: r, root: dir });
        if (isDirMode(a.mode)) walkAll(r);
        continue;
      }
      if (differs(a, b, dirFd, parentFd, r)) out.push({ kind: 'modified', rel: r, root: dir });
      if (isDirMode(a.mode) && isDirMode(b.mode)) walk(r);
      else if (isDirMode(a.mode)) walkAll(r);
    }
  };
  const walkAll = (rel: string): void => {
    for (const { name, st } of listBeneath(dirFd, rel)) {
      const r = `${rel}/${name}`;
      out.push({ kind: 'added', rel: r, root: dir });
      if (isDirMode(st.mode)) walkAll(r);
    }
  };
  try {
    walk('');
  } finally {
    closeFd(dirFd);
    closeFd(parentFd);
  }
  return Promise.resolve(out);
}

function differs(
  a: RawStat,
  b: RawStat,
  dirFd: number,
  parentFd: number | undefined,
  rel: string,
): boolean {
  if ((a.mode & 0o177777) !== (b.mode & 0o177777) || a.uid !== b.uid || a.gid !== b.gid)
    return true;
  if (isDirMode(a.mode)) return false;
  if (a.size !== b.size || a.mtimeSec !== b.mtimeSec) return true;
  if (isSymlinkMode(a.mode) && parentFd !== undefined)
    return readlinkBeneath(dirFd, rel) !== readlinkBeneath(parentFd, rel);
  return false;
}

/** A symlink's target, reached through real directories only. */
export function readlinkBeneath(rootFd: number, rel: string): string | undefined {
  try {
    const fd = openBeneath(rootFd, rel, O_PATH);
    try {
      return confined().readlinkat(fd, '');
    } finally {
      closeFd(fd);
    }
  } catch {
    return undefined;
  }
}

export function toChanges(entries: readonly DiffEntry[]): Change[] {
  return entries.map((e) => ({ kind: e.kind, path: `/${e.rel}` }));
}

/**
 * Drops excluded paths, and directories reported modified only because of them (their own
 * metadata unchanged: nothing else below them changed).
 */
export function filterDiff(
  entries: readonly DiffEntry[],
  exclude: ((path: string) => boolean) | undefined,
): DiffEntry[] {
  if (!exclude) return [...entries];
  const kept = entries.filter((e) => !exclude(`/${e.rel}`));
  return kept.filter(
    (e) =>
      e.kind !== 'modified' ||
      !isDirEntry(e, entries) ||
      kept.some((o) => o.rel.startsWith(`${e.rel}/`)),
  );
}

function isDirEntry(e: DiffEntry, all: readonly DiffEntry[]): boolean {
  return all.some((o) => o.rel.startsWith(`${e.rel}/`));
}
