/**
 * What /info, /version and /_ping report: facts from the HostProfile and the configuration,
 * counts from the other services — true values only (seed 003: docker info shows `rootless`).
 */
import type { HostProfile } from '../../host.js';

export interface EngineIdentity {
  /** Stable across restarts (kept in the data root). */
  readonly id: string;
  readonly name: string;
  readonly version: string;
  readonly gitCommit: string;
  readonly buildTime: string;
}

export interface SystemCounts {
  readonly containers: number;
  readonly running: number;
  readonly paused: number;
  readonly stopped: number;
  readonly images: number;
}

export interface SystemConfigView {
  readonly dataRoot: string;
  readonly debug: boolean;
  readonly experimental: boolean;
  readonly liveRestore: boolean;
  readonly logDriver: string;
  readonly noNewPrivileges: boolean;
  readonly insecureRegistries: readonly string[];
  readonly registryMirrors: readonly string[];
  readonly labels: readonly string[];
  readonly initBinary: string;
  readonly httpProxy: string;
  readonly httpsProxy: string;
  readonly noProxy: string;
  /** The CDI spec directories in use (daemon.json `cdi-spec-dirs`). */
  readonly cdiSpecDirs: readonly string[];
}

export interface SystemInfo {
  readonly identity: EngineIdentity;
  readonly host: HostProfile;
  readonly config: SystemConfigView;
  readonly counts: SystemCounts;
  readonly securityOptions: readonly string[];
  readonly eventListeners: number;
  readonly fileDescriptors: number;
  readonly systemTime: string;
}

export interface SystemServiceDeps {
  readonly host: HostProfile;
  readonly config: SystemConfigView;
  readonly identity: EngineIdentity;
  readonly counts: () => Promise<SystemCounts>;
  readonly eventListeners: () => number;
  readonly openFileDescriptors: () => Promise<number>;
  readonly now?: () => Date;
}

export class SystemService {
  constructor(private readonly d: SystemServiceDeps) {}

  get identity(): EngineIdentity {
    return this.d.identity;
  }

  get host(): HostProfile {
    return this.d.host;
  }

  async info(): Promise<SystemInfo> {
    return {
      identity: this.d.identity,
      host: this.d.host,
      config: this.d.config,
      counts: await this.d.counts(),
      securityOptions: this.securityOptions(),
      eventListeners: this.d.eventListeners(),
      fileDescriptors: await this.d.openFileDescriptors(),
      systemTime: (this.d.now?.() ?? new Date()).toISOString(),
    };
  }

  /** Only what is really applied: seccomp when a profile is loaded, cgroupns on cgroup v2. */
  securityOptions(): string[] {
    const opts: string[] = [];
    if (this.d.host.seccompProfile) opts.push(`name=seccomp,profile=${this.d.host.seccompProfile}`);
    if (this.d.host.rootless) opts.push('name=rootless');
    if (this.d.host.cgroup.version === 2) opts.push('name=cgroupns');
    if (this.d.config.noNewPrivileges) opts.push('name=no-new-privileges');
    return opts;
  }
}
