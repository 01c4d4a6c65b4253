/**
 * A container create request as the daemon receives it from the API layer: the user's part of
 * Config (fields left unset so that image defaults can fill them: see merge-image-config.ts),
 * the full HostConfig, the networks to join, and the requested name.
 */
import type { ContainerConfig, HealthcheckConfig, HostConfig } from './container-config.js';

export interface ContainerConfigInput {
  readonly hostname: string;
  readonly domainname: string;
  readonly user: string;
  readonly attachStdin: boolean;
  readonly attachStdout: boolean;
  readonly attachStderr: boolean;
  readonly tty: boolean;
  readonly openStdin: boolean;
  readonly stdinOnce: boolean;
  readonly env: readonly string[];
  /** undefined: take the image's (when the entrypoint is not overridden). */
  readonly cmd?: readonly string[];
  /** undefined: the image's; [""] clears it (`--entrypoint ""`), as Docker. */
  readonly entrypoint?: readonly string[];
  readonly image: string;
  readonly workingDir: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly stopSignal?: string;
  readonly stopTimeout?: number;
  readonly exposedPorts: readonly string[];
  readonly volumes: readonly string[];
  readonly healthcheck?: HealthcheckConfig;
  readonly networkDisabled: boolean;
  readonly macAddress?: string;
  readonly shell?: readonly string[];
}

export interface EndpointRequest {
  readonly aliases: readonly string[];
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly links: readonly string[];
}

export interface CreateRequest {
  /** Without the leading slash; undefined = generate one. */
  readonly name?: string;
  readonly config: ContainerConfigInput;
  readonly hostConfig: HostConfig;
  readonly endpoints: Readonly<Record<string, EndpointRequest>>;
  readonly platform?: string;
}

export type { ContainerConfig };
