/**
 * What is at a path of the layer directory being extracted into. When the directory started
 * empty (every fresh snapshot: overlay upper dirs), everything in it came from this tar, so the
 * answer is kept in memory and costs no syscall; otherwise (vfs copies of the parent, extraction
 * into existing trees) it is an lstat. Extraction is strictly sequential, so the memory answer
 * is exact.
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';

export type EntryKind = 'dir' | 'symlink' | 'other';

export class LayerIndex {
  private readonly known = new Map<string, EntryKind>();

  constructor(
    private readonly root: string,
    readonly startedEmpty: boolean,
  ) {}

  async kindOf(rel: string): Promise<EntryKind | undefined> {
    if (rel === '') return 'dir';
    if (this.startedEmpty) return this.known.get(rel);
    const st = await lstat(join(this.root, rel)).catch(() => undefined);
    if (!st) return undefined;
    return st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : 'other';
  }

  record(rel: string, kind: EntryKind): void {
    if (this.startedEmpty) this.known.set(rel, kind);
  }

  /** `rel` and everything below it were removed. */
  forget(rel: string): void {
    if (!this.startedEmpty || !this.known.has(rel)) return;
    this.known.delete(rel);
    const under = `${rel}/`;
    for (const k of this.known.keys()) if (k.startsWith(under)) this.known.delete(k);
  }
}
