/**
 * Can the rootlesskit parent bind host ports below 1024? It can when the host's
 * net.ipv4.ip_unprivileged_port_start allows it (read at each call: a `sysctl -w` takes effect at
 * once) or when the running rootlesskit holds CAP_NET_BIND_SERVICE (the parent of the holder;
 * `setcap` on the binary only counts after a daemon restart, so the live process is asked).
 */
import { readFile } from 'node:fs/promises';
import type { LowPortFacts } from '../../daemon/containers/privileged-ports.js';

const CAP_NET_BIND_SERVICE = 10n;

/** A `/proc/<pid>/status` field, or undefined. */
export function statusField(status: string, name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status);
  return m?.[1];
}

/** CapEff (hex) has CAP_NET_BIND_SERVICE. */
export function hasNetBindService(status: string): boolean {
  const eff = statusField(status, 'CapEff');
  if (!eff || !/^[0-9a-f]+$/i.test(eff)) return false;
  return ((BigInt(`0x${eff}`) >> CAP_NET_BIND_SERVICE) & 1n) === 1n;
}

/** The unprivileged port start; 1024 (the kernel default) when the file cannot be read. */
export function parsePortStart(text: string | undefined): number {
  const n = Number(text?.trim());
  return text !== undefined && Number.isInteger(n) && n >= 0 ? n : 1024;
}

const read = (p: string): Promise<string | undefined> => readFile(p, 'utf8').catch(() => undefined);

/** skiffd runs in the host's network namespace, so /proc/sys/net is the host's. */
export async function unprivilegedPortStart(): Promise<number> {
  return parsePortStart(await read('/proc/sys/net/ipv4/ip_unprivileged_port_start'));
}

export async function lowPortFacts(holderPid: number): Promise<LowPortFacts> {
  const start = await unprivilegedPortStart();
  if (start === 0) return { unprivilegedPortStart: 0, canBindLow: true };
  const holder = await read(`/proc/${holderPid}/status`);
  const parent = holder ? statusField(holder, 'PPid') : undefined;
  const status = parent ? await read(`/proc/${parent}/status`) : undefined;
  return { unprivilegedPortStart: start, canBindLow: status ? hasNetBindService(status) : false };
}
