/**
 * Network modes until user-defined networks exist: `default`/`bridge` join the holder's network
 * namespace (rootlesskit + slirp4netns: what Rootless Docker gives a container), `host` the
 * host's own network namespace (skiffd's: as Docker 29.5+ with a detached netns), `none` a
 * fresh empty one, `container:<id>` another container's.
 */
import { NotFoundError } from '../../errors.js';

export type NetworkModeKind = 'holder' | 'host' | 'none' | 'container';

export function networkModeKind(mode: string): { kind: NetworkModeKind; container?: string } {
  if (mode === 'default' || mode === 'bridge' || mode === '') return { kind: 'holder' };
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'none') return { kind: 'none' };
  if (mode.startsWith('container:'))
    return { kind: 'container', container: mode.slice('container:'.length) };
  throw new NotFoundError(`network ${mode} not found`);
}

export function checkNetworkMode(mode: string): void {
  networkModeKind(mode);
}
