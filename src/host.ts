/**
 * Facts about this machine, detected once at startup by `rootless/detect-host.ts` and handed to
 * every layer as data (STYLE R4, R5): lower layers read a HostProfile, they never probe or ask
 * "are we rootless?" themselves.
 */

export type CgroupVersion = 1 | 2;
export type CgroupDriver = 'none' | 'cgroupfs' | 'systemd';
export type StorageDriverName = 'overlay2' | 'fuse-overlayfs' | 'vfs';
export type RuntimeName = 'runc' | 'crun';

export interface IdMapEntry {
  readonly containerId: number;
  readonly hostId: number;
  readonly size: number;
}

export interface CgroupProfile {
  /** The hierarchy the kernel mounted; 'hybrid' = v1 controllers plus cgroup2 at /sys/fs/cgroup/unified. */
  readonly layout: 'v1' | 'v2' | 'hybrid' | 'none';
  /** Version as docker info reports it: 2 only on a pure v2 hierarchy. */
  readonly version: CgroupVersion;
  readonly driver: CgroupDriver;
  /** cgroup v2 controllers delegated to this user (cpu, memory, pids, io, cpuset); empty without delegation. */
  readonly delegated: readonly string[];
  /** Our own cgroup v2 directory when we may create children in it. */
  readonly ownPath?: string;
  /** Whether the freezer (v1 freezer or v2 cgroup.freeze) is usable for pause/unpause. */
  readonly freezer: boolean;
}

export interface RuntimeProfile {
  readonly name: RuntimeName;
  readonly path: string;
  readonly version: string;
  /** Runtimes that were tried and refused, with the reason (shown in docker info warnings). */
  readonly rejected: readonly { name: RuntimeName; reason: string }[];
}

export interface StorageProfile {
  readonly driver: StorageDriverName;
  /** Native overlay needs `userxattr` inside a user namespace (Linux 5.11+). */
  readonly overlayUserXattr: boolean;
  /** Why better drivers were not chosen. */
  readonly notes: readonly string[];
}

export interface HostBinaries {
  readonly conmon?: string;
  readonly runc?: string;
  readonly crun?: string;
  readonly mount: string;
  readonly umount: string;
  readonly fuseOverlayfs?: string;
  readonly fusermount?: string;
  readonly tini?: string;
  readonly catatonit?: string;
  readonly zstd?: string;
  readonly nsenter?: string;
  /** util-linux unshare: makes the persistent network namespaces of bridge containers. */
  readonly unshare?: string;
  /** skiff's own C helpers (native/): SEQPACKET bridge and filesystem ops. */
  readonly skiffBridge?: string;
  readonly skiffFsops?: string;
  /** Layer unpacker (gunzip, tar, sha256, tar-split) in one process. */
  readonly skiffUntar?: string;
}

export interface HostProfile {
  /** We run as uid 0 of a user namespace that is not the initial one (the normal rootless case). */
  readonly rootless: boolean;
  readonly uidMap: readonly IdMapEntry[];
  readonly gidMap: readonly IdMapEntry[];
  /** The host uid that owns the user namespace (the user who started skiff). */
  readonly hostUid: number;
  readonly hostGid: number;
  /** The rootlesskit child ("holder") whose network namespace containers share by default. */
  readonly holderPid?: number;
  readonly kernelVersion: string;
  readonly operatingSystem: string;
  readonly osType: 'linux';
  readonly architecture: string;
  readonly ncpu: number;
  readonly memTotal: number;
  readonly hostname: string;
  readonly cgroup: CgroupProfile;
  readonly storage: StorageProfile;
  readonly runtime?: RuntimeProfile;
  /** Path of the default seccomp profile (containers-common's seccomp.json) when it applies. */
  readonly seccompProfile?: string;
  readonly binaries: HostBinaries;
  readonly mtu: number;
  /** Whether skiffd sees a /dev/mqueue to bind (undefined: assumed, as before it was probed). */
  readonly devMqueue?: boolean;
  /** skiffd's own resource limits (a user namespace cannot raise a hard limit above them). */
  readonly limits: Readonly<Record<string, { readonly soft: number; readonly hard: number }>>;
  /** What a user should know (docker info `Warnings`). */
  readonly warnings: readonly string[];
}
