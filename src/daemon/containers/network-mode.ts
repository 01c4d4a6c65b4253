/**
 * Network modes. `holder` is a bridge network: `default`/`bridge` or a user-defined network's
 * name or id. With netavark (ContainerContext.networking) such a container gets its own network
 * namespace wired into the network's bridge, in the rootlesskit holder's network namespace
 * behind slirp4netns; without it, `default`/`bridge` share the holder's namespace itself (what
 * Rootless Docker gives a container) and other names are unknown. `host` is the host's own
 * network namespace (skiffd's: as Docker 29.5+ with a detached netns), `none` a fresh empty
 * one, `container:<id>` another container's.
 */
import { NotFoundError } from '../../errors.js';

export type NetworkModeKind = 'holder' | 'host' | 'none' | 'container';

export function networkModeKind(mode: string): { kind: NetworkModeKind; container?: string } {
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:'))
    return { kind: 'container', container: mode.slice('container:'.length) };
  return { kind: 'holder' };
}

/** The default bridge's spellings: none given, `default`, `bridge`. */
export function isDefaultBridgeMode(mode: string): boolean {
  return mode === '' || mode === 'default' || mode === 'bridge';
}

/** Without bridge networks, only the default one exists. */
export function checkNetworkMode(mode: string): void {
  if (networkModeKind(mode).kind === 'holder' && !isDefaultBridgeMode(mode))
    throw new NotFoundError(`network ${mode} not found`);
}
