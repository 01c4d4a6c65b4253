/** What one `POST /build` asks for, parsed from its query string and headers (api/wire/build-query.ts). */
import type { Credentials } from '../registry/credentials.js';

export interface BuildOptions {
  /** Path of the Dockerfile in the context ("Dockerfile" when not given). */
  readonly dockerfile: string;
  /** `-t` values, validated references. */
  readonly tags: readonly string[];
  readonly remote?: string;
  readonly quiet: boolean;
  readonly noCache: boolean;
  readonly cacheFrom: readonly string[];
  readonly pull: boolean;
  /** Remove intermediate containers after a successful build (default true), and on failure. */
  readonly remove: boolean;
  /** Always remove intermediate containers. */
  readonly forceRemove: boolean;
  /** `--build-arg`: undefined value = taken from the client's environment, which it did not send. */
  readonly buildArgs: Readonly<Record<string, string | undefined>>;
  readonly labels: Readonly<Record<string, string>>;
  /** "default", "host", "none", "bridge" or a network name. */
  readonly networkMode: string;
  readonly extraHosts: readonly string[];
  /** Bytes; 0 = the daemon's default. */
  readonly shmSize: number;
  readonly platform?: string;
  readonly target?: string;
  /** Limits for the RUN containers (`--memory`, `--cpu-shares`...), in HostConfig's names. */
  readonly resources: StepResources;
  /** `X-Registry-Config`: credentials per registry for FROM pulls. */
  readonly registryAuth: Readonly<Record<string, Credentials>>;
}

/** HostConfig resource fields of a build's RUN containers (applied, or warned about, as for run). */
export interface StepResources {
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
}
