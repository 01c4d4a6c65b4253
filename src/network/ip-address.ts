/**
 * IPv4 and IPv6 addresses and prefixes as numbers (bigint), so that IPAM can compare, mask and
 * step through them. Parsing is as strict as Go's net/netip (which dockerd uses): no leading
 * zeros in IPv4 octets, no zones, prefix lengths within the family's width.
 */
import { isIPv4, isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** An address with a prefix length; `addr` may have host bits set (see `isMasked`). */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly addr: bigint;
  readonly bits: number;
}

export const familyWidth = (f: IpFamily): number => (f === 4 ? 32 : 128);

export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return parseIpv4(text);
  if (isIPv6(text) && !text.includes('%')) return parseIpv6(text);
  return undefined;
}

function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split('.');
  let value = 0n;
  for (const p of parts) {
    // 010.0.0.1 is octal to some parsers and decimal to others: refuse it, as netip does.
    if (p.length > 1 && p.startsWith('0')) return undefined;
    value = (value << 8n) | BigInt(Number(p));
  }
  return { family: 4, value };
}

function parseIpv6(text: string): IpAddress | undefined {
  let head = text;
  let tailV4: bigint | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return undefined;
    tailV4 = v4.value;
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const missing = 8 - l.length - r.length;
  const all = right === undefined ? l : [...l, ...Array<string>(missing).fill('0'), ...r];
  if (all.length !== 8) return undefined;
  let value = 0n;
  for (const g of all) value = (value << 16n) | BigInt(parseInt(g, 16));
  if (tailV4 !== undefined) value = (value & ~0xffffffffn) | tailV4;
  return { family: 6, value };
}

/** RFC 5952 text: lowercase, the longest run of two or more zero groups as `::`. */
export function formatIp(a: IpAddress): string {
  if (a.family === 4)
    return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((a.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

export function parsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(text.slice(0, slash));
  const bitsText = text.slice(slash + 1);
  if (!ip || !/^(0|[1-9]\d{0,2})$/.test(bitsText)) return undefined;
  const bits = Number(bitsText);
  if (bits > familyWidth(ip.family)) return undefined;
  return { family: ip.family, addr: ip.value, bits };
}

export function formatPrefix(p: IpPrefix): string {
  return `${formatIp({ family: p.family, value: p.addr })}/${p.bits}`;
}

function hostMask(p: Pick<IpPrefix, 'family' | 'bits'>): bigint {
  return (1n << BigInt(familyWidth(p.family) - p.bits)) - 1n;
}

/** The prefix with its host bits cleared (172.20.1.0/16 → 172.20.0.0/16). */
export function masked(p: IpPrefix): IpPrefix {
  return { ...p, addr: p.addr & ~hostMask(p) };
}

export function isMasked(p: IpPrefix): boolean {
  return (p.addr & hostMask(p)) === 0n;
}

export function firstAddress(p: IpPrefix): bigint {
  return p.addr & ~hostMask(p);
}

export function lastAddress(p: IpPrefix): bigint {
  return firstAddress(p) | hostMask(p);
}

export function prefixContains(p: IpPrefix, a: IpAddress): boolean {
  return p.family === a.family && a.value >= firstAddress(p) && a.value <= lastAddress(p);
}

export function prefixesOverlap(a: IpPrefix, b: IpPrefix): boolean {
  return (
    a.family === b.family && firstAddress(a) <= lastAddress(b) && firstAddress(b) <= lastAddress(a)
  );
}

/** `inner` lies entirely inside `outer`. */
export function prefixCovers(outer: IpPrefix, inner: IpPrefix): boolean {
  return (
    outer.family === inner.family &&
    outer.bits <= inner.bits &&
    firstAddress(inner) >= firstAddress(outer) &&
    lastAddress(inner) <= lastAddress(outer)
  );
}

export function ipText(family: IpFamily, value: bigint): string {
  return formatIp({ family, value });
}
