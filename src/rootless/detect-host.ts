/**
 * Fills the HostProfile once at skiffd start (STYLE R4): user namespace and id maps, cgroups,
 * storage driver, OCI runtime, seccomp, helper binaries — and the warnings `docker info` shows.
 * Everything below skiffd receives the result as data.
 */
import { existsSync } from 'node:fs';
import { access, constants, readFile, mkdir } from 'node:fs/promises';
import { cpus, hostname, release, totalmem, arch } from 'node:os';
import { join } from 'node:path';
import type {
  HostBinaries,
  HostProfile,
  IdMapEntry,
  RuntimeName,
  StorageDriverName,
} from '../host.js';
import { findBinary } from '../proc/find-binary.js';
import { isInitialUserNamespace } from './preflight/prerequisites.js';
import { parseOsRelease } from './preflight/distro.js';
import { detectCgroup } from './detect/cgroup.js';
import { detectStorage } from './detect/storage.js';
import { detectRuntime } from './detect/runtime.js';
import { cachedProbe, fileIdentity, filesystemIdentity } from './detect/probe-cache.js';

export interface DetectHostInputs {
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly pathEnv: string | undefined;
  readonly nativeDir: string;
  readonly holderPid?: number;
  readonly storageDriver?: StorageDriverName;
  readonly runtime?: RuntimeName;
  readonly mtu?: number;
  /** daemon.json `seccomp-profile`: a path, or "unconfined". */
  readonly seccompProfile?: string;
}

export const DEFAULT_SECCOMP_PROFILE = '/usr/share/containers/seccomp.json';

export async function detectHost(i: DetectHostInputs): Promise<HostProfile> {
  const warnings: string[] = [];
  const uidMapText = await readFile('/proc/self/uid_map', 'utf8');
  const gidMapText = await readFile('/proc/self/gid_map', 'utf8');
  const uidMap = parseIdMap(uidMapText);
  const gidMap = parseIdMap(gidMapText);
  const rootless = !isInitialUserNamespace(uidMapText);
  const binaries = findBinaries(i.pathEnv, i.nativeDir);

  const cgroup = await detectCgroup({
    mountinfo: await readFile('/proc/self/mountinfo', 'utf8'),
    selfCgroup: await readFile('/proc/self/cgroup', 'utf8'),
    readCgroupFile: (p) => readFile(p, 'utf8').catch(() => undefined),
    writable: (p) =>
      access(p, constants.W_OK).then(
        () => true,
        () => false,
      ),
  });
  if (cgroup.driver === 'none') {
    warnings.push(
      'WARNING: Running in rootless-mode without cgroups. To enable cgroups in rootless-mode, you need to boot the system in cgroup v2 mode.',
      `WARNING: cgroup layout is ${cgroup.layout}${cgroup.layout === 'hybrid' ? ' (v1 controllers, cgroup2 without controllers)' : ''}: --memory, --cpus, --pids-limit and other limits cannot be applied, and pause/unpause is unavailable`,
    );
  }

  await mkdir(join(i.dataRoot, 'tmp'), { recursive: true, mode: 0o700 });
  // The exec root's probe cache is per boot; the data root's device and filesystem type tell a
  // remount apart.
  const probeDir = join(i.execRoot, 'probe');
  await mkdir(probeDir, { recursive: true, mode: 0o700 });
  const storage = await cachedProbe(
    join(probeDir, 'storage.json'),
    [
      i.dataRoot,
      await filesystemIdentity(i.dataRoot),
      i.storageDriver ?? '',
      await fileIdentity(binaries.fuseOverlayfs),
      await fileIdentity(binaries.mount),
    ],
    () =>
      detectStorage({
        dataRoot: i.dataRoot,
        mount: binaries.mount,
        umount: binaries.umount,
        ...(i.storageDriver ? { forced: i.storageDriver } : {}),
        ...(binaries.fuseOverlayfs ? { fuseOverlayfs: binaries.fuseOverlayfs } : {}),
        ...(binaries.fusermount ? { fusermount: binaries.fusermount } : {}),
      }),
  );
  if (storage.driver !== 'overlay2')
    for (const n of storage.notes) warnings.push(`WARNING: ${n}; using ${storage.driver}`);

  const detection = await cachedProbe(
    join(probeDir, 'runtime.json'),
    [
      await fileIdentity(binaries.crun),
      await fileIdentity(binaries.runc),
      i.runtime ?? '',
      cgroup.layout,
    ],
    () =>
      detectRuntime({
        candidates: [
          { name: 'crun', path: binaries.crun },
          { name: 'runc', path: binaries.runc },
        ],
        probeBinary: join(i.nativeDir, 'hello'),
        workDir: probeDir,
        ...(i.runtime ? { forced: i.runtime } : {}),
      }),
  );
  const runtime = detection.runtime;
  for (const r of detection.rejected) {
    if (r.reason === 'not installed') continue;
    warnings.push(
      `WARNING: OCI runtime ${r.name} cannot run containers on this host (${r.reason})${runtime ? `; using ${runtime.name} ${runtime.version}` : ''}`,
    );
  }
  // "install runc" only when none is installed: a runtime that is there but failed its probe
  // is named above with the reason.
  const installed = detection.rejected.some((r) => r.reason !== 'not installed');
  if (!runtime)
    warnings.push(
      installed
        ? 'WARNING: no OCI runtime can run containers on this host: see the reasons above'
        : 'WARNING: no OCI runtime can run containers on this host: install runc (apt-get install runc)',
    );
  if (!binaries.conmon)
    warnings.push(
      'WARNING: conmon is not installed (apt-get install conmon): containers cannot be started',
    );

  let seccompProfile: string | undefined;
  if (i.seccompProfile === 'unconfined')
    warnings.push(
      'WARNING: seccomp-profile is "unconfined": containers run without a seccomp filter',
    );
  else {
    const candidate = i.seccompProfile ?? DEFAULT_SECCOMP_PROFILE;
    const exists = await access(candidate, constants.R_OK).then(
      () => true,
      () => false,
    );
    if (exists) seccompProfile = candidate;
    else
      warnings.push(
        `WARNING: seccomp profile ${candidate} not found (Debian: apt-get install golang-github-containers-common): containers run without a seccomp filter`,
      );
  }

  const osRelease = parseOsRelease(await readFile('/etc/os-release', 'utf8').catch(() => ''));
  const hostMap = uidMap.find((m) => m.containerId === 0);
  const hostGidMap = gidMap.find((m) => m.containerId === 0);
  return {
    rootless,
    uidMap,
    gidMap,
    hostUid: rootless ? (hostMap?.hostId ?? 0) : (process.getuid?.() ?? 0),
    hostGid: rootless ? (hostGidMap?.hostId ?? 0) : (process.getgid?.() ?? 0),
    ...(i.holderPid !== undefined ? { holderPid: i.holderPid } : {}),
    kernelVersion: release(),
    operatingSystem: osRelease.prettyName,
    osType: 'linux',
    architecture: goArch(arch()),
    ncpu: cpus().length,
    memTotal: totalmem(),
    hostname: hostname(),
    cgroup,
    storage,
    ...(runtime ? { runtime } : {}),
    ...(seccompProfile ? { seccompProfile } : {}),
    binaries,
    mtu: i.mtu ?? 65520,
    limits: parseLimits(await readFile('/proc/self/limits', 'utf8').catch(() => '')),
    devMqueue: existsSync('/dev/mqueue'),
    warnings,
  };
}

export function parseIdMap(text: string): IdMapEntry[] {
  return text
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every((n) => Number.isFinite(n)))
    .map(([containerId = 0, hostId = 0, size = 0]) => ({ containerId, hostId, size }));
}

const LIMIT_NAMES: Readonly<Record<string, string>> = {
  'Max open files': 'RLIMIT_NOFILE',
  'Max processes': 'RLIMIT_NPROC',
  'Max core file size': 'RLIMIT_CORE',
  'Max stack size': 'RLIMIT_STACK',
  'Max locked memory': 'RLIMIT_MEMLOCK',
  'Max file size': 'RLIMIT_FSIZE',
  'Max cpu time': 'RLIMIT_CPU',
  'Max data size': 'RLIMIT_DATA',
  'Max address space': 'RLIMIT_AS',
  'Max file locks': 'RLIMIT_LOCKS',
  'Max pending signals': 'RLIMIT_SIGPENDING',
  'Max msgqueue size': 'RLIMIT_MSGQUEUE',
  'Max nice priority': 'RLIMIT_NICE',
  'Max realtime priority': 'RLIMIT_RTPRIO',
  'Max realtime timeout': 'RLIMIT_RTTIME',
  'Max resident set': 'RLIMIT_RSS',
};

/** /proc/self/limits → { RLIMIT_NOFILE: { soft, hard } } (unlimited = 2^64-1 as runc takes it). */
export function parseLimits(text: string): Record<string, { soft: number; hard: number }> {
  const out: Record<string, { soft: number; hard: number }> = {};
  const num = (s: string): number => (s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
  for (const line of text.split('\n').slice(1)) {
    const name = Object.keys(LIMIT_NAMES).find((n) => line.startsWith(n));
    if (!name) continue;
    const [soft = '0', hard = '0'] = line.slice(name.length).trim().split(/\s+/);
    const key = LIMIT_NAMES[name];
    if (key) out[key] = { soft: num(soft), hard: num(hard) };
  }
  return out;
}

/** Docker reports Go's architecture names. */
export function goArch(nodeArch: string): string {
  return (
    (
      {
        x64: 'amd64',
        arm64: 'arm64',
        arm: 'arm',
        ia32: '386',
        ppc64: 'ppc64le',
        s390x: 's390x',
        riscv64: 'riscv64',
      } as Record<string, string>
    )[nodeArch] ?? nodeArch
  );
}

function findBinaries(pathEnv: string | undefined, nativeDir: string): HostBinaries {
  const f = (name: string): string | undefined => findBinary(name, pathEnv);
  const opt = <K extends string>(key: K, v: string | undefined): Partial<Record<K, string>> =>
    v ? ({ [key]: v } as Record<K, string>) : {};
  return {
    mount: f('mount') ?? '/bin/mount',
    umount: f('umount') ?? '/bin/umount',
    ...opt('conmon', f('conmon')),
    ...opt('runc', f('runc')),
    ...opt('crun', f('crun')),
    ...opt('fuseOverlayfs', f('fuse-overlayfs')),
    ...opt('fusermount', f('fusermount3') ?? f('fusermount')),
    ...opt('tini', f('tini-static') ?? f('tini')),
    ...opt('catatonit', f('catatonit')),
    ...opt('zstd', f('zstd')),
    ...opt('nsenter', f('nsenter')),
    ...opt('unshare', f('unshare')),
    ...opt('skiffBridge', findBinary(join(nativeDir, 'skiff-bridge'), undefined)),
    ...opt('skiffFsops', findBinary(join(nativeDir, 'skiff-fsops'), undefined)),
    ...opt('skiffUntar', findBinary(join(nativeDir, 'skiff-untar'), undefined)),
  };
}
