/**
 * What skiff persists per container (`<dataRoot>/containers/<id>/config.v2.json`) and the
 * state machine of Docker's container states: created → running ⇄ paused, running → restarting
 * → running, running → exited, any → removing → (gone), and dead when cleanup failed.
 */
import type { ContainerConfig, HostConfig } from './container-config.js';
import type { EndpointRequest } from './create-request.js';

export type ContainerStatus =
  'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

export interface HealthLogEntry {
  readonly start: string;
  readonly end: string;
  readonly exitCode: number;
  readonly output: string;
}

export interface HealthState {
  readonly status: 'starting' | 'healthy' | 'unhealthy';
  readonly failingStreak: number;
  readonly log: readonly HealthLogEntry[];
}

/** A port published for the container while it runs (rootlesskit forward). */
export interface PublishedPort {
  /** "80/tcp" */
  readonly key: string;
  readonly hostIp: string;
  readonly hostPort: number;
  readonly forwardId: number;
}

/** A container's endpoint on a bridge network while it runs (set up by netavark). */
export interface AttachedEndpoint {
  readonly networkId: string;
  readonly networkName: string;
  readonly endpointId: string;
  /** eth0, eth1, ... inside the container. */
  readonly interfaceName: string;
  readonly macAddress: string;
  /** Without prefix length; "" when the network has no IPv4 subnet. */
  readonly ipv4Address: string;
  readonly ipv4PrefixLen: number;
  readonly gateway: string;
  readonly ipv6Address: string;
  readonly ipv6PrefixLen: number;
  readonly ipv6Gateway: string;
  /** The user's DNS aliases on this network (`--network-alias`, compose service names). */
  readonly aliases: readonly string[];
}

export interface NetworkState {
  /** The persistent network namespace (`<execRoot>/netns/<id>`): Docker's SandboxKey. */
  readonly sandboxKey: string;
  readonly endpoints: readonly AttachedEndpoint[];
}

export interface ContainerState {
  readonly status: ContainerStatus;
  readonly pid: number;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  /** The last start error, as Docker's State.Error. */
  readonly error: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly health?: HealthState;
  /** Ports published while running (removed at exit). */
  readonly ports?: readonly PublishedPort[];
  /** The container's own network namespace and its bridge endpoints, while it runs. */
  readonly network?: NetworkState;
  /** Stopped by the user (docker stop/kill): `unless-stopped` and daemon restarts leave it alone. */
  readonly manuallyStopped: boolean;
}

export interface MountPoint {
  readonly type: 'bind' | 'volume' | 'tmpfs';
  /** Volume name. */
  readonly name?: string;
  /** Host path (volumes: their _data dir). */
  readonly source: string;
  readonly destination: string;
  readonly driver?: string;
  readonly mode: string;
  readonly rw: boolean;
  readonly propagation: string;
  /** An anonymous volume created for this container (removed with `docker rm -v`). */
  readonly anonymous?: boolean;
  /** Don't copy the image's content at the destination into a new, empty volume. */
  readonly noCopy?: boolean;
  /** The image's content was copied (or found nothing to copy) at create: start copies no more. */
  readonly populated?: boolean;
  /** Volume: the subdirectory of the volume that is mounted (`volume-subpath`), relative. */
  readonly subpath?: string;
}

export interface ContainerRecord {
  readonly id: string;
  /** Without the leading slash. */
  readonly name: string;
  readonly created: string;
  /** The command as run: entrypoint[0] / cmd[0], and the rest. */
  readonly path: string;
  readonly args: readonly string[];
  readonly config: ContainerConfig;
  readonly hostConfig: HostConfig;
  /** "sha256:<hex>" */
  readonly imageId: string;
  readonly state: ContainerState;
  readonly restartCount: number;
  readonly driver: string;
  readonly mountPoints: readonly MountPoint[];
  readonly logPath: string;
  readonly hostnamePath: string;
  readonly hostsPath: string;
  readonly resolvConfPath: string;
  readonly endpoints: Readonly<Record<string, EndpointRequest>>;
  /** True between the first write and the end of create: such leftovers are removed at start. */
  readonly creating?: boolean;
}

export function initialState(): ContainerState {
  return {
    status: 'created',
    pid: 0,
    exitCode: 0,
    oomKilled: false,
    error: '',
    startedAt: '0001-01-01T00:00:00Z',
    finishedAt: '0001-01-01T00:00:00Z',
    manuallyStopped: false,
  };
}

export const isActive = (s: ContainerState): boolean =>
  s.status === 'running' || s.status === 'paused' || s.status === 'restarting';
