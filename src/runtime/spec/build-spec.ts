/**
 * Docker's container config → an OCI runtime spec (moby daemon/oci_linux.go, done as one pure
 * function over a resolved SpecInput). The rootless adjustments are a separate last pass
 * (rootless/spec.ts).
 */
import { InvalidArgumentError } from '../../errors.js';
import { applyCdiEdits } from '../cdi/apply-cdi-edits.js';
import { effectiveCapabilities } from './capabilities.js';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_NOFILE,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  sysctlNamespace,
} from './defaults.js';
import type { OciMount, OciNamespace, OciResources, OciRlimit, OciSpec } from './oci-spec.js';
import { seccompFromDockerProfile } from './seccomp.js';
import type { NamespaceChoice, SpecInput } from './spec-input.js';

export const INIT_PATH = '/sbin/docker-init';

export function buildSpec(i: SpecInput): OciSpec {
  const c = i.config;
  const hc = i.hostConfig;
  const privileged = hc.privileged;
  const caps = effectiveCapabilities(hc.capAdd, hc.capDrop, privileged);
  const args = [...c.entrypoint, ...c.cmd];
  if (args.length === 0) throw new InvalidArgumentError('no command specified');
  const processArgs = i.initBinary ? [INIT_PATH, '--', ...args] : args;
  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: {
      terminal: c.tty,
      ...(c.tty && hc.consoleSize
        ? { consoleSize: { height: hc.consoleSize.height, width: hc.consoleSize.width } }
        : {}),
      user: {
        uid: i.user.uid,
        gid: i.user.gid,
        ...(i.user.additionalGids.length > 0 ? { additionalGids: [...i.user.additionalGids] } : {}),
      },
      args: processArgs,
      env: processEnv(i),
      cwd: c.workingDir || '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: rlimits(i),
      noNewPrivileges: noNewPrivileges(hc.securityOpt, i.defaults.noNewPrivileges),
      ...(hc.oomScoreAdj !== 0 ? { oomScoreAdj: hc.oomScoreAdj } : {}),
    },
    root: { path: i.rootfs, readonly: hc.readonlyRootfs },
    hostname: c.hostname,
    ...(c.domainname ? { domainname: c.domainname } : {}),
    mounts: mounts(i),
    linux: {
      namespaces: namespaces(i),
      ...(i.userns
        ? {
            uidMappings: i.userns.uidMappings.map((m) => ({ ...m })),
            gidMappings: i.userns.gidMappings.map((m) => ({ ...m })),
          }
        : {}),
      // `systempaths=unconfined`: nothing masked or read-only (as the docker CLI asks with [] []).
      ...(privileged || hc.securityOpt.includes('systempaths=unconfined')
        ? {}
        : {
            maskedPaths: [...(hc.maskedPaths ?? DEFAULT_MASKED_PATHS)],
            readonlyPaths: [...(hc.readonlyPaths ?? DEFAULT_READONLY_PATHS)],
          }),
      ...sysctls(i),
      resources: resources(i),
      ...seccomp(i, caps),
    },
    annotations: {
      ...hc.annotations,
      'org.opencontainers.image.stopSignal': c.stopSignal ?? 'SIGTERM',
    },
  };
  // CDI devices last: their env, mounts and device nodes win, as with dockerd and Podman.
  return i.cdi ? applyCdiEdits(spec, i.cdi) : spec;
}

function processEnv(i: SpecInput): string[] {
  const env = [...i.config.env];
  const has = (k: string): boolean => env.some((e) => e.startsWith(`${k}=`));
  if (!has('PATH')) env.unshift(DEFAULT_PATH_ENV);
  if (!has('HOSTNAME')) env.push(`HOSTNAME=${i.config.hostname}`);
  if (i.config.tty && !has('TERM')) env.push('TERM=xterm');
  if (!has('HOME')) env.push(`HOME=${i.userns?.etc?.home ?? (i.user.home || '/')}`);
  return env;
}

function noNewPrivileges(opts: readonly string[], dflt: boolean): boolean {
  let v = dflt;
  for (const o of opts) {
    const m = /^no-new-privileges(?:[:=](true|false))?$/.exec(o);
    if (m) v = m[1] !== 'false';
  }
  return v;
}

function rlimits(i: SpecInput): OciRlimit[] {
  const byType = new Map<string, OciRlimit>([[DEFAULT_NOFILE.type, { ...DEFAULT_NOFILE }]]);
  for (const u of [...i.defaults.ulimits, ...i.hostConfig.ulimits]) {
    const type = `RLIMIT_${u.name.toUpperCase()}`;
    byType.set(type, { type, soft: u.soft, hard: u.hard });
  }
  return [...byType.values()];
}

function mounts(i: SpecInput): OciMount[] {
  const hc = i.hostConfig;
  const shmSize = hc.shmSize || i.defaults.shmSize;
  const defaults: OciMount[] = [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    {
      destination: '/dev',
      type: 'tmpfs',
      source: 'tmpfs',
      options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
    },
    {
      destination: '/dev/pts',
      type: 'devpts',
      source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
    },
    {
      destination: '/sys',
      type: 'sysfs',
      source: 'sysfs',
      options: ['nosuid', 'noexec', 'nodev', 'ro'],
    },
    {
      destination: '/sys/fs/cgroup',
      type: 'cgroup',
      source: 'cgroup',
      options: ['ro', 'nosuid', 'noexec', 'nodev'],
    },
    {
      destination: '/dev/mqueue',
      type: 'mqueue',
      source: 'mqueue',
      options: ['nosuid', 'noexec', 'nodev'],
    },
    i.shmSource !== undefined
      ? {
          destination: '/dev/shm',
          type: 'bind',
          source: i.shmSource,
          options: ['rbind', 'nosuid', 'noexec', 'nodev'],
        }
      : {
          destination: '/dev/shm',
          type: 'tmpfs',
          source: 'shm',
          options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`],
        },
  ];
  const user = i.mounts.map((m): OciMount => ({
    destination: m.destination,
    type: m.type === 'tmpfs' ? 'tmpfs' : 'bind',
    source: m.source,
    options: [...m.options],
  }));
  const userDest = new Set(user.map((m) => m.destination));
  const etc: OciMount[] = [
    {
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: i.etcFiles.resolvConf,
      options: ['rbind', 'rprivate'],
    },
    {
      destination: '/etc/hostname',
      type: 'bind',
      source: i.etcFiles.hostname,
      options: ['rbind', 'rprivate'],
    },
    {
      destination: '/etc/hosts',
      type: 'bind',
      source: i.etcFiles.hosts,
      options: ['rbind', 'rprivate'],
    },
    // --userns keep-id: the image's files with the user added (spec-input.ts).
    ...(i.userns?.etc
      ? [
          {
            destination: '/etc/passwd',
            type: 'bind',
            source: i.userns.etc.passwd,
            options: ['rbind', 'rprivate'],
          },
          {
            destination: '/etc/group',
            type: 'bind',
            source: i.userns.etc.group,
            options: ['rbind', 'rprivate'],
          },
        ]
      : []),
  ].filter((m) => !userDest.has(m.destination));
  const devices: OciMount[] = hc.resources.devices.map((d) => ({
    destination: d.pathInContainer,
    type: 'bind',
    source: d.pathOnHost,
    options: ['rbind', 'nosuid', 'noexec', ...(d.cgroupPermissions.includes('w') ? [] : ['ro'])],
  }));
  const init: OciMount[] = i.initBinary
    ? [{ destination: INIT_PATH, type: 'bind', source: i.initBinary, options: ['bind', 'ro'] }]
    : [];
  // A user mount at a default's destination replaces it (e.g. -v /dev/shm or --tmpfs /dev/shm).
  return [
    ...defaults.filter((m) => !userDest.has(m.destination)),
    ...etc,
    ...init,
    ...devices,
    ...user,
  ];
}

function ns(type: OciNamespace['type'], choice: NamespaceChoice): OciNamespace[] {
  if (choice.kind === 'host') return [];
  return choice.kind === 'path' ? [{ type, path: choice.path }] : [{ type }];
}

function namespaces(i: SpecInput): OciNamespace[] {
  const n = i.namespaces;
  return [
    // First: runc joins the namespaces given by path, then unshares the new ones in it. The
    // mappings stay in the spec with a path too: runc 1.1 finds the container's root in them.
    ...(i.userns
      ? [{ type: 'user' as const, ...(i.userns.path ? { path: i.userns.path } : {}) }]
      : []),
    ...ns('pid', n.pid),
    ...ns('network', n.network),
    ...ns('ipc', n.ipc),
    ...ns('uts', n.uts),
    { type: 'mount' },
    ...ns('cgroup', n.cgroup),
  ];
}

function sysctls(i: SpecInput): { sysctl?: Record<string, string> } {
  const entries = Object.entries(i.hostConfig.sysctls);
  if (entries.length === 0) return {};
  for (const [k] of entries) {
    const kind = sysctlNamespace(k);
    if (!kind)
      throw new InvalidArgumentError(
        `sysctl '${k}' is not allowed: only namespaced sysctls (net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) can be set`,
      );
    if (kind === 'net' && i.namespaces.network.kind === 'host')
      throw new InvalidArgumentError(`sysctl '${k}' is not allowed in host network mode`);
    if (kind === 'uts')
      throw new InvalidArgumentError(`sysctl '${k}' is not allowed: use --hostname / --domainname`);
  }
  return { sysctl: Object.fromEntries(entries) };
}

function resources(i: SpecInput): OciResources {
  return ociResources(i.hostConfig.resources);
}

/** A container's limits as OCI LinuxResources (the spec at create; `runtime update` later). */
export function ociResources(r: SpecInput['hostConfig']['resources']): OciResources {
  const out: OciResources = { devices: [{ allow: false, access: 'rwm' }] };
  if (
    r.memory ||
    r.memoryReservation ||
    r.memorySwap ||
    r.memorySwappiness !== undefined ||
    r.oomKillDisable
  )
    out.memory = {
      ...(r.memory ? { limit: r.memory } : {}),
      ...(r.memoryReservation ? { reservation: r.memoryReservation } : {}),
      ...(r.memorySwap ? { swap: r.memorySwap } : {}),
      ...(r.memorySwappiness !== undefined ? { swappiness: r.memorySwappiness } : {}),
      ...(r.oomKillDisable ? { disableOOMKiller: true } : {}),
    };
  const period = r.nanoCpus ? 100000 : r.cpuPeriod;
  const quota = r.nanoCpus ? Math.round((r.nanoCpus * period) / 1e9) : r.cpuQuota;
  if (r.cpuShares || quota || period || r.cpusetCpus || r.cpusetMems)
    out.cpu = {
      ...(r.cpuShares ? { shares: r.cpuShares } : {}),
      ...(quota ? { quota } : {}),
      ...(period ? { period } : {}),
      ...(r.cpusetCpus ? { cpus: r.cpusetCpus } : {}),
      ...(r.cpusetMems ? { mems: r.cpusetMems } : {}),
    };
  if (r.pidsLimit > 0) out.pids = { limit: r.pidsLimit };
  if (r.blkioWeight) out.blockIO = { weight: r.blkioWeight };
  return out;
}

function seccomp(i: SpecInput, caps: readonly string[]): { seccomp?: OciSpec['linux']['seccomp'] } {
  if (i.hostConfig.privileged || i.seccomp === undefined || i.seccomp === 'unconfined') return {};
  return {
    seccomp: seccompFromDockerProfile(i.seccomp, caps, i.host.architecture, i.host.kernelVersion),
  };
}
