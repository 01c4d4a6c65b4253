/**
 * `skiff doctor`: the troubleshooting checklist of Docker's rootless docs (seed 004) done by the
 * machine. Pure functions over gathered facts (STYLE R8); cli/doctor-command.ts gathers them.
 */
import { fail, ok, warn, type CheckResult } from './check-result.js';
import { pingRangeCheck, privilegedPortsCheck, type NetFacts } from './network-checks.js';

export interface DoctorFacts {
  readonly userName: string;
  readonly uid: number;
  /** Where the client points: DOCKER_HOST, else the current context's endpoint. */
  readonly endpoint: { readonly source: string; readonly host: string } | undefined;
  readonly expectedSocket: string;
  readonly daemon: {
    readonly answers: boolean;
    readonly rootless?: boolean;
    readonly driver?: string;
    readonly error?: string;
  };
  readonly socket: {
    readonly exists: boolean;
    readonly uid?: number;
    readonly mode?: number;
    readonly isSocket?: boolean;
  };
  readonly unprivilegedPortStart?: number;
  readonly pingGroupRange?: readonly [number, number];
  readonly gids: readonly number[];
  /** The rootlesskit binary and whether it has cap_net_bind_service (getcap). */
  readonly rootlesskit?: NetFacts['rootlesskit'];
  /** The user's primary gid (a container's gid 0) and /etc/subgid ranges (its other gids). */
  readonly gid?: number;
  readonly subGids?: NetFacts['subGids'];
  readonly lingering: boolean | undefined;
  readonly systemd: boolean;
  readonly cgroup: { readonly layout: string; readonly delegated: readonly string[] };
  /** Whether rootlesskit is (to be) started with the host's loopback reachable, and why. */
  readonly hostLoopback?: {
    readonly allowed: boolean;
    /** `daemon.json`, `SKIFF_ROOTLESSKIT_DISABLE_HOST_LOOPBACK` or `default`. */
    readonly source: string;
    /** rootlesskit's --net. */
    readonly net: string;
  };
}

export function endpointCheck(f: DoctorFacts): CheckResult {
  const title = 'the docker client points at skiff';
  const want = `unix://${f.expectedSocket}`;
  if (!f.endpoint)
    return fail(
      'endpoint',
      title,
      'DOCKER_HOST is unset and the current docker context is "default" (/var/run/docker.sock, the rootful daemon)',
      [
        `export DOCKER_HOST=${want}`,
        'or: skiff setup install (creates and selects the "rootless" context)',
      ],
    );
  if (f.endpoint.host !== want)
    return warn('endpoint', title, `${f.endpoint.source} is ${f.endpoint.host}, not ${want}`, [
      `export DOCKER_HOST=${want}`,
    ]);
  return ok('endpoint', title, `${f.endpoint.source}=${f.endpoint.host}`);
}

export function daemonCheck(f: DoctorFacts): CheckResult {
  const title = 'skiffd answers on the socket';
  if (!f.daemon.answers)
    return fail('daemon', title, f.daemon.error ?? 'no answer', [
      'skiff daemon   (or: systemctl --user start skiff)',
    ]);
  if (f.daemon.rootless === false)
    return warn(
      'daemon',
      title,
      'a daemon answers but /info has no name=rootless: it is not a rootless daemon',
    );
  return ok('daemon', title, `answers; rootless; storage driver ${f.daemon.driver ?? '?'}`);
}

export function socketCheck(f: DoctorFacts): CheckResult {
  const title = `socket ${f.expectedSocket} owned by ${f.userName}, mode 0600`;
  if (!f.socket.exists)
    return fail('socket', title, 'the socket does not exist (the daemon is not running)', [
      'skiff daemon',
    ]);
  if (f.socket.isSocket === false)
    return fail('socket', title, 'the path exists but is not a socket', [
      `rm ${f.expectedSocket} && skiff daemon`,
    ]);
  if (f.socket.uid !== f.uid)
    return fail('socket', title, `owned by uid ${f.socket.uid ?? '?'}`, [
      `ls -l ${f.expectedSocket}; stop whatever created it`,
    ]);
  if (((f.socket.mode ?? 0) & 0o777) !== 0o600)
    return warn(
      'socket',
      title,
      `mode ${((f.socket.mode ?? 0) & 0o777).toString(8)}: other users may reach your daemon`,
      [`chmod 600 ${f.expectedSocket}`],
    );
  return ok('socket', title, 'ok');
}

export function portsCheck(f: DoctorFacts): CheckResult {
  return privilegedPortsCheck(netFacts(f));
}

export function pingCheck(f: DoctorFacts): CheckResult {
  return pingRangeCheck(netFacts(f));
}

function netFacts(f: DoctorFacts): NetFacts {
  return {
    ...(f.unprivilegedPortStart !== undefined
      ? { unprivilegedPortStart: f.unprivilegedPortStart }
      : {}),
    ...(f.rootlesskit ? { rootlesskit: f.rootlesskit } : {}),
    ...(f.pingGroupRange ? { pingGroupRange: f.pingGroupRange } : {}),
    gid: f.gid ?? f.gids[0] ?? 0,
    subGids: f.subGids ?? [],
  };
}

export function lingerCheck(f: DoctorFacts): CheckResult {
  const title = 'the daemon keeps running after logout (lingering)';
  if (!f.systemd)
    return ok(
      'linger',
      title,
      'no systemd user session here: the daemon runs as long as its process',
    );
  if (f.lingering) return ok('linger', title, `lingering enabled for ${f.userName}`);
  return warn(
    'linger',
    title,
    'lingering is off: systemd stops your user services when you log out',
    [`sudo loginctl enable-linger ${f.userName}`],
  );
}

export function cgroupCheck(f: DoctorFacts): CheckResult {
  const title = 'cgroup v2 delegation (resource limits, pause)';
  const want = ['cpu', 'memory', 'pids'];
  if (f.cgroup.layout !== 'v2')
    return warn(
      'cgroup-delegation',
      title,
      `cgroup layout is ${f.cgroup.layout}: --memory, --cpus, --pids-limit are refused with a warning and pause is unavailable`,
      [
        'boot with cgroup v2: add systemd.unified_cgroup_hierarchy=1 to the kernel command line (e.g. GRUB_CMDLINE_LINUX) and reboot',
      ],
    );
  const missing = want.filter((c) => !f.cgroup.delegated.includes(c));
  if (missing.length === 0)
    return ok('cgroup-delegation', title, `delegated: ${f.cgroup.delegated.join(' ')}`);
  return warn('cgroup-delegation', title, `not delegated: ${missing.join(' ')}`, [
    "sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\\nDelegate=cpu cpuset io memory pids\\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload",
  ]);
}

/**
 * Containers to the host: `--add-host h:host-gateway` is slirp4netns's 10.0.2.2, which is the
 * host's 127.0.0.1 only when rootlesskit runs without --disable-host-loopback. Closed by default,
 * as Rootless Docker: a container could otherwise reach every service bound to the host's
 * loopback (databases, admin consoles, ...). Either way is a choice: say which one is made.
 */
export function hostLoopbackCheck(f: DoctorFacts): CheckResult | undefined {
  const h = f.hostLoopback;
  if (!h) return undefined;
  const title = "containers reach the host's 127.0.0.1 (host-gateway, allow-host-loopback)";
  if (h.net === 'host')
    return ok('host-loopback', title, 'rootlesskit --net=host: containers share the host network');
  const applies =
    'takes effect when rootlesskit starts again (restart skiff daemon; with live-restore stop it first)';
  if (h.allowed)
    return ok(
      'host-loopback',
      title,
      `open (${h.source}): host-gateway / 10.0.2.2 reaches every service on the host's 127.0.0.1; to close it remove "allow-host-loopback" from daemon.json (${applies})`,
    );
  return ok(
    'host-loopback',
    title,
    `closed (${h.source}, as Rootless Docker): host-gateway / 10.0.2.2 is unreachable; containers reach host services only on the host's other addresses. To open it: "allow-host-loopback": true in ~/.config/skiff/daemon.json (${applies}); then --add-host host.docker.internal:host-gateway reaches the host's 127.0.0.1`,
  );
}

export function doctorChecks(f: DoctorFacts): CheckResult[] {
  return [
    endpointCheck(f),
    socketCheck(f),
    daemonCheck(f),
    portsCheck(f),
    pingCheck(f),
    lingerCheck(f),
    cgroupCheck(f),
    ...[hostLoopbackCheck(f)].filter((c): c is CheckResult => c !== undefined),
  ];
}
