/**
 * Networks the allocator must not hand out because the host already uses them: its routes and
 * its name servers (moby's netutils.InferReservedNetworks does the same). A container network
 * that shadowed the route to the office VPN or to the DNS server would cut the host off.
 */
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { parseIp, parsePrefix, type IpPrefix } from './ip-address.js';

/** Routes from /proc/net/route (IPv4): destinations other than the default route, not on `lo`. */
export function parseIpv4Routes(text: string, littleEndian = endianness() === 'LE'): IpPrefix[] {
  const out: IpPrefix[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const [iface, dest, , , , , , mask] = f;
    if (!iface || !dest || !mask || iface === 'lo') continue;
    const d = hexWord(dest, littleEndian);
    const m = hexWord(mask, littleEndian);
    if (d === undefined || m === undefined || m === 0) continue;
    const bits = m.toString(2).replace(/0+$/, '').length;
    out.push({ family: 4, addr: BigInt(d), bits });
  }
  return out;
}

function hexWord(hex: string, littleEndian: boolean): number | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  if (!littleEndian) return n;
  return (
    (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | ((n >>> 24) & 0xff)) >>> 0
  );
}

/**
 * Routes from /proc/net/ipv6_route: destinations other than the default route, link-local
 * (fe80::/10) and multicast (ff00::/8), not on `lo`.
 */
export function parseIpv6Routes(text: string): IpPrefix[] {
  const out: IpPrefix[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const [dest, len] = f;
    const iface = f[9];
    if (!dest || !len || !iface || iface === 'lo' || !/^[0-9a-f]{32}$/i.test(dest)) continue;
    const bits = parseInt(len, 16);
    if (!(bits > 0 && bits <= 128)) continue;
    const addr = BigInt(`0x${dest}`);
    const top = addr >> 112n;
    if ((top & 0xffc0n) === 0xfe80n || (top & 0xff00n) === 0xff00n) continue;
    out.push({ family: 6, addr, bits });
  }
  return out;
}

/** `nameserver` lines of a resolv.conf, as single-address prefixes. */
export function parseNameservers(text: string): IpPrefix[] {
  const out: IpPrefix[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const ip = m?.[1] ? parseIp(m[1]) : undefined;
    if (ip) out.push({ family: ip.family, addr: ip.value, bits: ip.family === 4 ? 32 : 128 });
  }
  return out;
}

export interface ReservedNetworkSources {
  readonly readFile?: (path: string) => Promise<string>;
  /** Further blocks to keep free (e.g. the rootless network namespace's own subnet). */
  readonly extra?: readonly string[];
}

/**
 * Reads the host's routes and name servers now (they change: VPNs come and go), plus `extra`.
 * A file that cannot be read contributes nothing rather than failing a network create.
 */
export async function readReservedNetworks(o: ReservedNetworkSources = {}): Promise<IpPrefix[]> {
  const read = o.readFile ?? ((p: string) => readFile(p, 'utf8'));
  const tryRead = (p: string): Promise<string> => read(p).catch(() => '');
  const [v4, v6, resolv] = await Promise.all([
    tryRead('/proc/net/route'),
    tryRead('/proc/net/ipv6_route'),
    tryRead('/etc/resolv.conf'),
  ]);
  const extra = (o.extra ?? []).map(parsePrefix).filter((p): p is IpPrefix => p !== undefined);
  return [...parseIpv4Routes(v4), ...parseIpv6Routes(v6), ...parseNameservers(resolv), ...extra];
}
