/**
 * NetworkBackend over Debian's netavark (/usr/lib/podman/netavark). netavark creates bridges in
 * the network namespace it runs in, so in rootless mode it must run in the holder's namespace
 * (ARCHITECTURE.md: bridges live behind slirp4netns, as with Rootless Docker): `enter` makes it
 * run as `nsenter -t <holder> -n -- netavark ...`. skiffd is already in the holder's user and
 * mount namespaces, where it may enter the network namespace.
 */
import { ProcessError } from '../../proc/process-error.js';
import { spawnCollect } from '../../proc/run.js';
import type { Command } from '../../proc/command.js';
import type { AttachRequest, AttachResult, NetworkBackend } from '../network-backend.js';
import {
  netavarkError,
  netavarkSetup,
  netavarkTeardown,
  type NetavarkSettings,
} from './netavark-commands.js';

export interface NetavarkBackendOptions extends NetavarkSettings {
  readonly netavark: string;
  /** Run netavark in another process's network namespace (the rootlesskit holder). */
  readonly enter?: { readonly nsenter: string; readonly pid: number };
  readonly env?: NodeJS.ProcessEnv;
}

/** The binary and argv that run `cmd`, through nsenter when asked (pure, for tests). */
export function netavarkInvocation(
  o: Pick<NetavarkBackendOptions, 'netavark' | 'enter'>,
  argv: readonly string[],
): { bin: string; argv: string[] } {
  if (!o.enter) return { bin: o.netavark, argv: [...argv] };
  return {
    bin: o.enter.nsenter,
    argv: ['-t', String(o.enter.pid), '-n', '--', o.netavark, ...argv],
  };
}

export class NetavarkBackend implements NetworkBackend {
  constructor(private readonly o: NetavarkBackendOptions) {}

  setup(req: AttachRequest, signal?: AbortSignal): Promise<AttachResult> {
    return this.run(netavarkSetup(this.o, req), signal);
  }

  teardown(req: AttachRequest, signal?: AbortSignal): Promise<void> {
    return this.run(netavarkTeardown(this.o, req), signal);
  }

  private async run<T>(cmd: Command<T>, signal?: AbortSignal): Promise<T> {
    const { bin, argv } = netavarkInvocation(this.o, cmd.argv);
    const r = await spawnCollect(bin, argv, {
      input: cmd.input,
      timeoutMs: 60_000,
      ...(signal ? { signal } : {}),
      ...(this.o.env ? { env: this.o.env } : {}),
    });
    if (r.code !== 0)
      // netavark's own message (JSON on stdout) says more than its exit status.
      throw new ProcessError(
        this.o.netavark,
        argv,
        r.code,
        r.signal,
        netavarkError(r.stdout) ?? r.stderr,
      );
    return cmd.parse(r.stdout);
  }
}
