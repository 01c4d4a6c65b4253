/** The dependencies every container operation shares, built once by the composition root. */
import type { HostProfile } from '../../host.js';
import type { Logger } from '../../log.js';
import type { Runtime } from '../../runtime/runtime.js';
import { KeyLock } from '../../store/key-lock.js';
import type { EventBus } from '../events/event-bus.js';
import type { PortForwarder } from '../../network/port-forwarder.js';
import type { ContainerStore } from './container-store.js';
import type { ContainerNetworking } from './container-networking.js';
import type { LowPortFacts } from './privileged-ports.js';
import type {
  ContainerSnapshots,
  ImageResolver,
  LogReader,
  RootfsMounter,
  SpecFactory,
  VolumeProvider,
} from './dependencies.js';

export interface ContainerDefaults {
  readonly logDriver: string;
  readonly logOpts: Readonly<Record<string, string>>;
  readonly init: boolean;
  readonly initPath?: string;
  readonly noNewPrivileges: boolean;
  readonly shmSize: number;
  readonly ulimits: readonly { name: string; soft: number; hard: number }[];
  readonly dns: readonly string[];
  readonly dnsSearch: readonly string[];
  readonly dnsOptions: readonly string[];
  readonly shutdownTimeout: number;
  /** daemon.json `host-gateway-ip`: what `--add-host x:host-gateway` resolves to, if set. */
  readonly hostGatewayIp?: string;
  /** daemon.json `userns-mode` ("" or "keep-id..."): HostConfig.UsernsMode when a create leaves it empty. */
  readonly usernsMode: string;
  /** daemon.json `cdi-spec-dirs`: where CDI specs are read, lowest priority first. */
  readonly cdiSpecDirs: readonly string[];
}

export interface ContainerContext {
  readonly store: ContainerStore;
  readonly locks: KeyLock;
  readonly images: ImageResolver;
  readonly snapshots: ContainerSnapshots;
  readonly mounter: RootfsMounter;
  readonly volumes: VolumeProvider;
  readonly spec: SpecFactory;
  /** undefined when no OCI runtime works here: start then fails with the reason. */
  readonly runtime?: Runtime;
  readonly logs: LogReader;
  readonly events: EventBus;
  /** Publishes ports into the holder's network namespace; undefined without rootlesskit's port driver. */
  readonly ports?: PortForwarder;
  /** Whether host ports below 1024 can be published now (rootless only; absent: no check). */
  readonly lowPorts?: () => Promise<LowPortFacts>;
  /**
   * Bridge networks (netavark): undefined where they cannot work (no rootlesskit holder, no
   * netavark); `default`/`bridge` containers then share the holder's network namespace.
   */
  readonly networking?: ContainerNetworking;
  readonly host: HostProfile;
  readonly defaults: ContainerDefaults;
  /** `<execRoot>/containers`: bundles (config.json, rootfs mount point, monitor files). */
  readonly bundleRoot: string;
  readonly log: Logger;
}

export function newLocks(): KeyLock {
  return new KeyLock();
}
