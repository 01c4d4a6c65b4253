/**
 * The API versions we speak (1.24–1.50, advertising 1.50 as docker CLI 28 expects) and every
 * version-dependent quirk, in one table (STYLE R3): handlers ask `quirks(version)`, they never
 * compare version numbers themselves.
 */
import { InvalidArgumentError } from '../errors.js';

export const MIN_API_VERSION = '1.24';
export const MAX_API_VERSION = '1.50';
/**
 * The Docker Engine release whose API skiff matches, reported as `Version` by /version and
 * `ServerVersion` by /info. Clients compare it with Docker releases (testcontainers-java refuses
 * an engine below 1.6.0, compose and SDKs gate features on it); skiff's own version is listed
 * as a component and in Platform.Name.
 */
export const DOCKER_ENGINE_RELEASE = '28.2.0';
/** What /version reports as the engine version: the Docker release whose API we implement. */
export const ENGINE_COMPAT_VERSION = '28.2.2';

export type ApiVersion = string;

export function compareVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

/** Validates the version of a `/v1.NN/...` path prefix, with Docker's messages. */
export function negotiate(requested: string | undefined): ApiVersion {
  if (requested === undefined) return MAX_API_VERSION;
  if (!/^\d+\.\d+$/.test(requested))
    throw new InvalidArgumentError(`invalid API version: ${requested}`);
  if (compareVersions(requested, MIN_API_VERSION) < 0)
    throw new InvalidArgumentError(
      `client version ${requested} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`,
    );
  if (compareVersions(requested, MAX_API_VERSION) > 0)
    throw new InvalidArgumentError(
      `client version ${requested} is too new. Maximum supported API version is ${MAX_API_VERSION}`,
    );
  return requested;
}

export interface VersionQuirks {
  /** < 1.41: container list and inspect report `HostConfig.NetworkMode` "default" instead of "bridge". */
  readonly defaultNetworkModeName: 'default' | 'bridge';
  /** ≥ 1.42: volume ls/inspect carry `ClusterVolume`; ≥ 1.44 images carry `Containers` counts etc. */
  readonly imageListHasContainers: boolean;
  /** < 1.44: /containers/{id}/json carries the deprecated `Config.MacAddress`-less shape. */
  readonly wantsDeprecatedContainerFields: boolean;
  /** ≥ 1.45: /images/json may return `Manifests` when asked. */
  readonly imageListManifests: boolean;
}

export function quirks(v: ApiVersion): VersionQuirks {
  return {
    defaultNetworkModeName: compareVersions(v, '1.41') < 0 ? 'default' : 'bridge',
    imageListHasContainers: compareVersions(v, '1.44') >= 0,
    wantsDeprecatedContainerFields: compareVersions(v, '1.44') < 0,
    imageListManifests: compareVersions(v, '1.47') >= 0,
  };
}
