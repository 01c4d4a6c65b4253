/**
 * Collects, for one skiff-fsops run, the calls Node lacks (mknod of whiteouts/fifos/devices,
 * lsetxattr) and the metadata of every entry (lchown, chmod, utimensat): done in C in one
 * process per layer, they cost a syscall each instead of a libuv round trip each, which made
 * them most of a pull's unpack time. Records run in an order that keeps each one's effect:
 * creations first, then file metadata (chown clears set-id bits, so chmod follows it), then
 * xattrs (chown would clear security.capability), then directories deepest first (creating a
 * child changes a directory's mtime).
 */
import { InternalError } from '../errors.js';
import { spawnCollect } from '../proc/run.js';

export interface EntryMeta {
  readonly uid: number;
  readonly gid: number;
  /** Permission bits incl. set-id and sticky; ignored for symlinks. */
  readonly mode: number;
  readonly mtime: Date;
}

/** Run order: creations, file metadata, xattrs, directory metadata (deepest first). */
type Lane = 'create' | 'file-meta' | 'xattr' | 'dir-meta';

interface QueuedRecord {
  readonly lane: Lane;
  readonly path: string;
  readonly fields: readonly string[];
}

export class FsopsBatch {
  private records: QueuedRecord[] = [];

  whiteout(path: string): void {
    this.add('create', path, ['W', path]);
  }

  mknod(path: string, mode: number, major: number, minor: number): void {
    this.add('create', path, ['N', path, mode.toString(8), String(major), String(minor)]);
  }

  setxattr(path: string, name: string, value: Buffer): void {
    this.add('xattr', path, ['X', path, name, value.toString('hex')]);
  }

  /**
   * Marks a directory as a "top" directory for ext4's inode allocator: its subdirectories (one
   * per snapshot) are spread over block groups instead of packed next to it. Without it every
   * new layer lands in the block group the last one was deleted from, and ext4 walks past
   * each recently deleted inode there on every file it creates: on a machine that pulls and
   * removes images, unpacking got 2-8x slower with each round (measured; see bench/pull.ts).
   */
  topdir(path: string): void {
    this.add('create', path, ['T', path]);
  }

  /** Ownership, mode and mtime of a non-directory (a symlink keeps its mode). */
  meta(path: string, m: EntryMeta, isSymlink: boolean): void {
    this.add('file-meta', path, metaFields(path, m, isSymlink));
  }

  /** Ownership, mode and mtime of a directory: applied after everything inside it exists. */
  dirMeta(path: string, m: EntryMeta): void {
    this.add('dir-meta', path, metaFields(path, m, false));
  }

  /**
   * Drops what was queued for `path` and below: the layer replaced or deleted it. Without this
   * a later entry could turn `path` into a symlink and the queued record would act through it,
   * outside the layer. Replacements are rare, so the linear scan is fine.
   */
  forget(path: string): void {
    const under = `${path}/`;
    this.records = this.records.filter((r) => r.path !== path && !r.path.startsWith(under));
  }

  get size(): number {
    return this.records.length;
  }

  /** Runs the batch; returns the failures (one line each) without throwing for them. */
  async run(fsops: string | undefined): Promise<string[]> {
    if (this.records.length === 0) return [];
    if (!fsops)
      throw new InternalError(
        'skiff-fsops is missing (native/build/skiff-fsops): run npm run build',
      );
    const lane = (l: Lane): QueuedRecord[] => this.records.filter((r) => r.lane === l);
    const ordered = [
      ...lane('create'),
      ...lane('file-meta'),
      ...lane('xattr'),
      ...lane('dir-meta').reverse(),
    ];
    const input = ordered.map((r) => r.fields.map((f) => `${f}\0`).join('')).join('');
    const r = await spawnCollect(fsops, [], { input: Buffer.from(input) });
    if (r.code === 2) throw new InternalError(`skiff-fsops failed: ${r.stderr.trim()}`);
    return r.stderr.split('\n').filter((l) => l.trim() !== '');
  }

  private add(lane: Lane, path: string, fields: readonly string[]): void {
    if (fields.some((f) => f.includes('\0'))) throw new InternalError('NUL in a path');
    this.records.push({ lane, path, fields });
  }
}

function metaFields(path: string, m: EntryMeta, isSymlink: boolean): string[] {
  const ms = m.mtime.getTime();
  const sec = Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
  const nsec = Number.isFinite(ms) ? (ms - sec * 1000) * 1_000_000 : 0;
  return [
    'M',
    path,
    String(m.uid),
    String(m.gid),
    isSymlink ? '-' : (m.mode & 0o7777).toString(8),
    String(sec),
    String(nsec),
  ];
}
