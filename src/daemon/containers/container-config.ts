/**
 * A container's configuration as skiff keeps it: Docker's `Config` and `HostConfig`, in our own
 * names (api/wire/ maps Docker's JSON to and from these). Image defaults (Env, Cmd, Entrypoint,
 * WorkingDir, User, Volumes, ExposedPorts, Healthcheck, Labels, StopSignal) are merged in at
 * create time, as dockerd does, so the record is complete on its own.
 */

export interface HealthcheckConfig {
  /** ["NONE"] disables an image's check; ["CMD", ...] or ["CMD-SHELL", "..."]. */
  readonly test: readonly string[];
  /** Nanoseconds; 0 = default (30 s interval, 30 s timeout, 0 start period, 5 s start interval). */
  readonly interval: number;
  readonly timeout: number;
  readonly startPeriod: number;
  readonly startInterval: number;
  /** 0 = default (3). */
  readonly retries: number;
}

export interface ContainerConfig {
  readonly hostname: string;
  readonly domainname: string;
  /** "", "name", "uid", "name:group", "uid:gid" — resolved against the image's /etc/passwd at start. */
  readonly user: string;
  readonly attachStdin: boolean;
  readonly attachStdout: boolean;
  readonly attachStderr: boolean;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  /** "KEY=value" entries, image's first, then the user's (later wins). */
  readonly env: readonly string[];
  readonly cmd: readonly string[];
  readonly entrypoint: readonly string[];
  /** The image reference as the user gave it. */
  readonly image: string;
  readonly workingDir: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly stopSignal?: string;
  /** Seconds. */
  readonly stopTimeout?: number;
  /** "80/tcp" ... */
  readonly exposedPorts: readonly string[];
  /** Anonymous volume destinations from the image's VOLUME and `-v /path`. */
  readonly volumes: readonly string[];
  readonly healthcheck?: HealthcheckConfig;
  readonly networkDisabled: boolean;
  readonly macAddress?: string;
  readonly shell?: readonly string[];
}

export type MountType = 'bind' | 'volume' | 'tmpfs';

/** One entry of `--mount` / HostConfig.Mounts (binds from `-v` are parsed into these too). */
export interface MountSpec {
  readonly type: MountType;
  /** Which HostConfig field it came from (Binds, Mounts or Tmpfs): inspect gives it back there. */
  readonly origin?: 'binds' | 'mounts' | 'tmpfs';
  /** Host path (bind), volume name (volume; empty = anonymous), unused for tmpfs. */
  readonly source: string;
  /** Absolute path in the container. */
  readonly target: string;
  readonly readOnly: boolean;
  /** rprivate (default), private, rshared, shared, rslave, slave. */
  readonly propagation?: string;
  /** Bind: create the host path if missing (true for `-v`, false for `--mount`, as Docker). */
  readonly createHostPath?: boolean;
  /** Volume: don't copy image content into a new volume. */
  readonly noCopy?: boolean;
  /** Volume: mount only this subdirectory of the volume (API 1.45 `VolumeOptions.Subpath`). */
  readonly volumeSubpath?: string;
  readonly volumeLabels?: Readonly<Record<string, string>>;
  readonly volumeDriver?: string;
  readonly volumeOptions?: Readonly<Record<string, string>>;
  /** tmpfs: bytes (0 = unlimited) and mode. */
  readonly tmpfsSize?: number;
  readonly tmpfsMode?: number;
  /** Extra mount options (e.g. from `-v src:dst:ro,z` or `--tmpfs /t:rw,noexec`). */
  readonly options?: readonly string[];
  /** Bind: do not make the mount recursive (`bind-recursive=disabled`). */
  readonly nonRecursive?: boolean;
}

export interface RestartPolicy {
  readonly name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  readonly maximumRetryCount: number;
}

export interface Ulimit {
  readonly name: string;
  readonly soft: number;
  readonly hard: number;
}

export interface DeviceMapping {
  readonly pathOnHost: string;
  readonly pathInContainer: string;
  readonly cgroupPermissions: string;
}

/** Resource limits; 0 means "not set", as in Docker's API. */
export interface Resources {
  readonly memory: number;
  readonly memorySwap: number;
  readonly memoryReservation: number;
  readonly memorySwappiness?: number;
  readonly nanoCpus: number;
  readonly cpuShares: number;
  readonly cpuPeriod: number;
  readonly cpuQuota: number;
  readonly cpusetCpus: string;
  readonly cpusetMems: string;
  readonly pidsLimit: number;
  readonly blkioWeight: number;
  readonly oomKillDisable: boolean;
  readonly devices: readonly DeviceMapping[];
}

/** Resources with nothing set: what `docker run` without limit flags asks for. */
export const NO_RESOURCE_LIMITS: Resources = {
  memory: 0,
  memorySwap: 0,
  memoryReservation: 0,
  nanoCpus: 0,
  cpuShares: 0,
  cpuPeriod: 0,
  cpuQuota: 0,
  cpusetCpus: '',
  cpusetMems: '',
  pidsLimit: 0,
  blkioWeight: 0,
  oomKillDisable: false,
  devices: [],
};

export interface PortBinding {
  readonly hostIp: string;
  readonly hostPort: string;
}

export interface HostConfig {
  /** Binds and --mount entries, in the order given; tmpfs from HostConfig.Tmpfs too. */
  readonly mounts: readonly MountSpec[];
  readonly readonlyRootfs: boolean;
  /** "default"/"bridge", "none", "host", "container:<id>", or a network name. */
  readonly networkMode: string;
  /** "80/tcp" → bindings. */
  readonly portBindings: Readonly<Record<string, readonly PortBinding[]>>;
  readonly publishAllPorts: boolean;
  readonly restartPolicy: RestartPolicy;
  readonly autoRemove: boolean;
  readonly capAdd: readonly string[];
  readonly capDrop: readonly string[];
  readonly privileged: boolean;
  /** Raw `--security-opt` values: no-new-privileges[:true|false], seccomp=unconfined|<json>, label=..., apparmor=... */
  readonly securityOpt: readonly string[];
  /** null: the daemon's default (`init` in daemon.json). */
  readonly init: boolean | null;
  readonly dns: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly dnsOptions: readonly string[];
  /** "host:ip" entries for /etc/hosts; "host-gateway" as ip is resolved by the network layer. */
  readonly extraHosts: readonly string[];
  readonly groupAdd: readonly string[];
  /** "", "private", "shareable", "host", "container:<id>", "none". */
  readonly ipcMode: string;
  /** "", "host", "container:<id>". */
  readonly pidMode: string;
  /** "", "host". */
  readonly utsMode: string;
  readonly usernsMode: string;
  readonly cgroupnsMode: string;
  /** Bytes; 0 = the daemon default (64 MiB). */
  readonly shmSize: number;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly ulimits: readonly Ulimit[];
  readonly logConfig: { readonly type: string; readonly config: Readonly<Record<string, string>> };
  readonly resources: Resources;
  readonly volumesFrom: readonly string[];
  readonly links: readonly string[];
  readonly oomScoreAdj: number;
  /** null: Docker's defaults; [] with privileged. */
  readonly maskedPaths: readonly string[] | null;
  readonly readonlyPaths: readonly string[] | null;
  readonly runtime: string;
  /** Initial TTY size (API ≥ 1.42), so that the first output already fits the client's terminal. */
  readonly consoleSize?: { readonly height: number; readonly width: number };
  /** HostConfig.Tmpfs as the user wrote it (inspect echoes `size=3M`, not bytes). */
  readonly tmpfsAsGiven?: Readonly<Record<string, string>>;
  /** Echoed only: Linux has one isolation ("" or "default"). */
  readonly isolation?: string;
  /** Echoed only: the driver of volumes without one (only `local` exists). */
  readonly volumeDriver?: string;
  /** "c 1:3 rwm" ...: needs a device cgroup, so warned about where none is delegated. */
  readonly deviceCgroupRules?: readonly string[];
  /** Into the OCI spec's annotations (API ≥ 1.43). */
  readonly annotations?: Readonly<Record<string, string>>;
  /** Warned about where no cgroup is delegated. */
  readonly cgroupParent?: string;
  /** Per-device block I/O limits: warned about where `io` is not delegated. */
  readonly blkioDeviceLimits?: BlkioDeviceLimits;
  /** `--gpus`, `--device vendor/class=name`: served through CDI (device-requests.ts). */
  readonly deviceRequests?: readonly DeviceRequest[];
}

export interface BlkioDeviceLimit {
  readonly path: string;
  /** Weight, bytes per second or operations per second, by list. */
  readonly value: number;
}

export interface BlkioDeviceLimits {
  readonly weight: readonly BlkioDeviceLimit[];
  readonly readBps: readonly BlkioDeviceLimit[];
  readonly writeBps: readonly BlkioDeviceLimit[];
  readonly readIops: readonly BlkioDeviceLimit[];
  readonly writeIops: readonly BlkioDeviceLimit[];
}

export interface DeviceRequest {
  readonly driver: string;
  /** -1: all. */
  readonly count: number;
  readonly deviceIds: readonly string[];
  readonly capabilities: readonly (readonly string[])[];
  readonly options: Readonly<Record<string, string>>;
}
