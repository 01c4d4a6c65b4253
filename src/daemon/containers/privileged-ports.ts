/**
 * Host ports below net.ipv4.ip_unprivileged_port_start: rootlesskit's parent binds them on the
 * host as the user, so the kernel refuses unless the sysctl allows it or rootlesskit has
 * CAP_NET_BIND_SERVICE. skiff refuses such a container at create, with both fixes, instead of
 * failing at start with a bare "permission denied".
 */
import { InvalidArgumentError } from '../../errors.js';
import type { PortRequest } from './publish-ports.js';

export interface LowPortFacts {
  /** /proc/sys/net/ipv4/ip_unprivileged_port_start of the host's network namespace. */
  readonly unprivilegedPortStart: number;
  /** rootlesskit (the process that binds on the host) holds CAP_NET_BIND_SERVICE. */
  readonly canBindLow: boolean;
}

export function privilegedPortMessage(hostIp: string, port: number, start: number): string {
  return (
    `cannot publish ${hostIp || '0.0.0.0'}:${port}: ports below ${start} are privileged and a ` +
    `rootless daemon binds them as your user (net.ipv4.ip_unprivileged_port_start=${start}). ` +
    `Fix: either lower the limit with 'sudo sysctl net.ipv4.ip_unprivileged_port_start=${port}' ` +
    `(persist it: echo 'net.ipv4.ip_unprivileged_port_start=${port}' | sudo tee /etc/sysctl.d/99-rootless.conf), ` +
    `or give rootlesskit the capability with 'sudo setcap cap_net_bind_service=ep $(which rootlesskit)' ` +
    `and restart the daemon; or publish a port >= ${start}`
  );
}

/** Throws a 400 naming the lowest privileged host port among the requests, if any. */
export function checkPrivilegedPorts(reqs: readonly PortRequest[], f: LowPortFacts): void {
  if (f.canBindLow) return;
  const low = reqs
    .filter((r) => r.hostPort > 0 && r.hostPort < f.unprivilegedPortStart)
    .sort((a, b) => a.hostPort - b.hostPort)[0];
  if (low)
    throw new InvalidArgumentError(
      privilegedPortMessage(low.hostIp, low.hostPort, f.unprivilegedPortStart),
    );
}
