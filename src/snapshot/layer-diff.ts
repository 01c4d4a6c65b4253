/**
 * What an active snapshot changed relative to its parent, for `docker diff` and as a layer tar
 * for `docker commit`. Overlay: the upper directory is the change set (char 0:0 = deleted).
 * vfs: a naive comparison with the parent's copy (mode, owner, size, mtime, link target).
 */
import { lstat, readdir, readlink } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import type { Change } from './snapshotter.js';

export interface DiffEntry {
  readonly kind: Change['kind'];
  /** Relative path ("etc/hosts"). */
  readonly rel: string;
  /** Where the content is (undefined for deletions). */
  readonly source?: string;
}

const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

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

/** Overlay: walk the upper dir; everything there is a change. */
export async function overlayDiff(upper: string, lowers: readonly string[]): Promise<DiffEntry[]> {
  const out: DiffEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(upper, rel))).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = join(upper, r);
      const st = await lstat(p);
      if (isWhiteout(st)) {
        out.push({ kind: 'deleted', rel: r });
        continue;
      }
      out.push({ kind: (await existsBelow(lowers, r)) ? 'modified' : 'added', rel: r, source: p });
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

/** vfs: compare the snapshot's full copy with its parent's. */
export async function naiveDiff(dir: string, parent: string | undefined): Promise<DiffEntry[]> {
  const out: DiffEntry[] = [];
  const walk = async (rel: string): Promise<void> => {
    const here = await readdir(join(dir, rel)).catch(() => [] as string[]);
    const before = parent ? await readdir(join(parent, rel)).catch(() => [] as string[]) : [];
    for (const name of [...new Set([...here, ...before])].sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const a = await lstat(join(dir, r)).catch(() => undefined);
      const b = parent ? await lstat(join(parent, r)).catch(() => undefined) : undefined;
      if (!a) {
        out.push({ kind: 'deleted', rel: r });
        continue;
      }
      if (!b) {
        out.push({ kind: 'added', rel: r, source: join(dir, r) });
        if (a.isDirectory()) await walkAll(r);
        continue;
      }
      if (await differs(a, b, join(dir, r), join(parent ?? '', r)))
        out.push({ kind: 'modified', rel: r, source: join(dir, r) });
      if (a.isDirectory() && b.isDirectory()) await walk(r);
      else if (a.isDirectory()) await walkAll(r);
    }
  };
  const walkAll = async (rel: string): Promise<void> => {
    for (const name of (await readdir(join(dir, rel))).sort()) {
      const r = `${rel}/${name}`;
      out.push({ kind: 'added', rel: r, source: join(dir, r) });
      if ((await lstat(join(dir, r))).isDirectory()) await walkAll(r);
    }
  };
  await walk('');
  return out;
}

async function differs(a: Stats, b: Stats, pa: string, pb: string): Promise<boolean> {
  if ((a.mode & 0o177777) !== (b.mode & 0o177777) || a.uid !== b.uid || a.gid !== b.gid)
    return true;
  if (a.isDirectory()) return false;
  if (a.size !== b.size || Math.floor(a.mtimeMs) !== Math.floor(b.mtimeMs)) return true;
  if (a.isSymbolicLink()) return (await readlink(pa)) !== (await readlink(pb));
  return false;
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
