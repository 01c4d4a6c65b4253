/**
 * toRootless: the pure last pass over a container's OCI spec (moby's specconv.ToRootless,
 * STYLE R4) — what a runtime inside a user namespace can and cannot do here. Also the
 * create-time warnings for limits that cannot be applied, never dropped silently.
 */
import type { HostProfile } from '../host.js';
import type { HostConfig } from '../daemon/containers/container-config.js';
import type { OciMount, OciSpec } from '../runtime/spec/oci-spec.js';

export function toRootless(spec: OciSpec, host: HostProfile): OciSpec {
  const delegated = host.cgroup.delegated;
  const nsOf = (t: string): { path?: string } | undefined =>
    spec.linux.namespaces.find((n) => n.type === t);
  // --userns keep-id: the container has its own user namespace. A namespace it joins by path
  // (the holder's network namespace, another container's) is then owned by skiffd's user
  // namespace, not the container's, and the kernel refuses a fresh sysfs or mqueue there
  // (EPERM): those are bound from skiffd's view instead, as Podman and runc do for rootless
  // containers. The exception: a user namespace joined by path was made together with the
  // bridge network namespace, which it owns (network/persistent-netns.ts), so sysfs is fresh.
  const userns = nsOf('user');
  const owned = (t: string): boolean => {
    const n = nsOf(t);
    if (n === undefined) return false;
    if (!userns || n.path === undefined) return true;
    return t === 'network' && userns.path !== undefined;
  };
  const mounts = spec.mounts
    .map((m): OciMount => {
      // keep-id with --pid host: procfs needs a PID namespace the container's user namespace owns.
      if (m.destination === '/proc' && m.type === 'proc' && userns && !nsOf('pid'))
        return {
          destination: '/proc',
          type: 'bind',
          source: '/proc',
          options: ['rbind', 'nosuid', 'noexec', 'nodev'],
        };
      // sysfs needs a network namespace we own; in the host's it can only be bound.
      if (m.destination === '/sys' && m.type === 'sysfs' && !owned('network'))
        return {
          destination: '/sys',
          type: 'bind',
          source: '/sys',
          options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
        };
      // Without cgroup v2 delegation there is no cgroup we may mount: show the host's, read-only.
      if (
        m.destination === '/sys/fs/cgroup' &&
        m.type === 'cgroup' &&
        (host.cgroup.version !== 2 || delegated.length === 0)
      )
        return {
          destination: '/sys/fs/cgroup',
          type: 'bind',
          source: '/sys/fs/cgroup',
          options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
        };
      // mqueue needs an IPC namespace we own.
      if (m.destination === '/dev/mqueue' && m.type === 'mqueue' && !owned('ipc'))
        return {
          destination: '/dev/mqueue',
          type: 'bind',
          source: '/dev/mqueue',
          options: ['rbind', 'nosuid', 'noexec', 'nodev'],
        };
      return m;
    })
    .filter(
      // A host without /dev/mqueue (no mqueue mounted, as on some VMs) has none to bind: the
      // container goes without, as the host does, instead of failing to start (--ipc host).
      (m) => !(m.destination === '/dev/mqueue' && m.type === 'bind' && host.devMqueue === false),
    );
  const { resources, ...linux } = spec.linux;
  const kept = resources ? keepDelegated(resources, delegated) : undefined;
  const rlimits = spec.process.rlimits?.map((r) => {
    const max = host.limits[r.type];
    // A user namespace cannot raise a hard limit above ours.
    return max
      ? { type: r.type, hard: Math.min(r.hard, max.hard), soft: Math.min(r.soft, max.hard) }
      : r;
  });
  return {
    ...spec,
    process: { ...spec.process, ...(rlimits ? { rlimits } : {}) },
    mounts,
    linux: { ...linux, ...(kept ? { resources: kept } : {}) },
  };
}

function keepDelegated(
  r: NonNullable<OciSpec['linux']['resources']>,
  delegated: readonly string[],
): OciSpec['linux']['resources'] | undefined {
  if (delegated.length === 0) return undefined;
  return {
    ...(r.memory && delegated.includes('memory') ? { memory: r.memory } : {}),
    ...(r.cpu && (delegated.includes('cpu') || delegated.includes('cpuset')) ? { cpu: r.cpu } : {}),
    ...(r.pids && delegated.includes('pids') ? { pids: r.pids } : {}),
    ...(r.blockIO && delegated.includes('io') ? { blockIO: r.blockIO } : {}),
  };
}

/**
 * The warnings `docker create` returns for limits this host cannot apply (Docker's texts from
 * daemon/daemon_unix.go verifyPlatformContainerResources, where it has one).
 */
export function resourceWarnings(hc: HostConfig, host: HostProfile): string[] {
  const d = new Set(host.cgroup.delegated);
  const r = hc.resources;
  const w: string[] = [];
  const why =
    host.cgroup.layout === 'v2'
      ? 'cgroup v2 controllers are not delegated to this user'
      : `this host has no cgroup v2 delegation (layout: ${host.cgroup.layout})`;
  if ((r.memory || r.memoryReservation) && !d.has('memory'))
    w.push(
      `Your kernel does not support memory limit capabilities or the cgroup is not mounted. Limitation discarded. (rootless: ${why})`,
    );
  if (r.memorySwap && !d.has('memory'))
    w.push(
      'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    );
  if ((r.nanoCpus || r.cpuQuota || r.cpuPeriod) && !d.has('cpu'))
    w.push(
      `Your kernel does not support CPU CFS scheduler. CPU limitation discarded. (rootless: ${why})`,
    );
  if (r.cpuShares && !d.has('cpu'))
    w.push(
      'Your kernel does not support CPU shares or the cgroup is not mounted. Shares discarded.',
    );
  if ((r.cpusetCpus || r.cpusetMems) && !d.has('cpuset'))
    w.push('Your kernel does not support cpuset or the cgroup is not mounted. Cpuset discarded.');
  if (r.pidsLimit > 0 && !d.has('pids'))
    w.push(
      `Your kernel does not support pids limit capabilities or the cgroup is not mounted. PIDs limit discarded. (rootless: ${why})`,
    );
  if (r.blkioWeight && !d.has('io'))
    w.push(
      'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
    );
  if (r.oomKillDisable && !d.has('memory'))
    w.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  return w;
}
