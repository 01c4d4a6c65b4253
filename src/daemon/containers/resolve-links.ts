/**
 * Legacy links between containers, as dockerd treats them. On the default bridge a link names a
 * container that must exist at create (then stored as `/db:/web/dbalias`) and be running at
 * start, when the linking container gets its variables and an /etc/hosts line. On a
 * user-defined network a link is only another name for a container there: dockerd makes it a
 * DNS alias that only the linking container resolves; here it is an /etc/hosts line of that
 * container, for linked containers running on one of its networks.
 */
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors.js';
import type { ContainerRecord, NetworkState } from './container-record.js';
import { SLIRP_CONTAINER_IP } from './container-files.js';
import { linkEnv, linkHostsEntry, parseLink, storedLink, type HostsEntry } from './legacy-links.js';
import { networkModeKind } from './network-mode.js';

const onDefaultBridge = (mode: string): boolean =>
  mode === '' || mode === 'default' || mode === 'bridge';

/**
 * At create: HostConfig.Links checked as dockerd checks them, in the form inspect shows. `find`
 * is the store's lookup (full id, name or id prefix; throws NotFound).
 */
export function normalizeLinks(
  links: readonly string[],
  networkMode: string,
  name: string,
  find: (ref: string) => ContainerRecord,
): string[] {
  if (links.length === 0) return [];
  const kind = networkModeKind(networkMode).kind;
  if (kind === 'host')
    throw new InvalidArgumentError(
      "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
    );
  if (kind === 'container')
    throw new InvalidArgumentError(
      "conflicting options: container type network can't be used with links. This would result in undefined behavior",
    );
  const parsed = links.map(parseLink);
  if (!onDefaultBridge(networkMode)) return [...links];
  return parsed.map((l) => {
    let linked: ContainerRecord;
    try {
      linked = find(l.name);
    } catch (e) {
      // dockerd: a 400, not a 404 (clients would report a missing image).
      if (e instanceof NotFoundError)
        throw new InvalidArgumentError(
          `could not get container for ${l.name}: No such container: ${l.name}`,
        );
      throw e;
    }
    if (networkModeKind(linked.hostConfig.networkMode).kind === 'host')
      throw new InvalidArgumentError(
        "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
      );
    return storedLink(linked.name, name, l.alias);
  });
}

export interface ResolvedLinks {
  readonly env: readonly string[];
  readonly hosts: readonly HostsEntry[];
}

const NONE: ResolvedLinks = { env: [], hosts: [] };

/**
 * At start: the variables and /etc/hosts lines of the container's links. `network` is its
 * bridge setup (undefined when containers share the holder's namespace). `strict` false (files
 * rewritten while it runs): a link that cannot be resolved is left out instead of refused.
 */
export function resolveLinks(
  rec: ContainerRecord,
  network: NetworkState | undefined,
  get: (ref: string) => ContainerRecord | undefined,
  strict = true,
): ResolvedLinks {
  const mode = rec.hostConfig.networkMode;
  if (networkModeKind(mode).kind !== 'holder') return NONE;
  if (!onDefaultBridge(mode)) return networkAliases(rec, network, get);
  if (rec.hostConfig.links.length === 0) return NONE;
  const env: string[] = [];
  const hosts: HostsEntry[] = [];
  for (const raw of rec.hostConfig.links) {
    const l = parseLink(raw);
    // A linked container removed since: its link went with it (dockerd's link graph).
    const linked = get(l.name);
    if (!linked) continue;
    const linkName = `/${rec.name}/${l.alias}`;
    const running = linked.state.status === 'running' || linked.state.status === 'paused';
    if (!running && !strict) continue;
    if (!running)
      throw new ConflictError(
        `Cannot link to a non running container: /${linked.name} AS ${linkName}`,
      );
    const ip = bridgeAddress(linked, network !== undefined);
    if (ip === undefined && !strict) continue;
    if (ip === undefined)
      throw new ConflictError(
        `Cannot link to /${linked.name}, as it does not belong to the default network`,
      );
    env.push(
      ...linkEnv({
        linkName,
        ip,
        env: linked.config.env,
        exposedPorts: linked.config.exposedPorts,
      }),
    );
    if (ip !== '')
      hosts.push(
        linkHostsEntry(
          l.alias,
          { name: linked.name, hostname: linked.config.hostname || linked.id.slice(0, 12) },
          ip,
        ),
      );
  }
  return { env, hosts };
}

/** The linked container's default-bridge address; undefined when it is not on that bridge. */
function bridgeAddress(linked: ContainerRecord, bridges: boolean): string | undefined {
  // Without bridge networks the default network is the holder's namespace, shared by all.
  if (!bridges)
    return onDefaultBridge(linked.hostConfig.networkMode) ? SLIRP_CONTAINER_IP : undefined;
  return linked.state.network?.endpoints.find((e) => e.networkName === 'bridge')?.ipv4Address;
}

function networkAliases(
  rec: ContainerRecord,
  network: NetworkState | undefined,
  get: (ref: string) => ContainerRecord | undefined,
): ResolvedLinks {
  if (!network) return NONE;
  const raw = [...rec.hostConfig.links, ...Object.values(rec.endpoints).flatMap((e) => e.links)];
  const hosts: HostsEntry[] = [];
  const seen = new Set<string>();
  for (const r of raw) {
    const l = parseLink(r);
    if (seen.has(l.alias)) continue;
    const linked = get(l.name);
    if (!linked || linked.state.status !== 'running') continue;
    const mine = new Set(network.endpoints.map((e) => e.networkId));
    const shared = linked.state.network?.endpoints.find(
      (e) => mine.has(e.networkId) && e.ipv4Address !== '',
    );
    if (!shared) continue;
    seen.add(l.alias);
    hosts.push({ ip: shared.ipv4Address, names: l.alias });
  }
  return { env: [], hosts };
}
