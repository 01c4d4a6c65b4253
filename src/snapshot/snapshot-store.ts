/**
 * Snapshot metadata shared by the drivers: one directory per snapshot (`snapshots/<dir>/`) with
 * `meta.json` written atomically, a short link `l/<short>` → `../snapshots/<dir>/fs` for compact
 * overlay mount options, and an in-memory index by key. Committing renames a key, not a
 * directory, so it is one atomic metadata write.
 *
 * Every change holds the per-key locks of the keys it reads and writes (create: key and parent;
 * commit: name, key and parent; remove: key), and checks what exists only once it holds them:
 * a check before an `await` and a write after it would let two callers both pass (two pulls
 * sharing a layer committed it twice under one name, and one directory leaked).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError, errnoCode } from '../errors.js';
import { readJsonFile, writeJsonAtomic } from '../store/atomic-file.js';
import { KeyLock } from '../store/key-lock.js';
import type { SnapshotInfo, SnapshotKind } from './snapshotter.js';

export interface SnapshotRecord extends SnapshotInfo {
  readonly dir: string;
  readonly short: string;
}

export class SnapshotStore {
  private readonly byKey = new Map<string, SnapshotRecord>();
  private readonly locks = new KeyLock();

  constructor(readonly root: string) {}

  async load(): Promise<void> {
    await mkdir(join(this.root, 'snapshots'), { recursive: true, mode: 0o700 });
    await mkdir(join(this.root, 'l'), { recursive: true, mode: 0o700 });
    for (const dir of await readdir(join(this.root, 'snapshots'))) {
      if (dir.startsWith('.')) {
        await rm(join(this.root, 'snapshots', dir), { recursive: true, force: true });
        continue;
      }
      const meta = (await readJsonFile(join(this.root, 'snapshots', dir, 'meta.json')).catch(
        () => undefined,
      )) as SnapshotRecord | undefined;
      if (!meta) {
        // A snapshot whose creation was interrupted before its metadata existed.
        await rm(join(this.root, 'snapshots', dir), { recursive: true, force: true });
        continue;
      }
      this.byKey.set(meta.key, { ...meta, dir });
    }
    await this.repairShortLinks();
  }

  /**
   * A crash between a snapshot's link and its metadata (create), or between its directory and
   * its link (remove), leaves `l/<short>` pointing nowhere: links no snapshot owns go, and a
   * snapshot whose link is missing gets it back.
   */
  private async repairShortLinks(): Promise<void> {
    const owned = new Map(this.all().map((r) => [r.short, r]));
    for (const name of await readdir(join(this.root, 'l')))
      if (!owned.has(name)) await rm(join(this.root, 'l', name), { recursive: true, force: true });
    for (const r of owned.values())
      await symlink(`../snapshots/${r.dir}/fs`, join(this.root, 'l', r.short)).catch(
        (e: unknown) => {
          if (errnoCode(e) !== 'EEXIST') throw e;
        },
      );
  }

  get(key: string): SnapshotRecord | undefined {
    return this.byKey.get(key);
  }

  require(key: string): SnapshotRecord {
    const r = this.byKey.get(key);
    if (!r) throw new NotFoundError(`snapshot ${key} does not exist`);
    return r;
  }

  all(): SnapshotRecord[] {
    return [...this.byKey.values()];
  }

  path(r: SnapshotRecord, sub = 'fs'): string {
    return join(this.root, 'snapshots', r.dir, sub);
  }

  /** The chain from `key` up: [key, parent, grandparent, ...]. */
  chain(key: string): SnapshotRecord[] {
    const out: SnapshotRecord[] = [];
    let cur: SnapshotRecord | undefined = this.require(key);
    while (cur) {
      out.push(cur);
      cur = cur.parent !== undefined ? this.byKey.get(cur.parent) : undefined;
    }
    return out;
  }

  /** Creates the directory (fs/, work/), its short link, then the metadata that makes it exist. */
  create(
    key: string,
    kind: SnapshotKind,
    parent: string | undefined,
    labels: Record<string, string>,
  ): Promise<SnapshotRecord> {
    return this.withKeys([key, parent], () => this.createLocked(key, kind, parent, labels));
  }

  private async createLocked(
    key: string,
    kind: SnapshotKind,
    parent: string | undefined,
    labels: Record<string, string>,
  ): Promise<SnapshotRecord> {
    if (this.byKey.has(key)) throw new ConflictError(`snapshot ${key} already exists`);
    if (parent !== undefined) {
      const p = this.byKey.get(parent);
      if (!p) throw new NotFoundError(`parent snapshot ${parent} does not exist`);
      if (p.kind !== 'committed')
        throw new ConflictError(`parent snapshot ${parent} is not committed`);
    }
    const dir = randomBytes(12).toString('hex');
    const short = randomBytes(5).toString('hex');
    const base = join(this.root, 'snapshots', dir);
    const rec: SnapshotRecord = {
      key,
      kind,
      ...(parent !== undefined ? { parent } : {}),
      createdAt: new Date().toISOString(),
      labels,
      dir,
      short,
    };
    try {
      await mkdir(join(base, 'fs'), { recursive: true, mode: 0o755 });
      await mkdir(join(base, 'work'), { mode: 0o700 });
      await symlink(`../snapshots/${dir}/fs`, join(this.root, 'l', short));
      await writeJsonAtomic(join(base, 'meta.json'), rec);
    } catch (e) {
      await rm(join(this.root, 'l', short), { force: true }).catch(() => undefined);
      await rm(base, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    this.byKey.set(key, rec);
    return rec;
  }

  /**
   * Active `key` becomes committed `name`. Where `name` is already committed on the same parent
   * (names of committed snapshots are chain ids: the same name is the same content), this copy
   * is discarded and the commit succeeds: two pulls that unpacked one layer side by side end
   * with one directory.
   */
  commit(
    name: string,
    key: string,
    labels: Record<string, string>,
    parent?: string,
  ): Promise<void> {
    return this.withKeys([name, key, parent], () => this.commitLocked(name, key, labels, parent));
  }

  private async commitLocked(
    name: string,
    key: string,
    labels: Record<string, string>,
    parent: string | undefined,
  ): Promise<void> {
    const r = this.require(key);
    if (r.kind !== 'active')
      throw new ConflictError(
        `snapshot ${key} is not active: only active snapshots can be committed`,
      );
    const existing = this.byKey.get(name);
    if (existing) {
      if (existing.kind === 'committed' && existing.parent === (parent ?? r.parent)) {
        await this.removeLocked(key);
        return;
      }
      throw new ConflictError(`snapshot ${name} already exists`);
    }
    if (parent !== undefined) {
      if (r.parent !== undefined && r.parent !== parent)
        throw new ConflictError(`snapshot ${key} already has the parent ${r.parent}`);
      const p = this.byKey.get(parent);
      if (p?.kind !== 'committed')
        throw new ConflictError(`parent snapshot ${parent} is not committed`);
    }
    const next: SnapshotRecord = {
      ...r,
      ...(parent !== undefined ? { parent } : {}),
      key: name,
      kind: 'committed',
      labels: { ...r.labels, ...labels },
    };
    await writeJsonAtomic(join(this.root, 'snapshots', r.dir, 'meta.json'), next);
    this.byKey.delete(key);
    this.byKey.set(name, next);
  }

  remove(key: string): Promise<void> {
    return this.withKeys([key], () => this.removeLocked(key));
  }

  private async removeLocked(key: string): Promise<void> {
    const r = this.require(key);
    const child = this.all().find((s) => s.parent === key);
    if (child)
      throw new ConflictError(`cannot remove snapshot ${key}: snapshot ${child.key} depends on it`);
    // Rename away first (atomic): a crash mid-delete leaves a hidden dir that load() removes.
    const trash = join(this.root, 'snapshots', `.rm-${r.dir}`);
    await rename(join(this.root, 'snapshots', r.dir), trash);
    this.byKey.delete(key);
    await rm(join(this.root, 'l', r.short), { force: true });
    await rm(trash, { recursive: true, force: true });
  }

  /** Runs `fn` holding the locks of `keys`, taken in sorted order so that two callers never wait on each other. */
  private withKeys<T>(keys: readonly (string | undefined)[], fn: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys.filter((k): k is string => k !== undefined))].sort();
    const run = (i: number): Promise<T> => {
      const k = sorted[i];
      return k === undefined ? fn() : this.locks.with(k, () => run(i + 1));
    };
    return run(0);
  }
}
