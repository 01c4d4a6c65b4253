/**
 * `netavark setup` and `teardown` as data (STYLE R5): argv, the JSON on stdin, the parser of
 * what netavark prints. Pure; the runner is in netavark-backend.ts.
 */
import { InternalError } from '../../errors.js';
import type { Command } from '../../proc/command.js';
import type { AttachRequest, AttachResult, AttachedInterface } from '../network-backend.js';
import { netavarkOptions } from './netavark-config.js';

export interface NetavarkSettings {
  /** Where aardvark-dns keeps its per-network config (a tmpfs in Podman: under the exec root). */
  readonly configDir: string;
  /** Tells netavark it runs in a user namespace (no sysctls it cannot set). */
  readonly rootless: boolean;
  readonly aardvarkDns?: string;
}

function globalArgs(s: NetavarkSettings): string[] {
  return [
    '--config',
    s.configDir,
    '--rootless',
    String(s.rootless),
    ...(s.aardvarkDns ? ['--aardvark-binary', s.aardvarkDns] : []),
  ];
}

export function netavarkSetup(s: NetavarkSettings, req: AttachRequest): Command<AttachResult> {
  return {
    argv: [...globalArgs(s), 'setup', req.netnsPath],
    input: JSON.stringify(netavarkOptions(req)),
    parse: (stdout) => parseSetupOutput(stdout),
  };
}

export function netavarkTeardown(s: NetavarkSettings, req: AttachRequest): Command<void> {
  return {
    argv: [...globalArgs(s), 'teardown', req.netnsPath],
    input: JSON.stringify(netavarkOptions(req)),
    parse: () => undefined,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

/**
 * netavark's answer to `setup`: per network name a StatusBlock with the interfaces it made and
 * the DNS servers (aardvark) to put into resolv.conf.
 */
export function parseSetupOutput(stdout: string): AttachResult {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new InternalError(`netavark: unreadable setup output: ${stdout.slice(0, 200)}`);
  }
  if (!isRecord(doc)) throw new InternalError('netavark: setup output is not an object');
  const networks: Record<string, Record<string, AttachedInterface>> = {};
  const dnsServers: string[] = [];
  const dnsSearch: string[] = [];
  for (const [name, block] of Object.entries(doc)) {
    if (!isRecord(block)) continue;
    for (const s of strings(block['dns_server_ips']))
      if (!dnsServers.includes(s)) dnsServers.push(s);
    for (const s of strings(block['dns_search_domains']))
      if (!dnsSearch.includes(s)) dnsSearch.push(s);
    const ifaces: Record<string, AttachedInterface> = {};
    const raw = block['interfaces'];
    for (const [ifname, iface] of Object.entries(isRecord(raw) ? raw : {})) {
      if (!isRecord(iface)) continue;
      const subnets = Array.isArray(iface['subnets']) ? (iface['subnets'] as unknown[]) : [];
      ifaces[ifname] = {
        macAddress: typeof iface['mac_address'] === 'string' ? iface['mac_address'] : '',
        addresses: subnets.filter(isRecord).map((a) => ({
          cidr: typeof a['ipnet'] === 'string' ? a['ipnet'] : '',
          ...(typeof a['gateway'] === 'string' ? { gateway: a['gateway'] } : {}),
        })),
      };
    }
    networks[name] = ifaces;
  }
  return { networks, dnsServers, dnsSearch };
}

/** netavark reports failures as `{"error": "..."}` on stdout; the message, if that is what it printed. */
export function netavarkError(stdout: string): string | undefined {
  try {
    const doc: unknown = JSON.parse(stdout);
    return isRecord(doc) && typeof doc['error'] === 'string' ? doc['error'] : undefined;
  } catch {
    return undefined;
  }
}
