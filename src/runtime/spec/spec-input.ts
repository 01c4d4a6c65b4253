/**
 * Everything the pure OCI spec generator needs, resolved by the containers service beforehand
 * (paths on the host, the user's uid/gid from the image's /etc/passwd, namespace choices), so
 * that `buildSpec` does no I/O and is unit-tested without a container.
 */
import type { HostProfile } from '../../host.js';
import type {
  ContainerConfig,
  HostConfig,
  Ulimit,
} from '../../daemon/containers/container-config.js';
import type { OciIdMapping } from './keep-id-mappings.js';
import type { CdiContainerEdits } from '../cdi/cdi-spec.js';

/** A user mount whose source is resolved to a host path (volumes become binds of their _data dir). */
export interface ResolvedMount {
  readonly destination: string;
  readonly type: 'bind' | 'tmpfs';
  /** Host path for binds; "tmpfs" for tmpfs. */
  readonly source: string;
  /** OCI mount options: rbind/bind, ro/rw, propagation, tmpfs size=/mode=, nosuid... */
  readonly options: readonly string[];
}

export type NamespaceChoice =
  /** A fresh namespace for this container. */
  | { readonly kind: 'new' }
  /** Join the namespace at this path (/proc/<pid>/ns/<type>): another container, the holder. */
  | { readonly kind: 'path'; readonly path: string }
  /** Share skiffd's own namespace (no entry in linux.namespaces). */
  | { readonly kind: 'host' };

export interface ResolvedUser {
  readonly uid: number;
  readonly gid: number;
  readonly additionalGids: readonly number[];
  /** The user's home from /etc/passwd, for HOME when the image sets none. */
  readonly home: string;
}

export interface EtcFiles {
  /** Host paths of the per-container files bind-mounted over /etc/hosts, /etc/hostname, /etc/resolv.conf. */
  readonly hosts: string;
  readonly hostname: string;
  readonly resolvConf: string;
}

/** Docker's seccomp profile format (containers-common's seccomp.json uses it too). */
export interface DockerSeccompProfile {
  readonly defaultAction: string;
  readonly defaultErrnoRet?: number;
  readonly architectures?: readonly string[];
  readonly archMap?: readonly {
    readonly architecture: string;
    readonly subArchitectures?: readonly string[];
  }[];
  readonly syscalls?: readonly DockerSeccompRule[];
  readonly listenerPath?: string;
  readonly flags?: readonly string[];
}

export interface DockerSeccompRule {
  readonly name?: string;
  readonly names?: readonly string[];
  readonly action: string;
  readonly errnoRet?: number;
  readonly args?:
    | readonly {
        readonly index: number;
        readonly value: number;
        readonly valueTwo?: number;
        readonly op: string;
      }[]
    | null;
  readonly includes?: {
    readonly arches?: readonly string[];
    readonly caps?: readonly string[];
    readonly minKernel?: string;
  };
  readonly excludes?: { readonly arches?: readonly string[]; readonly caps?: readonly string[] };
}

export interface SpecInput {
  readonly id: string;
  readonly config: ContainerConfig;
  readonly hostConfig: HostConfig;
  /** Absolute path of the mounted rootfs (the spec's root.path). */
  readonly rootfs: string;
  /** User mounts (binds, volumes, tmpfs) in the order they must be mounted. */
  readonly mounts: readonly ResolvedMount[];
  readonly etcFiles: EtcFiles;
  readonly namespaces: {
    readonly network: NamespaceChoice;
    readonly ipc: NamespaceChoice;
    readonly pid: NamespaceChoice;
    readonly uts: NamespaceChoice;
    readonly cgroup: NamespaceChoice;
  };
  /** A host path bound at /dev/shm (a shareable shm, a donor's, the host's); undefined: a private tmpfs. */
  readonly shmSource?: string;
  readonly user: ResolvedUser;
  /**
   * `--userns keep-id`: a new user namespace with these mappings (container → skiffd's ids);
   * undefined = share skiffd's user namespace.
   */
  readonly userns?: {
    /** Join this user namespace (made with the container's network namespace) instead of a new one. */
    readonly path?: string;
    readonly uidMappings: readonly OciIdMapping[];
    readonly gidMappings: readonly OciIdMapping[];
    /**
     * Host paths of the image's /etc/passwd and /etc/group with an entry for the kept user added
     * (bind-mounted over them), and that entry's home (HOME); undefined when the image has one.
     */
    readonly etc?: { readonly passwd: string; readonly group: string; readonly home: string };
  };
  /** Host path of tini/catatonit when the container runs with --init (mounted at /sbin/docker-init). */
  readonly initBinary?: string;
  /** CDI devices' edits (--gpus, --device vendor/class=name), resolved and completed from the host. */
  readonly cdi?: CdiContainerEdits;
  /** The profile to apply; undefined = none available, 'unconfined' = asked for none. */
  readonly seccomp?: DockerSeccompProfile | 'unconfined';
  readonly defaults: {
    readonly noNewPrivileges: boolean;
    /** Bytes for /dev/shm when HostConfig.ShmSize is 0. */
    readonly shmSize: number;
    readonly ulimits: readonly Ulimit[];
  };
  readonly host: HostProfile;
}
