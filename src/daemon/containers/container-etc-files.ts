/**
 * A container's /etc/hostname, /etc/hosts and /etc/resolv.conf from its record and network
 * state: written at start, and again while it runs when its networks change (`docker network
 * connect`/`disconnect`), as dockerd rebuilds them then. The files are bind-mounted into the
 * container, so they are rewritten in place (writeFile truncates the same inode): a new file
 * renamed over the old one would leave the container seeing the old one.
 */
import { messageOf } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import {
  containerHostname,
  hostGatewayAddress,
  writeContainerFiles,
  type DnsSettings,
} from './container-files.js';
import type { ContainerRecord, NetworkState } from './container-record.js';
import { networkModeKind } from './network-mode.js';
import { resolveLinks, type ResolvedLinks } from './resolve-links.js';

export interface EtcFiles {
  readonly hostname: string;
  readonly links: ResolvedLinks;
}

/**
 * Writes the three files. `strict`: a link to a container that does not run is an error (at
 * start, as dockerd); a rewrite for a running container leaves such a link out instead.
 */
export async function writeEtcFiles(
  ctx: ContainerContext,
  rec: ContainerRecord,
  network: NetworkState | undefined,
  strict = true,
): Promise<EtcFiles> {
  const hc = rec.hostConfig;
  const kind = networkModeKind(hc.networkMode).kind;
  const hostname = containerHostname(rec, ctx.host.hostname, kind);
  const links = resolveLinks(rec, network, (ref) => ctx.store.lookup(ref), strict);
  await writeContainerFiles(
    rec,
    hostname,
    kind,
    dnsSettings(ctx, rec),
    network ? bridgeFiles(network) : undefined,
    {
      hostGateway: hostGatewayAddress(kind, ctx.defaults.hostGatewayIp),
      links: links.hosts,
    },
  );
  return { hostname, links };
}

/**
 * After `docker network connect`/`disconnect` of a running container: its files as they are
 * now. Best effort: the network change is done; a file that cannot be written is logged.
 */
export async function rewriteEtcFiles(ctx: ContainerContext, rec: ContainerRecord): Promise<void> {
  const network = rec.state.network;
  if (!network) return;
  await writeEtcFiles(ctx, rec, network, false).catch((e: unknown) => {
    ctx.log.warn({ id: rec.id, err: messageOf(e) }, 'rewriting /etc/hosts and resolv.conf failed');
  });
}

/** --dns, --dns-search, --dns-option, each else daemon.json's. */
function dnsSettings(ctx: ContainerContext, rec: ContainerRecord): DnsSettings {
  const hc = rec.hostConfig;
  return {
    servers: hc.dns.length > 0 ? hc.dns : ctx.defaults.dns,
    search: hc.dnsSearch.length > 0 ? hc.dnsSearch : ctx.defaults.dnsSearch,
    options: hc.dnsOptions.length > 0 ? hc.dnsOptions : ctx.defaults.dnsOptions,
  };
}

/**
 * /etc/hosts and resolv.conf of a bridge container: a line per network with its address on it
 * (dockerd adds one at each connect); on user-defined networks (aliases and DNS; the default
 * bridge has none, as with Docker) aardvark-dns on the gateway.
 */
export function bridgeFiles(network: NetworkState): { ips: string[]; dnsServers: string[] } {
  const ips = network.endpoints.map((e) => e.ipv4Address || e.ipv6Address).filter((a) => a !== '');
  const dnsServers = network.endpoints
    .filter((e) => e.networkName !== 'bridge' && e.gateway !== '')
    .map((e) => e.gateway);
  return { ips, dnsServers: [...new Set(dnsServers)] };
}
