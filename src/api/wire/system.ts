/**
 * Docker's JSON for /info and /version (SystemInfo, SystemVersion in the Engine API spec).
 * Field names live here and nowhere else.
 */
import type { SystemInfo, EngineIdentity } from '../../daemon/system/system-service.js';
import type { HostProfile } from '../../host.js';
import { DOCKER_ENGINE_RELEASE, MAX_API_VERSION, MIN_API_VERSION } from '../version.js';

export function infoJson(i: SystemInfo): Record<string, unknown> {
  const h = i.host;
  const limits = h.cgroup.delegated;
  const runtimeName = h.runtime?.name ?? 'runc';
  return {
    ID: i.identity.id,
    Containers: i.counts.containers,
    ContainersRunning: i.counts.running,
    ContainersPaused: i.counts.paused,
    ContainersStopped: i.counts.stopped,
    Images: i.counts.images,
    Driver: h.storage.driver,
    DriverStatus: driverStatus(h),
    Plugins: {
      Volume: ['local'],
      Network: ['bridge', 'host', 'null'],
      Authorization: null,
      Log: ['json-file', 'local', 'none'],
    },
    MemoryLimit: limits.includes('memory'),
    SwapLimit: limits.includes('memory'),
    CpuCfsPeriod: limits.includes('cpu'),
    CpuCfsQuota: limits.includes('cpu'),
    CPUShares: limits.includes('cpu'),
    CPUSet: limits.includes('cpuset'),
    PidsLimit: limits.includes('pids'),
    OomKillDisable: false,
    IPv4Forwarding: true,
    Debug: i.config.debug,
    NFd: i.fileDescriptors,
    NGoroutines: 0,
    SystemTime: i.systemTime,
    LoggingDriver: i.config.logDriver,
    CgroupDriver: h.cgroup.driver,
    CgroupVersion: String(h.cgroup.version),
    NEventsListener: i.eventListeners,
    KernelVersion: h.kernelVersion,
    OperatingSystem: h.operatingSystem,
    OSVersion: '',
    OSType: h.osType,
    Architecture:
      h.architecture === 'amd64'
        ? 'x86_64'
        : h.architecture === 'arm64'
          ? 'aarch64'
          : h.architecture,
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: {
      AllowNondistributableArtifactsCIDRs: null,
      AllowNondistributableArtifactsHostnames: null,
      InsecureRegistryCIDRs: [
        '127.0.0.0/8',
        ...i.config.insecureRegistries.filter((r) => r.includes('/')),
      ],
      IndexConfigs: {
        'docker.io': {
          Name: 'docker.io',
          Mirrors: i.config.registryMirrors,
          Secure: true,
          Official: true,
        },
        ...Object.fromEntries(
          i.config.insecureRegistries
            .filter((r) => !r.includes('/'))
            .map((r) => [r, { Name: r, Mirrors: [], Secure: false, Official: false }]),
        ),
      },
      Mirrors: i.config.registryMirrors,
    },
    NCPU: h.ncpu,
    MemTotal: h.memTotal,
    GenericResources: null,
    DockerRootDir: i.config.dataRoot,
    HttpProxy: i.config.httpProxy,
    HttpsProxy: i.config.httpsProxy,
    NoProxy: i.config.noProxy,
    Name: i.identity.name,
    Labels: i.config.labels,
    ExperimentalBuild: i.config.experimental,
    ServerVersion: DOCKER_ENGINE_RELEASE,
    Runtimes: h.runtime ? { [runtimeName]: { path: h.runtime.path } } : {},
    DefaultRuntime: runtimeName,
    Swarm: {
      NodeID: '',
      NodeAddr: '',
      LocalNodeState: 'inactive',
      ControlAvailable: false,
      Error: '',
      RemoteManagers: null,
    },
    LiveRestoreEnabled: i.config.liveRestore,
    Isolation: '',
    InitBinary: i.config.initBinary,
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: h.runtime ? `${h.runtime.name} ${h.runtime.version}` : '' },
    InitCommit: { ID: '' },
    SecurityOptions: i.securityOptions,
    CDISpecDirs: i.config.cdiSpecDirs,
    Containerd: null,
    Warnings: h.warnings,
  };
}

function driverStatus(h: HostProfile): string[][] {
  switch (h.storage.driver) {
    case 'overlay2':
      return [
        ['Backing Filesystem', 'extfs'],
        ['Supports d_type', 'true'],
        ['Using metacopy', 'false'],
        ['Native Overlay Diff', 'true'],
        ['userxattr', String(h.storage.overlayUserXattr)],
      ];
    case 'fuse-overlayfs':
      return [['Binary', h.binaries.fuseOverlayfs ?? '']];
    case 'vfs':
      return [];
  }
}

export function versionJson(
  id: EngineIdentity,
  h: HostProfile,
  extra: readonly { name: string; version: string }[],
): Record<string, unknown> {
  const details = {
    ApiVersion: MAX_API_VERSION,
    Arch: h.architecture,
    BuildTime: id.buildTime,
    Experimental: 'false',
    GitCommit: id.gitCommit,
    GoVersion: `node ${process.version}`,
    KernelVersion: h.kernelVersion,
    MinAPIVersion: MIN_API_VERSION,
    Os: 'linux',
  };
  return {
    Platform: { Name: `skiff ${id.version} (Docker Engine API ${MAX_API_VERSION})` },
    Components: [
      { Name: 'Engine', Version: DOCKER_ENGINE_RELEASE, Details: details },
      { Name: 'skiff', Version: id.version, Details: { GitCommit: id.gitCommit } },
      ...extra.map((c) => ({ Name: c.name, Version: c.version, Details: {} })),
    ],
    Version: DOCKER_ENGINE_RELEASE,
    ApiVersion: MAX_API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: id.gitCommit,
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: h.architecture,
    KernelVersion: h.kernelVersion,
    BuildTime: id.buildTime,
  };
}
