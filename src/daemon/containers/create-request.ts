/**
 * A container create request as the daemon receives it from the API layer: the user's part of
 * Config (fields left unset so that image defaults can fill them: see merge-image-config.ts),
 * the full HostConfig, the networks to join, and the requested name.
 */
import type { ContainerConfig, HostConfig } from './container-config.js';

/** ContainerConfig as the user sent it: cmd and entrypoint may be left to the image. */
export interface ContainerConfigInput extends Omit<ContainerConfig, 'cmd' | 'entrypoint'> {
  /** undefined: take the image's (when the entrypoint is not overridden). */
  readonly cmd?: readonly string[];
  /** undefined: the image's; [""] clears it (`--entrypoint ""`), as Docker. */
  readonly entrypoint?: readonly string[];
}

export interface EndpointRequest {
  readonly aliases: readonly string[];
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly macAddress?: string;
  readonly links: readonly string[];
  /** Set by create/connect once the network is resolved (the map is then keyed by its name). */
  readonly networkId?: string;
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
