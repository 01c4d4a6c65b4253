/**
 * The two host settings that decide what containers may do on the network (seeds 000/001
 * "Exposing privileged ports", "Routing ping packets"): can `-p 80:80` be published, and does
 * `ping` work. Pure checks over gathered facts, shared by `skiff doctor` and `skiff setup check`.
 */
import { ok, warn, type CheckResult } from './check-result.js';
import { sysctlFix } from './distro.js';
import { parseSubidFile, type SubidRange } from './subid.js';
import type { SystemFacts } from './system-facts.js';

export interface NetFacts {
  readonly unprivilegedPortStart?: number;
  /** The rootlesskit binary and whether its file capabilities give it CAP_NET_BIND_SERVICE. */
  readonly rootlesskit?: { readonly path: string; readonly capNetBind: boolean };
  readonly pingGroupRange?: readonly [number, number];
  /** The user's primary gid: a container's gid 0 maps to it. */
  readonly gid: number;
  /** The user's /etc/subgid ranges: a container's other gids map to them. */
  readonly subGids: readonly SubidRange[];
}

const PORT_TITLE = 'publishing ports below 1024 (net.ipv4.ip_unprivileged_port_start)';
const PING_TITLE = 'ping in containers (net.ipv4.ping_group_range)';
const MAX_GID = 2147483647;
// Measured: a bridge container has its own network namespace where its root holds CAP_NET_RAW,
// so ping works there whatever the host says; --network host uses the host's namespace, where
// only an ICMP socket allowed by this range works (raw sockets need the host's CAP_NET_RAW).
const PING_FAILS =
  'ping fails in --network host containers (bridge containers ping as root with CAP_NET_RAW)';

/** `getcap` output ("/usr/bin/rootlesskit cap_net_bind_service=ep") grants the effective bit. */
export function grantsNetBindService(getcapOutput: string): boolean {
  for (const clause of getcapOutput.trim().split(/\s+/).slice(1)) {
    const m = /^([a-z_,]*)([=+])([a-z]*)$/.exec(clause.toLowerCase());
    if (!m) continue;
    const names = (m[1] ?? '').split(',');
    const all = names.includes('all') || (names.length === 1 && names[0] === '');
    if ((all || names.includes('cap_net_bind_service')) && (m[3] ?? '').includes('e')) return true;
  }
  return false;
}

export function privilegedPortsCheck(f: NetFacts): CheckResult {
  const id = 'unprivileged-port-start';
  const start = f.unprivilegedPortStart;
  if (start === undefined) return warn(id, PORT_TITLE, 'unknown');
  if (start === 0)
    return ok(id, PORT_TITLE, 'net.ipv4.ip_unprivileged_port_start=0: any port can be published');
  if (f.rootlesskit?.capNetBind)
    return ok(
      id,
      PORT_TITLE,
      `${f.rootlesskit.path} has cap_net_bind_service: any port can be published (net.ipv4.ip_unprivileged_port_start=${start})`,
    );
  return warn(
    id,
    PORT_TITLE,
    `ports below ${start} cannot be published (docker run -p 80:80 is refused); higher ports work`,
    [
      ...sysctlFix('net.ipv4.ip_unprivileged_port_start', '0'),
      `or: sudo setcap cap_net_bind_service=ep ${f.rootlesskit?.path ?? '$(which rootlesskit)'} && restart the daemon`,
    ],
  );
}

/** The host gids a container's processes run as: the user's gid and the subordinate ones. */
function containerGidRanges(f: NetFacts): [number, number][] {
  return [
    [f.gid, f.gid],
    ...f.subGids.map((r): [number, number] => [r.start, r.start + r.count - 1]),
  ];
}

export function pingRangeCheck(f: NetFacts): CheckResult {
  const id = 'ping-group-range';
  const r = f.pingGroupRange;
  if (!r) return warn(id, PING_TITLE, 'unknown');
  const fix = sysctlFix('net.ipv4.ping_group_range', `0 ${MAX_GID}`);
  if (r[0] === 0 && r[1] >= MAX_GID) return ok(id, PING_TITLE, `${r[0]} ${r[1]}`);
  const outside = containerGidRanges(f).filter(([lo, hi]) => lo < r[0] || hi > r[1]);
  if (outside.length === 0)
    return ok(id, PING_TITLE, `${r[0]} ${r[1]}: covers your gid and subordinate gids`);
  const list = outside.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(', ');
  return warn(
    id,
    PING_TITLE,
    r[0] > r[1]
      ? `${r[0]} ${r[1]}: nobody may open ping sockets; ${PING_FAILS}`
      : `${r[0]} ${r[1]}: does not cover the gids containers run as (${list}); ${PING_FAILS}`,
    fix,
  );
}

export async function gatherNetFacts(sys: SystemFacts): Promise<NetFacts> {
  const start = (await sys.readFile('/proc/sys/net/ipv4/ip_unprivileged_port_start'))?.trim();
  const ping = (await sys.readFile('/proc/sys/net/ipv4/ping_group_range'))
    ?.trim()
    .split(/\s+/)
    .map(Number);
  const rootlesskit = sys.findBinary('rootlesskit');
  const caps = rootlesskit ? await sys.fileCapabilities?.(rootlesskit) : undefined;
  return {
    ...(start !== undefined && /^\d+$/.test(start) ? { unprivilegedPortStart: Number(start) } : {}),
    ...(rootlesskit
      ? { rootlesskit: { path: rootlesskit, capNetBind: grantsNetBindService(caps ?? '') } }
      : {}),
    ...(ping?.length === 2 && ping.every(Number.isInteger)
      ? { pingGroupRange: [ping[0] ?? 1, ping[1] ?? 0] as const }
      : {}),
    gid: sys.user.gid,
    subGids: parseSubidFile((await sys.readFile('/etc/subgid')) ?? '', sys.user),
  };
}

export async function networkChecks(sys: SystemFacts): Promise<CheckResult[]> {
  const f = await gatherNetFacts(sys);
  return [privilegedPortsCheck(f), pingRangeCheck(f)];
}
