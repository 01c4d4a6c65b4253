/**
 * vfs snapshots: a full copy of the parent per snapshot (`cp -a`, which keeps ownership since
 * skiffd is root in the user namespace, and reflinks where the filesystem can). Slow and large,
 * but works everywhere; the mounts are plain binds.
 */
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { ConflictError } from '../../errors.js';
import { run } from '../../proc/run.js';
import { command } from '../../proc/command.js';
import { applyTar } from '../apply-tar.js';
import { directorySize } from '../directory-size.js';
import { filterDiff, naiveDiff, toChanges } from '../layer-diff.js';
import { packDiff } from '../pack-diff.js';
import { SnapshotStore, type SnapshotRecord } from '../snapshot-store.js';
import { spreadSubdirectories } from '../spread-directories.js';
import type {
  ApplyInput,
  ApplyResult,
  Change,
  Mount,
  SnapshotDriver,
  SnapshotInfo,
  Usage,
} from '../snapshotter.js';

export class VfsDriver implements SnapshotDriver {
  readonly driver = 'vfs';

  private constructor(
    private readonly store: SnapshotStore,
    private readonly fsops: string | undefined,
    private readonly untar: string | undefined,
    private readonly log: Logger,
  ) {}

  static async create(
    root: string,
    fsops: string | undefined,
    untar: string | undefined,
    log: Logger,
  ): Promise<VfsDriver> {
    const store = new SnapshotStore(root);
    await store.load();
    await spreadSubdirectories(join(root, 'snapshots'), fsops, log);
    return new VfsDriver(store, fsops, untar, log);
  }

  async prepare(
    key: string,
    parent?: string,
    labels: Record<string, string> = {},
  ): Promise<Mount[]> {
    const rec = await this.store.create(key, 'active', parent, labels);
    await this.copyParent(rec);
    return this.mountsOf(rec);
  }

  async view(key: string, parent?: string): Promise<Mount[]> {
    const rec = await this.store.create(key, 'view', parent, {});
    await this.copyParent(rec);
    return this.mountsOf(rec);
  }

  /** Each snapshot is a full copy of its parent: layers apply one after the other. */
  readonly independentLayers = false;

  commit(name: string, key: string, labels: Record<string, string> = {}): Promise<void> {
    return this.store.commit(name, key, labels);
  }

  mounts(key: string): Promise<Mount[]> {
    return Promise.resolve(this.mountsOf(this.store.require(key)));
  }

  remove(key: string): Promise<void> {
    return this.store.remove(key);
  }

  stat(key: string): Promise<SnapshotInfo | undefined> {
    const r = this.store.get(key);
    return Promise.resolve(
      r
        ? {
            key: r.key,
            kind: r.kind,
            ...(r.parent !== undefined ? { parent: r.parent } : {}),
            createdAt: r.createdAt,
            labels: r.labels,
          }
        : undefined,
    );
  }

  async usage(key: string): Promise<Usage> {
    return directorySize(this.store.path(this.store.require(key)));
  }

  list(): Promise<SnapshotInfo[]> {
    return Promise.resolve(
      this.store.all().map((r) => ({
        key: r.key,
        kind: r.kind,
        ...(r.parent !== undefined ? { parent: r.parent } : {}),
        createdAt: r.createdAt,
        labels: r.labels,
      })),
    );
  }

  async apply(key: string, tar: Readable, input?: ApplyInput): Promise<ApplyResult> {
    const rec = this.store.require(key);
    if (rec.kind !== 'active') throw new ConflictError(`snapshot ${key} is not active`);
    return applyTar(
      this.store.path(rec),
      tar,
      {
        whiteouts: { kind: 'delete' },
        lowerDirs: [],
        fsops: this.fsops,
        untar: this.untar,
        log: this.log,
      },
      input,
    );
  }

  /** vfs keeps no tar-split: its layers are full copies, footprint is not what it is for. */
  layerTar(): Promise<Readable | undefined> {
    return Promise.resolve(undefined);
  }

  canRebuild(): Promise<boolean> {
    return Promise.resolve(false);
  }

  async changes(key: string, exclude?: (path: string) => boolean): Promise<Change[]> {
    const rec = this.store.require(key);
    const parent = rec.parent !== undefined ? this.store.get(rec.parent) : undefined;
    return toChanges(
      filterDiff(
        await naiveDiff(this.store.path(rec), parent ? this.store.path(parent) : undefined),
        exclude,
      ),
    );
  }

  diffTar(key: string, exclude?: (path: string) => boolean): Readable {
    const rec = this.store.require(key);
    const parent = rec.parent !== undefined ? this.store.get(rec.parent) : undefined;
    const out = new PassThrough();
    naiveDiff(this.store.path(rec), parent ? this.store.path(parent) : undefined).then(
      (entries) => packDiff(filterDiff(entries, exclude)).pipe(out),
      (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
    );
    return out;
  }

  private async copyParent(rec: SnapshotRecord): Promise<void> {
    if (rec.parent === undefined) return;
    const parent = this.store.require(rec.parent);
    await run(
      '/bin/cp',
      command(['-a', '--reflink=auto', `${this.store.path(parent)}/.`, this.store.path(rec)]),
    );
  }

  private mountsOf(rec: SnapshotRecord): Mount[] {
    return [
      {
        type: 'bind',
        source: this.store.path(rec),
        options: ['rbind', rec.kind === 'view' ? 'ro' : 'rw'],
      },
    ];
  }
}
