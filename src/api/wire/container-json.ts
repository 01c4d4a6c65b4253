/** Docker's JSON for container inspect (ContainerInspectResponse) and list (ContainerSummary). */
import type { ContainerRecord, ContainerState } from '../../daemon/containers/container-record.js';
import type { ContainerConfig } from '../../daemon/containers/container-config.js';
import { SLIRP_CONTAINER_IP, SLIRP_GATEWAY } from '../../daemon/containers/container-files.js';
import { networkModeKind } from '../../daemon/containers/network-mode.js';
import { hostConfigJson } from './host-config-json.js';
import { humanDuration } from './human-duration.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface InspectExtras {
  readonly execIds: readonly string[];
  readonly graphDriver: { name: string; data: Record<string, string> };
  readonly sizeRw?: number;
  readonly sizeRootFs?: number;
  readonly defaultNetworkName: string;
}

/** `macAddress`: the MAC asked for on the primary network (API ≥ 1.44 sends it there). */
export function configJson(c: ContainerConfig, macAddress?: string): Record<string, unknown> {
  return {
    Hostname: c.hostname,
    Domainname: c.domainname,
    User: c.user,
    AttachStdin: c.attachStdin,
    AttachStdout: c.attachStdout,
    AttachStderr: c.attachStderr,
    ...(c.exposedPorts.length > 0
      ? { ExposedPorts: Object.fromEntries(c.exposedPorts.map((p) => [p, {}])) }
      : {}),
    Tty: c.tty,
    OpenStdin: c.openStdin,
    StdinOnce: c.stdinOnce,
    Env: c.env,
    Cmd: c.cmd.length > 0 ? c.cmd : null,
    ...(c.healthcheck
      ? {
          Healthcheck: {
            Test: c.healthcheck.test,
            Interval: c.healthcheck.interval,
            Timeout: c.healthcheck.timeout,
            StartPeriod: c.healthcheck.startPeriod,
            StartInterval: c.healthcheck.startInterval,
            Retries: c.healthcheck.retries,
          },
        }
      : {}),
    Image: c.image,
    Volumes: c.volumes.length > 0 ? Object.fromEntries(c.volumes.map((v) => [v, {}])) : null,
    WorkingDir: c.workingDir,
    Entrypoint: c.entrypoint.length > 0 ? c.entrypoint : null,
    OnBuild: null,
    Labels: c.labels,
    ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    ...(c.stopTimeout !== undefined ? { StopTimeout: c.stopTimeout } : {}),
    ...(c.shell ? { Shell: c.shell } : {}),
    ...((c.macAddress ?? macAddress) ? { MacAddress: c.macAddress ?? macAddress } : {}),
  };
}

export function stateJson(s: ContainerState): Record<string, unknown> {
  return {
    Status: s.status,
    Running: s.status === 'running' || s.status === 'paused',
    Paused: s.status === 'paused',
    Restarting: s.status === 'restarting',
    OOMKilled: s.oomKilled,
    Dead: s.status === 'dead',
    Pid: s.pid,
    ExitCode: s.exitCode,
    Error: s.error,
    StartedAt: s.startedAt,
    FinishedAt: s.finishedAt,
    ...(s.health
      ? {
          Health: {
            Status: s.health.status,
            FailingStreak: s.health.failingStreak,
            Log: s.health.log.map((l) => ({
              Start: l.start,
              End: l.end,
              ExitCode: l.exitCode,
              Output: l.output,
            })),
          },
        }
      : {}),
  };
}

export function networkSettingsJson(
  rec: ContainerRecord,
  defaultNetworkName: string,
): Record<string, unknown> {
  const net = networkModeKind(rec.hostConfig.networkMode).kind;
  const running = rec.state.status === 'running' || rec.state.status === 'paused';
  if (net === 'holder' && Object.values(rec.endpoints).some((e) => e.networkId !== undefined))
    return bridgeSettingsJson(rec, running);
  const name =
    rec.hostConfig.networkMode === 'default' ? defaultNetworkName : rec.hostConfig.networkMode;
  const ip = net === 'holder' && running ? SLIRP_CONTAINER_IP : '';
  const gw = net === 'holder' && running ? SLIRP_GATEWAY : '';
  const endpoint = {
    IPAMConfig: null,
    Links: null,
    Aliases: null,
    MacAddress: '',
    NetworkID: name,
    EndpointID: running ? rec.id : '',
    Gateway: gw,
    IPAddress: ip,
    IPPrefixLen: ip ? 24 : 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    DriverOpts: null,
    DNSNames: null,
  };
  return {
    Bridge: '',
    SandboxID: running ? rec.id : '',
    SandboxKey: '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portsJson(rec, running),
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: running ? rec.id : '',
    Gateway: gw,
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: ip,
    IPPrefixLen: ip ? 24 : 0,
    IPv6Gateway: '',
    MacAddress: '',
    Networks: { [name]: endpoint },
  };
}

/**
 * A container on bridge networks (its own namespace): one entry per network it is connected
 * to, with what was set up while it runs; the top-level fields are the default bridge's.
 */
function bridgeSettingsJson(rec: ContainerRecord, running: boolean): Record<string, unknown> {
  const live = running ? (rec.state.network?.endpoints ?? []) : [];
  const networks: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(rec.endpoints)) {
    const ep = live.find((x) => x.networkId === e.networkId);
    const ipam =
      e.ipv4Address || e.ipv6Address
        ? {
            ...(e.ipv4Address ? { IPv4Address: e.ipv4Address } : {}),
            ...(e.ipv6Address ? { IPv6Address: e.ipv6Address } : {}),
          }
        : null;
    networks[name] = {
      IPAMConfig: ipam,
      Links: e.links.length > 0 ? e.links : null,
      Aliases: e.aliases.length > 0 ? e.aliases : null,
      MacAddress: ep?.macAddress ?? '',
      DriverOpts: null,
      GwPriority: 0,
      NetworkID: e.networkId ?? '',
      EndpointID: ep?.endpointId ?? '',
      Gateway: ep?.gateway ?? '',
      IPAddress: ep?.ipv4Address ?? '',
      IPPrefixLen: ep?.ipv4PrefixLen ?? 0,
      IPv6Gateway: ep?.ipv6Gateway ?? '',
      GlobalIPv6Address: ep?.ipv6Address ?? '',
      GlobalIPv6PrefixLen: ep?.ipv6PrefixLen ?? 0,
      DNSNames: ep && name !== 'bridge' ? [rec.name, ...e.aliases, rec.id.slice(0, 12)] : null,
    };
  }
  const bridge = live.find((x) => x.networkName === 'bridge');
  return {
    Bridge: '',
    SandboxID: running ? rec.id : '',
    SandboxKey: running ? (rec.state.network?.sandboxKey ?? '') : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: portsJson(rec, running),
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: bridge?.endpointId ?? '',
    Gateway: bridge?.gateway ?? '',
    GlobalIPv6Address: bridge?.ipv6Address ?? '',
    GlobalIPv6PrefixLen: bridge?.ipv6PrefixLen ?? 0,
    IPAddress: bridge?.ipv4Address ?? '',
    IPPrefixLen: bridge?.ipv4PrefixLen ?? 0,
    IPv6Gateway: bridge?.ipv6Gateway ?? '',
    MacAddress: bridge?.macAddress ?? '',
    Networks: networks,
  };
}

/** Exposed ports, with the host ports actually published while the container runs. */
type PortBindingsJson = Record<string, { HostIp: string; HostPort: string }[] | null>;

function portsJson(rec: ContainerRecord, running: boolean): PortBindingsJson {
  const out: PortBindingsJson = {};
  for (const p of rec.config.exposedPorts) out[p] = null;
  if (!running) return out;
  for (const p of rec.state.ports ?? [])
    (out[p.key] ??= []).push({ HostIp: p.hostIp, HostPort: String(p.hostPort) });
  return out;
}

export function inspectJson(rec: ContainerRecord, x: InspectExtras): Record<string, unknown> {
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: stateJson(rec.state),
    Image: rec.imageId,
    ResolvConfPath: rec.resolvConfPath,
    HostnamePath: rec.hostnamePath,
    HostsPath: rec.hostsPath,
    LogPath: rec.logPath,
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: rec.driver,
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: x.execIds.length > 0 ? x.execIds : null,
    HostConfig: hostConfigJson(rec.hostConfig, x.defaultNetworkName),
    GraphDriver: { Name: x.graphDriver.name, Data: x.graphDriver.data },
    ...(x.sizeRw !== undefined ? { SizeRw: x.sizeRw } : {}),
    ...(x.sizeRootFs !== undefined ? { SizeRootFs: x.sizeRootFs } : {}),
    Mounts: mountsJson(rec),
    Config: configJson(
      rec.config,
      Object.values(rec.endpoints).find((e) => e.macAddress)?.macAddress,
    ),
    NetworkSettings: networkSettingsJson(rec, x.defaultNetworkName),
  };
}

export function mountsJson(rec: ContainerRecord): Record<string, unknown>[] {
  // dockerd lists a `--mount type=tmpfs` (a mount point), not a `--tmpfs` (HostConfig.Tmpfs).
  const fromTmpfsField = new Set(
    rec.hostConfig.mounts.filter((m) => m.origin === 'tmpfs').map((m) => m.target),
  );
  return rec.mountPoints
    .filter((m) => m.type !== 'tmpfs' || !fromTmpfsField.has(m.destination))
    .map((m) => ({
      Type: m.type,
      ...(m.name ? { Name: m.name } : {}),
      Source: m.source,
      Destination: m.destination,
      ...(m.driver ? { Driver: m.driver } : {}),
      Mode: m.type === 'tmpfs' ? '' : m.mode,
      RW: m.rw,
      Propagation: m.propagation,
    }));
}

/** "Up 5 minutes", "Exited (0) 2 seconds ago", "Created", "Restarting (1) 3 seconds ago". */
export function statusText(s: ContainerState, now = Date.now()): string {
  const since = (t: string): string => humanDuration(now - Date.parse(t));
  switch (s.status) {
    case 'running':
      return `Up ${since(s.startedAt)}${s.health ? ` (${s.health.status === 'starting' ? 'health: starting' : s.health.status})` : ''}`;
    case 'paused':
      return `Up ${since(s.startedAt)} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${since(s.finishedAt)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'dead':
      return 'Dead';
    case 'created':
      return 'Created';
    case 'exited':
      return s.finishedAt === ZERO_TIME
        ? 'Created'
        : `Exited (${s.exitCode}) ${since(s.finishedAt)} ago`;
  }
}

export function summaryJson(
  rec: ContainerRecord,
  o: { sizeRw?: number; sizeRootFs?: number; defaultNetworkName: string },
): Record<string, unknown> {
  // The ports really bound while it runs (an empty -p host port and -P pick one at start).
  const running = rec.state.status === 'running' || rec.state.status === 'paused';
  const ports: Record<string, unknown>[] = [];
  for (const [key, bindings] of Object.entries(portsJson(rec, running))) {
    const [port = '0', type = 'tcp'] = key.split('/');
    if (!bindings || bindings.length === 0) ports.push({ PrivatePort: Number(port), Type: type });
    else
      for (const b of bindings)
        ports.push({
          IP: b.HostIp,
          PrivatePort: Number(port),
          PublicPort: Number(b.HostPort),
          Type: type,
        });
  }
  const settings = networkSettingsJson(rec, o.defaultNetworkName);
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: rec.config.image,
    ImageID: rec.imageId,
    Command: [rec.path, ...rec.args].map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' '),
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: ports,
    ...(o.sizeRw !== undefined ? { SizeRw: o.sizeRw } : {}),
    ...(o.sizeRootFs !== undefined ? { SizeRootFs: o.sizeRootFs } : {}),
    Labels: rec.config.labels,
    State: rec.state.status,
    Status: statusText(rec.state),
    HostConfig: {
      NetworkMode:
        rec.hostConfig.networkMode === 'default'
          ? o.defaultNetworkName
          : rec.hostConfig.networkMode,
    },
    NetworkSettings: { Networks: settings['Networks'] },
    Mounts: mountsJson(rec),
  };
}
