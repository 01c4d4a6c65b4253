/**
 * The daemon configuration as skiff uses it, after daemon.json and flags are merged and
 * validated. Docker's key names live only in `schema.ts`; everything else reads this type.
 */
import type { Level } from 'pino';
import type { RuntimeName, StorageDriverName } from '../../host.js';

export type LogDriverName = 'json-file' | 'local' | 'none';

export interface AddressPool {
  readonly base: string;
  readonly size: number;
}

export interface TlsConfig {
  readonly verify: boolean;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface DaemonConfig {
  readonly dataRoot: string;
  readonly execRoot: string;
  /** Listen addresses: unix:///path or tcp://host:port. */
  readonly hosts: readonly string[];
  readonly logLevel: Level;
  readonly storageDriver?: StorageDriverName;
  readonly runtime?: RuntimeName;
  readonly insecureRegistries: readonly string[];
  readonly registryMirrors: readonly string[];
  readonly maxConcurrentDownloads: number;
  readonly maxConcurrentUploads: number;
  readonly maxDownloadAttempts: number;
  readonly dns: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly dnsOptions: readonly string[];
  readonly defaultAddressPools: readonly AddressPool[];
  readonly liveRestore: boolean;
  readonly logDriver: LogDriverName;
  readonly logOpts: Readonly<Record<string, string>>;
  readonly seccompProfile?: string;
  readonly noNewPrivileges: boolean;
  readonly init: boolean;
  readonly initPath?: string;
  readonly defaultShmSize: number;
  readonly mtu?: number;
  readonly experimental: boolean;
  readonly labels: readonly string[];
  readonly shutdownTimeout: number;
  readonly defaultUlimits: Readonly<Record<string, { soft: number; hard: number }>>;
  readonly tls?: TlsConfig;
  /** `host-gateway-ip`: the address `--add-host x:host-gateway` stands for (default 10.0.2.2). */
  readonly hostGatewayIp?: string;
  /**
   * `allow-host-loopback` (skiff's key): rootlesskit runs with --disable-host-loopback=false, so
   * containers reach the host's 127.0.0.1 through 10.0.2.2. Off by default, as Rootless Docker.
   */
  readonly allowHostLoopback: boolean;
  /** `userns-mode` (Podman's `userns`, e.g. "keep-id"): the UsernsMode of a create that sets none. */
  readonly usernsMode: string;
  /** `cdi-spec-dirs`: the CDI spec directories, lowest priority first (/etc/cdi, /var/run/cdi). */
  readonly cdiSpecDirs: readonly string[];
  /** Where the configuration came from (shown in logs and errors). */
  readonly configFile: string;
}

export interface ConfigDefaults {
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socketPath: string;
  readonly configFile: string;
}
