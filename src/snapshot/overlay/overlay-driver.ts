/**
 * Overlay snapshots: each snapshot is one directory (an overlay layer); an active snapshot
 * mounts as overlayfs with its parents as lower layers. Native overlay inside the user
 * namespace uses `userxattr` (Linux 5.11+: metadata in user.overlay.*); the same layout serves
 * fuse-overlayfs, which only differs in how it is mounted.
 */
import { PassThrough, type Readable } from 'node:stream';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { ConflictError } from '../../errors.js';
import { applyTar } from '../apply-tar.js';
import { directorySize } from '../directory-size.js';
import { filterDiff, overlayDiff, toChanges, type DiffEntry } from '../layer-diff.js';
import { packDiff } from '../pack-diff.js';
import { SnapshotStore, type SnapshotRecord } from '../snapshot-store.js';
import { spreadSubdirectories } from '../spread-directories.js';
import { TAR_SPLIT_FILE, rebuildLayerTar } from '../tar-split.js';
import type {
  ApplyInput,
  ApplyResult,
  Change,
  Mount,
  SnapshotDriver,
  SnapshotInfo,
  Usage,
} from '../snapshotter.js';

export interface OverlayOptions {
  readonly root: string;
  /** 'overlay2' (kernel) or 'fuse-overlayfs'. */
  readonly flavour: 'overlay2' | 'fuse-overlayfs';
  readonly userxattr: boolean;
  readonly fsops: string | undefined;
  /** skiff-untar (native/): applies layers; without it the Node extractor does. */
  readonly untar: string | undefined;
  readonly log: Logger;
}

export class OverlayDriver implements SnapshotDriver {
  readonly driver: string;
  private constructor(
    private readonly o: OverlayOptions,
    private readonly store: SnapshotStore,
  ) {
    this.driver = o.flavour;
  }

  static async create(o: OverlayOptions): Promise<OverlayDriver> {
    const store = new SnapshotStore(o.root);
    await store.load();
    await spreadSubdirectories(join(o.root, 'snapshots'), o.fsops, o.log);
    return new OverlayDriver(o, store);
  }

  private get opaqueXattr(): string {
    if (this.o.flavour === 'fuse-overlayfs') return 'user.fuseoverlayfs.opaque';
    return this.o.userxattr ? 'user.overlay.opaque' : 'trusted.overlay.opaque';
  }

  async prepare(
    key: string,
    parent?: string,
    labels: Record<string, string> = {},
  ): Promise<Mount[]> {
    const rec = await this.store.create(key, 'active', parent, labels);
    return this.mountsOf(rec);
  }

  async view(key: string, parent?: string): Promise<Mount[]> {
    const rec = await this.store.create(key, 'view', parent, {});
    return this.mountsOf(rec);
  }

  readonly independentLayers = true;

  async commit(
    name: string,
    key: string,
    labels: Record<string, string> = {},
    parent?: string,
  ): Promise<void> {
    await this.store.commit(name, key, labels, parent);
  }

  mounts(key: string): Promise<Mount[]> {
    return Promise.resolve(this.mountsOf(this.store.require(key)));
  }

  async remove(key: string): Promise<void> {
    await this.store.remove(key);
  }

  stat(key: string): Promise<SnapshotInfo | undefined> {
    const r = this.store.get(key);
    return Promise.resolve(r ? info(r) : undefined);
  }

  async usage(key: string): Promise<Usage> {
    return directorySize(this.store.path(this.store.require(key)));
  }

  list(): Promise<SnapshotInfo[]> {
    return Promise.resolve(this.store.all().map(info));
  }

  /**
   * Also keeps `tar-split.gz` beside the snapshot's `fs/` (skiff-untar only): with the unpacked
   * files it rebuilds the layer tar byte for byte, where `splitComplete` says so.
   */
  async apply(key: string, tar: Readable, input?: ApplyInput): Promise<ApplyResult> {
    const rec = this.store.require(key);
    if (rec.kind !== 'active') throw new ConflictError(`snapshot ${key} is not active`);
    const lowers = this.store
      .chain(key)
      .slice(1)
      .map((r) => this.store.path(r));
    const split = this.store.path(rec, TAR_SPLIT_FILE);
    const r = await applyTar(
      this.store.path(rec),
      tar,
      {
        whiteouts: { kind: 'overlay', opaqueXattr: this.opaqueXattr },
        lowerDirs: lowers,
        fsops: this.o.fsops,
        untar: this.o.untar,
        tarSplit: split,
        log: this.o.log,
      },
      input,
    );
    // Kept only where it rebuilds the tar: its presence is what layerTar and canRebuild go by.
    if (r.splitComplete !== true) await rm(split, { force: true });
    return r;
  }

  async layerTar(key: string, diffId: string): Promise<Readable | undefined> {
    const kept = await this.tarSplitOf(key);
    return kept && rebuildLayerTar(kept.split, kept.fsDir, diffId);
  }

  async canRebuild(key: string): Promise<boolean> {
    return (await this.tarSplitOf(key)) !== undefined;
  }

  /** A committed layer's tar-split and its files; the unpacker leaves one only where it is complete. */
  private async tarSplitOf(key: string): Promise<{ split: string; fsDir: string } | undefined> {
    const rec = this.store.get(key);
    if (rec?.kind !== 'committed') return undefined;
    const split = this.store.path(rec, TAR_SPLIT_FILE);
    return (await exists(split)) ? { split, fsDir: this.store.path(rec) } : undefined;
  }

  async changes(key: string, exclude?: (path: string) => boolean): Promise<Change[]> {
    return toChanges(await this.diffEntries(key, exclude));
  }

  diffTar(key: string, exclude?: (path: string) => boolean): Readable {
    return packDiffLater(this.diffEntries(key, exclude));
  }

  private async diffEntries(
    key: string,
    exclude?: (path: string) => boolean,
  ): Promise<DiffEntry[]> {
    const [self, ...lowers] = this.store.chain(key);
    if (!self) return [];
    const entries = await overlayDiff(
      this.store.path(self),
      lowers.map((r) => this.store.path(r)),
      this.opaqueXattr,
    );
    return filterDiff(entries, exclude);
  }

  private mountsOf(rec: SnapshotRecord): Mount[] {
    const lowers = this.store.chain(rec.key).slice(1);
    if (lowers.length === 0)
      return [
        {
          type: 'bind',
          source: this.store.path(rec),
          options: ['rbind', rec.kind === 'view' ? 'ro' : 'rw'],
        },
      ];
    const lowerdir = lowers.map((r) => `l/${r.short}`).join(':');
    if (rec.kind === 'view') {
      if (lowers.length === 1 && lowers[0])
        return [{ type: 'bind', source: this.store.path(lowers[0]), options: ['rbind', 'ro'] }];
      return [
        {
          type: this.mountType,
          source: 'overlay',
          options: [`lowerdir=${lowerdir}`, ...this.extraOptions],
          cwd: this.o.root,
        },
      ];
    }
    return [
      {
        type: this.mountType,
        source: 'overlay',
        options: [
          `lowerdir=${lowerdir}`,
          `upperdir=snapshots/${rec.dir}/fs`,
          `workdir=snapshots/${rec.dir}/work`,
          ...this.extraOptions,
        ],
        cwd: this.o.root,
      },
    ];
  }

  private get mountType(): string {
    return this.o.flavour === 'fuse-overlayfs' ? 'fuse-overlayfs' : 'overlay';
  }

  private get extraOptions(): string[] {
    return this.o.flavour === 'overlay2' && this.o.userxattr ? ['userxattr'] : [];
  }
}

function info(r: SnapshotRecord): SnapshotInfo {
  return {
    key: r.key,
    kind: r.kind,
    ...(r.parent !== undefined ? { parent: r.parent } : {}),
    createdAt: r.createdAt,
    labels: r.labels,
  };
}

/** diffTar must return a stream synchronously; the walk happens as it is read. */
function packDiffLater(entries: Promise<Parameters<typeof packDiff>[0]>): Readable {
  return toStream(entries.then((e) => packDiff(e)));
}

function toStream(p: Promise<Readable>): Readable {
  const out = new PassThrough();
  p.then(
    (r) => {
      r.on('error', (e) => out.destroy(e));
      r.pipe(out);
    },
    (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
  );
  return out;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
