/**
 * The per-container /etc/hostname, /etc/hosts and /etc/resolv.conf, bind-mounted into the
 * container (Docker writes them in the container's directory too). What they say depends on
 * the network: the holder's slirp4netns namespace has the container at 10.0.2.100 and a DNS
 * forwarder at 10.0.2.3; the host network uses the host's files.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { ContainerRecord } from './container-record.js';
import type { NetworkModeKind } from './network-mode.js';
import type { HostsEntry } from './legacy-links.js';

/** rootlesskit's slirp4netns defaults (--cidr 10.0.2.0/24). */
export const SLIRP_CONTAINER_IP = '10.0.2.100';
export const SLIRP_DNS = '10.0.2.3';
export const SLIRP_GATEWAY = '10.0.2.2';

export interface DnsSettings {
  readonly servers: readonly string[];
  readonly search: readonly string[];
  readonly options: readonly string[];
}

export function containerHostname(
  rec: ContainerRecord,
  hostHostname: string,
  net: NetworkModeKind,
): string {
  if (rec.config.hostname) return rec.config.hostname;
  return net === 'host' ? hostHostname : rec.id.slice(0, 12);
}

/** `--add-host name:host-gateway`: dockerd's special string for "the address of the host". */
export const HOST_GATEWAY = 'host-gateway';

export interface HostsExtras {
  /** What `host-gateway` stands for (hostGatewayAddress). */
  readonly hostGateway?: string;
  /** Legacy links and link aliases (resolve-links.ts), after the --add-host lines as dockerd. */
  readonly links?: readonly HostsEntry[];
}

/**
 * The address `host-gateway` resolves to: daemon.json's `host-gateway-ip` when set; else from
 * the holder's namespace and the bridges in it slirp4netns's gateway 10.0.2.2, which is the
 * host's 127.0.0.1 when rootlesskit runs with --disable-host-loopback=false
 * (`allow-host-loopback`) and refuses connections otherwise; on the host network the host's
 * own loopback. Like dockerd, no `host.docker.internal` unless asked for with --add-host.
 */
export function hostGatewayAddress(net: NetworkModeKind, configured?: string): string {
  if (configured) return configured;
  return net === 'host' ? '127.0.0.1' : SLIRP_GATEWAY;
}

export function hostsFile(
  hostname: string,
  domainname: string,
  net: NetworkModeKind,
  extraHosts: readonly string[],
  /**
   * The container's addresses on its bridge networks when it has its own namespace (none left
   * after a disconnect from its last network: no line, as dockerd); undefined when it has not.
   */
  ownIps?: readonly string[],
  more: HostsExtras = {},
): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  for (const h of extraHosts) {
    const i = h.indexOf(':');
    const name = h.slice(0, i);
    const ip =
      h.slice(i + 1) === HOST_GATEWAY ? (more.hostGateway ?? SLIRP_GATEWAY) : h.slice(i + 1);
    lines.push(`${ip}\t${name}`);
  }
  for (const l of more.links ?? []) lines.push(`${l.ip}\t${l.names}`);
  const fqdn = domainname ? `${hostname}.${domainname} ${hostname}` : hostname;
  if (ownIps) lines.push(...ownIps.map((ip) => `${ip}\t${fqdn}`));
  else if (net === 'holder') lines.push(`${SLIRP_CONTAINER_IP}\t${fqdn}`);
  else if (net === 'none' || net === 'host') lines.push(`127.0.1.1\t${fqdn}`);
  return `${lines.join('\n')}\n`;
}

export function parseResolvConf(text: string): DnsSettings {
  const servers: string[] = [];
  const search: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'nameserver' && rest[0]) servers.push(rest[0]);
    else if (key === 'search' || key === 'domain') search.push(...rest);
    else if (key === 'options') options.push(...rest);
  }
  return { servers, search, options };
}

/**
 * resolv.conf for the container: on a user-defined network its own DNS server (aardvark-dns on
 * the gateway, as Docker's embedded 127.0.0.11: container names must resolve); then explicit
 * --dns; otherwise the holder namespace and the bridges in it use slirp4netns's forwarder
 * (loopback resolvers of the host are unreachable from there; from a bridge it is reached
 * through the bridge's masquerade).
 */
export function resolvConf(
  host: DnsSettings,
  net: NetworkModeKind,
  explicit: DnsSettings,
  networkDns: readonly string[] = [],
): string {
  if (networkDns.length > 0) return networkResolvConf(host, explicit, networkDns);
  const servers =
    explicit.servers.length > 0 ? explicit.servers : net === 'holder' ? [SLIRP_DNS] : host.servers;
  const search = explicit.search.length > 0 ? explicit.search : host.search;
  const options = explicit.options.length > 0 ? explicit.options : host.options;
  return resolvLines(servers, search, options, []);
}

/**
 * With a network DNS server, as dockerd with its embedded one: only that server; the --dns
 * servers are its upstreams (netavark's dns_servers), named in an `# ExtServers` comment as
 * dockerd does; search and options kept; `ndots:0` unless the user set ndots above 0, so that a
 * bare container name is asked as it is before any search domain (libnetwork's rebuildDNS).
 */
function networkResolvConf(
  host: DnsSettings,
  explicit: DnsSettings,
  networkDns: readonly string[],
): string {
  const search = explicit.search.length > 0 ? explicit.search : host.search;
  const options = [...(explicit.options.length > 0 ? explicit.options : host.options)];
  const userNdots = options.some((o) => /^ndots:[1-9]\d*$/.test(o));
  if (!userNdots && !options.includes('ndots:0')) options.push('ndots:0');
  const comments =
    explicit.servers.length > 0 ? [`# ExtServers: [${explicit.servers.join(' ')}]`] : [];
  return resolvLines(networkDns, search, options, comments);
}

function resolvLines(
  servers: readonly string[],
  search: readonly string[],
  options: readonly string[],
  comments: readonly string[],
): string {
  const lines = [
    '# Generated by skiff',
    ...servers.map((s) => `nameserver ${s}`),
    ...(search.length > 0 ? [`search ${search.join(' ')}`] : []),
    ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
    ...(comments.length > 0 ? ['', ...comments] : []),
  ];
  return `${lines.join('\n')}\n`;
}

export async function writeContainerFiles(
  rec: ContainerRecord,
  hostname: string,
  net: NetworkModeKind,
  dns: DnsSettings,
  bridge?: { readonly ips: readonly string[]; readonly dnsServers: readonly string[] },
  extras: HostsExtras = {},
): Promise<void> {
  const hostResolv = parseResolvConf(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''));
  await writeFile(rec.hostnamePath, `${hostname}\n`);
  await writeFile(
    rec.hostsPath,
    hostsFile(hostname, rec.config.domainname, net, rec.hostConfig.extraHosts, bridge?.ips, extras),
  );
  await writeFile(rec.resolvConfPath, resolvConf(hostResolv, net, dns, bridge?.dnsServers));
}
