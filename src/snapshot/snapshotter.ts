/**
 * The snapshot seam (containerd's Snapshotter, narrowed): a tree of filesystem snapshots, each
 * either committed (an image layer, read-only, identified by its chain id) or active (being
 * unpacked into, or a container's writable layer). Drivers: overlay/ (native overlayfs in the
 * user namespace, `userxattr`), fuse-overlayfs/, vfs/ (full copies). A snapshotter EMITS mounts;
 * it never mounts a container rootfs for the caller (the runtime layer does that).
 */
import type { Readable } from 'node:stream';

/** One mount, as mount(8) / the OCI runtime spec take it. */
export interface Mount {
  readonly type: string;
  readonly source: string;
  readonly target?: string;
  readonly options: readonly string[];
  /**
   * Relative paths in `options` are relative to this directory: overlay mounts of many layers
   * use short relative lowerdirs (the kernel limits the option string to a page), as Docker's
   * overlay2 does.
   */
  readonly cwd?: string;
}

export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  readonly key: string;
  readonly kind: SnapshotKind;
  readonly parent?: string;
  readonly createdAt: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Usage {
  readonly bytes: number;
  readonly inodes: number;
}

export interface Snapshotter {
  /** The driver name `docker info` reports: overlay2, fuse-overlayfs or vfs. */
  readonly driver: string;
  /**
   * True when a snapshot's directory holds only its own changes (overlay, fuse-overlayfs): a
   * layer can then be applied into a snapshot prepared without its parent, and given the
   * parent at commit — layers of one image unpack side by side. False for vfs (full copies).
   */
  readonly independentLayers: boolean;
  /**
   * Creates an active, writable snapshot `key` on top of committed `parent` (none: empty) and
   * returns the mounts that show it. MUST fail with ConflictError if `key` exists and
   * NotFoundError if `parent` is not a committed snapshot.
   */
  prepare(key: string, parent?: string, labels?: Record<string, string>): Promise<Mount[]>;
  /** Like prepare, but read-only; a view can never be committed. */
  view(key: string, parent?: string): Promise<Mount[]>;
  /**
   * Turns active snapshot `key` into committed snapshot `name` (atomically: a crash leaves
   * either the active or the committed one). `key` no longer exists afterwards. `parent`
   * (only where `independentLayers`; `key` prepared without one) sets the committed
   * snapshot's parent, which must be committed. Committed names are chain ids (a name is its
   * content): when `name` is already committed on the same parent — another pull unpacked the
   * same layer meanwhile — `key` is discarded and the commit succeeds, leaving one snapshot;
   * any other existing `name` is a ConflictError. Concurrent commits of one name are serialised.
   */
  commit(
    name: string,
    key: string,
    labels?: Record<string, string>,
    parent?: string,
  ): Promise<void>;
  /** The mounts of an existing active snapshot or view. */
  mounts(key: string): Promise<Mount[]>;
  /** Removes a snapshot; MUST refuse (ConflictError) while another snapshot has it as parent. */
  remove(key: string): Promise<void>;
  /** undefined when there is no such snapshot. */
  stat(key: string): Promise<SnapshotInfo | undefined>;
  /** Disk usage of the snapshot's own layer (not its parents). */
  usage(key: string): Promise<Usage>;
  /** Every snapshot, in no particular order. */
  list(): Promise<SnapshotInfo[]>;
}

export interface ApplyResult {
  /** sha256 of the uncompressed tar (the layer's DiffID). */
  readonly diffId: string;
  /** Bytes of uncompressed tar read. */
  readonly size: number;
  /**
   * Only where the driver keeps a tar-split (overlay with skiff-untar: `tar-split.gz` next to
   * the snapshot's `fs/`): true when it and the unpacked files rebuild the tar byte for byte;
   * false when an entry of the same tar removed or replaced a file whose content it refers to.
   */
  readonly splitComplete?: boolean;
}

export interface ApplyInput {
  readonly signal?: AbortSignal;
  /** The tar is gzip-compressed: the driver inflates it (in skiff-untar, off Node's main thread). */
  readonly compression?: 'gzip';
}

/**
 * Writes a layer tar (uncompressed, or gzip with `compression`) into an ACTIVE snapshot, in the
 * driver's on-disk format:
 * OCI whiteouts (`.wh.name`, `.wh..wh..opq`) become overlay whiteouts (char 0:0) and opaque
 * xattrs on overlay drivers, and deletions on vfs. MUST refuse entries that would write outside
 * the snapshot (`..`, absolute paths, through symlinks) with InvalidArgumentError and leave no
 * partial snapshot visible to others (the caller removes the active snapshot on failure).
 */
export interface LayerApplier {
  apply(key: string, tar: Readable, input?: ApplyInput): Promise<ApplyResult>;
  /**
   * Committed layer `key`'s tar rebuilt byte for byte from what the driver kept when it was
   * applied (a tar-split), checked against `diffId` as it streams; undefined when the driver kept
   * none for it (then the layer's blob is the only source of its tar).
   */
  layerTar(key: string, diffId: string): Promise<Readable | undefined>;
  /** Whether `layerTar` can rebuild committed layer `key` (it kept a complete tar-split). */
  canRebuild(key: string): Promise<boolean>;
}

export interface Change {
  readonly kind: 'added' | 'modified' | 'deleted';
  /** Absolute path inside the container, e.g. "/etc/hosts". */
  readonly path: string;
}

/** The other direction: what an active snapshot changed relative to its parent. */
export interface DiffReader {
  /** Changes for `docker diff`; `exclude` drops paths (e.g. mount points the runtime created). */
  changes(key: string, exclude?: (path: string) => boolean): Promise<Change[]>;
  /** The changes as an OCI layer tar (whiteouts as `.wh.` files), for `docker commit`. */
  diffTar(key: string, exclude?: (path: string) => boolean): Readable;
}

/** What every driver implements. */
export interface SnapshotDriver extends Snapshotter, LayerApplier, DiffReader {}
