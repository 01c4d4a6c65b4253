/**
 * Which cgroup hierarchy the kernel has and what of it is ours. Rootless engines can apply limits
 * only through cgroup v2 delegation (seed 002/003 "Limiting resources"); on v1 or hybrid hosts
 * docker info says `Cgroup Driver: none` and limits are warned about, never silently dropped.
 */
import type { CgroupProfile } from '../../host.js';

export interface CgroupInputs {
  readonly mountinfo: string;
  /** /proc/self/cgroup */
  readonly selfCgroup: string;
  /** Reads a file under the cgroup2 mount; undefined when unreadable. */
  readonly readCgroupFile: (path: string) => Promise<string | undefined>;
  /** Whether we may write in a cgroup directory (create children, move processes). */
  readonly writable: (path: string) => Promise<boolean>;
}

interface CgroupMounts {
  readonly v2?: string;
  readonly v1Controllers: readonly string[];
}

export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  let v2: string | undefined;
  const v1: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    const mountPoint = left[4];
    const fstype = right[0];
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') v2 ??= mountPoint;
    else if (fstype === 'cgroup') {
      const opts = (right[2] ?? '').split(',');
      v1.push(
        ...opts.filter((o) =>
          [
            'cpu',
            'cpuacct',
            'cpuset',
            'memory',
            'devices',
            'freezer',
            'blkio',
            'pids',
            'net_cls',
            'perf_event',
            'hugetlb',
          ].includes(o),
        ),
      );
    }
  }
  return v2 === undefined ? { v1Controllers: v1 } : { v2, v1Controllers: v1 };
}

export async function detectCgroup(i: CgroupInputs): Promise<CgroupProfile> {
  const mounts = parseCgroupMounts(i.mountinfo);
  if (mounts.v2 === undefined) {
    const layout = mounts.v1Controllers.length > 0 ? 'v1' : 'none';
    return { layout, version: 1, driver: 'none', delegated: [], freezer: false };
  }
  if (mounts.v1Controllers.length > 0) {
    // Hybrid: controllers live on v1, where an unprivileged user owns nothing.
    return { layout: 'hybrid', version: 1, driver: 'none', delegated: [], freezer: false };
  }
  const own = /^0::(.*)$/m.exec(i.selfCgroup)?.[1]?.trim();
  if (own === undefined)
    return { layout: 'v2', version: 2, driver: 'none', delegated: [], freezer: false };
  const dir = `${mounts.v2}${own === '/' ? '' : own}`;
  const controllers = ((await i.readCgroupFile(`${dir}/cgroup.controllers`)) ?? '')
    .trim()
    .split(/\s+/)
    .filter((c) => c.length > 0);
  if (!(await i.writable(dir)) || controllers.length === 0)
    return { layout: 'v2', version: 2, driver: 'none', delegated: [], freezer: false };
  return {
    layout: 'v2',
    version: 2,
    driver: 'cgroupfs',
    delegated: controllers,
    ownPath: dir,
    freezer: true,
  };
}
