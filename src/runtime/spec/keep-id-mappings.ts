/**
 * `--userns keep-id` (Podman's mode, issue 10): the container gets its own user namespace in which
 * the user who runs skiff keeps their own uid/gid, so files they create on a bind mount belong
 * to them on the host. Pure: parsing HostConfig.UsernsMode and the id-mapping arithmetic.
 *
 * Ids here are "holder" ids: skiffd runs as uid 0 of rootlesskit's user namespace, where 0 is the
 * host user and 1..N the subordinate range. A container id C maps to holder id H; the kernel maps
 * H on to the host.
 */
import { InvalidArgumentError } from '../../errors.js';
import type { HostProfile, IdMapEntry } from '../../host.js';

export type UsernsChoice =
  /** Today's behaviour: share skiffd's (the holder's) user namespace. */
  | { readonly kind: 'host' }
  /** A new user namespace; the host user appears as `uid`/`gid` (default: their host ids). */
  | { readonly kind: 'keep-id'; readonly uid?: number; readonly gid?: number };

/** One OCI `linux.uidMappings` / `gidMappings` entry (the spec's field names). */
export interface OciIdMapping {
  readonly containerID: number;
  readonly hostID: number;
  readonly size: number;
}

/** The largest id a uid_map accepts (4294967295 is the invalid id (uid_t)-1). */
const MAX_ID = 4294967294;

function invalid(mode: string, why?: string): InvalidArgumentError {
  // dockerd's words for an unknown mode, then what skiff accepts.
  return new InvalidArgumentError(
    `invalid USER NS mode: ${mode}${why ? ` (${why})` : ''}: use "host", "keep-id" or "keep-id:uid=N,gid=N"`,
  );
}

/** "" and "host" = share skiffd's namespace; "keep-id[:uid=N,gid=N]"; anything else is refused. */
export function parseUsernsMode(mode: string): UsernsChoice {
  if (mode === '' || mode === 'host') return { kind: 'host' };
  const [name, opts, ...rest] = mode.split(':');
  if (name !== 'keep-id' || rest.length > 0) throw invalid(mode);
  if (opts === undefined) return { kind: 'keep-id' };
  let uid: number | undefined;
  let gid: number | undefined;
  for (const opt of opts.split(',')) {
    const [k, v, ...more] = opt.split('=');
    if (v === undefined || more.length > 0 || !/^\d+$/.test(v))
      throw invalid(mode, `bad option "${opt}"`);
    const n = Number(v);
    if (n > MAX_ID) throw invalid(mode, `${k ?? ''} out of range`);
    if (k === 'uid') uid = n;
    else if (k === 'gid') gid = n;
    else throw invalid(mode, `unknown option "${k ?? ''}"`);
  }
  return {
    kind: 'keep-id',
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  };
}

/**
 * How many ids the holder namespace maps, counted from 0 without a gap (rootlesskit: 1 for the
 * user + the subordinate count, 65537 usually). Only that contiguous run can be handed on.
 */
export function mappedRangeSize(map: readonly IdMapEntry[]): number {
  let size = 0;
  for (;;) {
    const next = map.find((m) => m.containerId <= size && m.containerId + m.size > size);
    if (!next) return size;
    size = next.containerId + next.size;
  }
}

/**
 * Container→holder mappings with `id` (the container's view of the host user) on holder 0:
 *   container id      → holder 0 (the host user)
 *   container 0..id-1 → holder 1..id
 *   container id+1..  → holder id+1..size-1
 * so every holder id is used once. When `id` is at or beyond the end of the range, container
 * 0..size-2 take holder 1..size-1 and `id` alone maps to the user.
 */
export function keepIdMappings(id: number, size: number): OciIdMapping[] {
  if (!Number.isInteger(id) || id < 0 || id > MAX_ID)
    throw new InvalidArgumentError(`keep-id: invalid id ${id}`);
  if (!Number.isInteger(size) || size < 1)
    throw new InvalidArgumentError(`keep-id: the user namespace maps no ids (size ${size})`);
  const below = Math.min(id, size - 1);
  const above = id < size ? size - 1 - id : 0;
  const out: OciIdMapping[] = [];
  if (below > 0) out.push({ containerID: 0, hostID: 1, size: below });
  out.push({ containerID: id, hostID: 0, size: 1 });
  if (above > 0) out.push({ containerID: id + 1, hostID: id + 1, size: above });
  return out;
}

/**
 * The user namespace of a container for HostConfig.UsernsMode: the user's host ids on keep-id's
 * uid/gid (default: the same numbers as on the host), skiffd's range around them, joined at
 * `path` when one was made beforehand; undefined when the container shares skiffd's.
 */
export function keepIdUserns(
  mode: string,
  host: HostProfile,
  path?: string,
): { path?: string; uidMappings: OciIdMapping[]; gidMappings: OciIdMapping[] } | undefined {
  const choice = parseUsernsMode(mode);
  if (choice.kind === 'host') return undefined;
  return {
    ...(path !== undefined ? { path } : {}),
    uidMappings: keepIdMappings(choice.uid ?? host.hostUid, mappedRangeSize(host.uidMap)),
    gidMappings: keepIdMappings(choice.gid ?? host.hostGid, mappedRangeSize(host.gidMap)),
  };
}
