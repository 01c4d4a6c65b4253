/**
 * DNAT rules in the rootlesskit holder's network namespace, in a chain of skiff's own
 * (SKIFF-HOSTPORTS, jumped to from nat PREROUTING). Used with rootlesskit's slirp4netns port
 * driver: slirp4netns delivers a published port's packets to the holder's own address with the
 * client's source address intact, and this rule sends them on to the container, so the
 * container sees who connected (the builtin driver proxies, and it sees its bridge's gateway).
 * Each rule carries a comment naming its rootlesskit port id, which is how it is found again,
 * also after a skiffd restart.
 */
import { ProcessError } from '../../proc/process-error.js';
import { spawnCollect } from '../../proc/run.js';

export const HOSTPORT_CHAIN = 'SKIFF-HOSTPORTS';

export interface HolderNatOptions {
  readonly nsenter: string;
  readonly holderPid: number;
  /** With a PATH that has /usr/sbin, where iptables lives on Debian. */
  readonly env: NodeJS.ProcessEnv;
}

export interface DnatRule {
  readonly proto: 'tcp' | 'udp' | 'sctp';
  /** The holder's own address, where slirp4netns delivers (rootlesskit's childIP). */
  readonly listenIp: string;
  readonly listenPort: number;
  readonly toIp: string;
  readonly toPort: number;
  /** The rootlesskit port id the rule belongs to. */
  readonly portId: number;
}

const tag = (portId: number): string => `skiff-port-${String(portId)}`;

/** iptables arguments of a rule, without the -A/-D verb (pure, for tests). */
export function dnatRuleArgs(r: DnatRule): string[] {
  const to = r.toIp.includes(':')
    ? `[${r.toIp}]:${String(r.toPort)}`
    : `${r.toIp}:${String(r.toPort)}`;
  return [
    '-p',
    r.proto,
    '-d',
    r.listenIp,
    '--dport',
    String(r.listenPort),
    '-m',
    'comment',
    '--comment',
    tag(r.portId),
    '-j',
    'DNAT',
    '--to-destination',
    to,
  ];
}

/**
 * The rules of `iptables -S SKIFF-HOSTPORTS` that belong to a port id, as argument lists for
 * `-D` (pure, for tests). iptables prints the comment quoted only when it has spaces; ours
 * has none.
 */
export function rulesTagged(listing: string, portId: number): string[][] {
  const out: string[][] = [];
  const want = tag(portId);
  for (const line of listing.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== '-A' || words[1] !== HOSTPORT_CHAIN) continue;
    const i = words.indexOf('--comment');
    if (i < 0 || words[i + 1]?.replace(/^"|"$/g, '') !== want) continue;
    out.push(words.slice(2));
  }
  return out;
}

export class HolderNat {
  private chain?: Promise<void>;

  constructor(private readonly o: HolderNatOptions) {}

  async add(r: DnatRule): Promise<void> {
    await this.ensureChain();
    await this.iptables(['-A', HOSTPORT_CHAIN, ...dnatRuleArgs(r)]);
  }

  /** Removes every rule of a port id; none is not an error. */
  async remove(portId: number): Promise<void> {
    await this.ensureChain();
    const listing = await this.iptables(['-S', HOSTPORT_CHAIN]);
    for (const args of rulesTagged(listing, portId))
      await this.iptables(['-D', HOSTPORT_CHAIN, ...args]);
  }

  /** The chain and PREROUTING's jump to it, made once per holder (kept if already there). */
  private ensureChain(): Promise<void> {
    this.chain ??= (async () => {
      const listing = await this.iptables(['-S']);
      if (!listing.split('\n').some((l) => l.trim() === `-N ${HOSTPORT_CHAIN}`))
        await this.iptables(['-N', HOSTPORT_CHAIN]);
      if (!listing.split('\n').some((l) => l.trim() === `-A PREROUTING -j ${HOSTPORT_CHAIN}`))
        await this.iptables(['-I', 'PREROUTING', '1', '-j', HOSTPORT_CHAIN]);
    })();
    const p = this.chain;
    p.catch(() => {
      if (this.chain === p) delete this.chain; // try again on the next port
    });
    return p;
  }

  private async iptables(args: readonly string[]): Promise<string> {
    const argv = [
      '-t',
      String(this.o.holderPid),
      '-n',
      '--',
      'iptables',
      '-w',
      '-t',
      'nat',
      ...args,
    ];
    const r = await spawnCollect(this.o.nsenter, argv, { env: this.o.env, timeoutMs: 30_000 });
    if (r.code !== 0) throw new ProcessError('iptables', argv, r.code, r.signal, r.stderr);
    return r.stdout;
  }
}
