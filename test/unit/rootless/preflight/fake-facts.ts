/** A fake machine for the preflight checks: files, stats and binaries as the test says. */
import type { FileFacts, SystemFacts } from '../../../../src/rootless/preflight/system-facts.js';
import { parseOsRelease } from '../../../../src/rootless/preflight/distro.js';

export interface FakeMachine {
  readonly user?: { name: string; uid: number; gid: number; home: string };
  readonly env?: Record<string, string | undefined>;
  readonly osRelease?: string;
  readonly files?: Record<string, string>;
  readonly stats?: Record<string, FileFacts>;
  readonly binaries?: readonly string[];
  /** `getcap` output per path. */
  readonly capabilities?: Record<string, string>;
}

export function fakeFacts(m: FakeMachine = {}): SystemFacts {
  return {
    user: m.user ?? { name: 'alice', uid: 1000, gid: 1000, home: '/home/alice' },
    env: m.env ?? {},
    distro: parseOsRelease(m.osRelease ?? 'ID=debian\nVERSION_ID="12"'),
    readFile: (p) => Promise.resolve(m.files?.[p]),
    stat: (p) => Promise.resolve(m.stats?.[p]),
    findBinary: (name) =>
      (m.binaries ?? ['newuidmap', 'newgidmap']).includes(name) ? `/usr/bin/${name}` : undefined,
    fileCapabilities: (p) => Promise.resolve(m.capabilities?.[p]),
  };
}
