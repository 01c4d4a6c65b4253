/**
 * The upstream resolvers of a container's network DNS server. Docker's embedded DNS
 * (127.0.0.11) forwards what it does not know to the container's `--dns` servers (else the
 * daemon's `dns`, else the host's); aardvark-dns does the same with netavark's per-container
 * `dns_servers`, and uses its own resolv.conf when there are none.
 */
import { parseIp } from '../../network/ip-address.js';
import type { ContainerRecord } from './container-record.js';

/**
 * `--dns`, else daemon.json's `dns`, without loopback addresses: aardvark runs in the rootless
 * network namespace, whose loopback is not the host's, so a loopback server there answers
 * nothing; without any, aardvark falls back to the namespace's resolv.conf (slirp4netns's DNS).
 */
export function upstreamDns(
  rec: Pick<ContainerRecord, 'hostConfig'>,
  daemonDns: readonly string[] = [],
): string[] {
  const asked = rec.hostConfig.dns.length > 0 ? rec.hostConfig.dns : daemonDns;
  return asked.filter((s) => !isLoopback(s));
}

function isLoopback(address: string): boolean {
  const ip = parseIp(address);
  if (!ip) return true; // not an address netavark could parse: leave it out rather than fail
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}
