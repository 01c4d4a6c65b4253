/** Our HostConfig back into Docker's JSON (inspect's HostConfig). */
import type {
  BlkioDeviceLimit,
  HostConfig,
  MountSpec,
} from '../../daemon/containers/container-config.js';

export function hostConfigJson(
  hc: HostConfig,
  defaultNetworkName: string,
): Record<string, unknown> {
  const binds = hc.mounts.filter((m) => m.origin === 'binds').map(bindString);
  const mounts = hc.mounts.filter((m) => m.origin === 'mounts');
  const r = hc.resources;
  return {
    Binds: binds.length > 0 ? binds : null,
    ContainerIDFile: '',
    LogConfig: { Type: hc.logConfig.type, Config: hc.logConfig.config },
    NetworkMode: hc.networkMode === 'default' ? defaultNetworkName : hc.networkMode,
    PortBindings: Object.fromEntries(
      Object.entries(hc.portBindings).map(([p, bs]) => [
        p,
        bs.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort })),
      ]),
    ),
    RestartPolicy: {
      Name: hc.restartPolicy.name,
      MaximumRetryCount: hc.restartPolicy.maximumRetryCount,
    },
    AutoRemove: hc.autoRemove,
    VolumeDriver: hc.volumeDriver ?? '',
    VolumesFrom: hc.volumesFrom.length > 0 ? hc.volumesFrom : null,
    ConsoleSize: hc.consoleSize ? [hc.consoleSize.height, hc.consoleSize.width] : [0, 0],
    CapAdd: hc.capAdd.length > 0 ? hc.capAdd : null,
    CapDrop: hc.capDrop.length > 0 ? hc.capDrop : null,
    CgroupnsMode: hc.cgroupnsMode || 'host',
    Dns: hc.dns,
    DnsOptions: hc.dnsOptions,
    DnsSearch: hc.dnsSearch,
    ExtraHosts: hc.extraHosts.length > 0 ? hc.extraHosts : null,
    GroupAdd: hc.groupAdd.length > 0 ? hc.groupAdd : null,
    IpcMode: hc.ipcMode || 'private',
    Cgroup: '',
    Links: hc.links.length > 0 ? hc.links : null,
    OomScoreAdj: hc.oomScoreAdj,
    PidMode: hc.pidMode,
    Privileged: hc.privileged,
    PublishAllPorts: hc.publishAllPorts,
    ReadonlyRootfs: hc.readonlyRootfs,
    SecurityOpt: hc.securityOpt.length > 0 ? hc.securityOpt : null,
    Tmpfs: hc.tmpfsAsGiven ?? tmpfsMap(hc.mounts),
    UTSMode: hc.utsMode,
    UsernsMode: hc.usernsMode,
    ShmSize: hc.shmSize,
    Sysctls: Object.keys(hc.sysctls).length > 0 ? hc.sysctls : null,
    Runtime: hc.runtime || 'runc',
    Isolation: hc.isolation ?? '',
    CpuShares: r.cpuShares,
    Memory: r.memory,
    NanoCpus: r.nanoCpus,
    CgroupParent: hc.cgroupParent ?? '',
    BlkioWeight: r.blkioWeight,
    BlkioWeightDevice: blkioJson(hc.blkioDeviceLimits?.weight, 'Weight'),
    BlkioDeviceReadBps: blkioJson(hc.blkioDeviceLimits?.readBps, 'Rate'),
    BlkioDeviceWriteBps: blkioJson(hc.blkioDeviceLimits?.writeBps, 'Rate'),
    BlkioDeviceReadIOps: blkioJson(hc.blkioDeviceLimits?.readIops, 'Rate'),
    BlkioDeviceWriteIOps: blkioJson(hc.blkioDeviceLimits?.writeIops, 'Rate'),
    CpuPeriod: r.cpuPeriod,
    CpuQuota: r.cpuQuota,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: r.cpusetCpus,
    CpusetMems: r.cpusetMems,
    Devices: r.devices.map((d) => ({
      PathOnHost: d.pathOnHost,
      PathInContainer: d.pathInContainer,
      CgroupPermissions: d.cgroupPermissions,
    })),
    DeviceCgroupRules: hc.deviceCgroupRules ?? null,
    DeviceRequests: hc.deviceRequests
      ? hc.deviceRequests.map((d) => ({
          Driver: d.driver,
          Count: d.count,
          DeviceIDs: d.deviceIds,
          Capabilities: d.capabilities,
          Options: d.options,
        }))
      : null,
    MemoryReservation: r.memoryReservation,
    MemorySwap: r.memorySwap,
    MemorySwappiness: r.memorySwappiness ?? null,
    OomKillDisable: r.oomKillDisable,
    PidsLimit: r.pidsLimit === 0 ? null : r.pidsLimit,
    Ulimits: hc.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    Mounts: mounts.map(mountJson),
    MaskedPaths: hc.maskedPaths,
    ReadonlyPaths: hc.readonlyPaths,
    Init: hc.init,
    ...(hc.annotations ? { Annotations: hc.annotations } : {}),
  };
}

function blkioJson(
  l: readonly BlkioDeviceLimit[] | undefined,
  key: 'Weight' | 'Rate',
): Record<string, unknown>[] {
  return (l ?? []).map((d) => ({ Path: d.path, [key]: d.value }));
}

function bindString(m: MountSpec): string {
  const mode = [m.readOnly ? 'ro' : '', m.propagation ?? '', m.noCopy ? 'nocopy' : '']
    .filter((x) => x !== '')
    .join(',');
  return m.source === ''
    ? `${m.target}${mode ? `:${mode}` : ''}`
    : `${m.source}:${m.target}${mode ? `:${mode}` : ''}`;
}

function mountJson(m: MountSpec): Record<string, unknown> {
  return {
    Type: m.type,
    Source: m.source,
    Target: m.target,
    ReadOnly: m.readOnly,
    ...(m.type === 'bind'
      ? {
          BindOptions: {
            ...(m.propagation ? { Propagation: m.propagation } : {}),
            ...(m.createHostPath ? { CreateMountpoint: true } : {}),
          },
        }
      : {}),
    ...(m.type === 'volume'
      ? {
          VolumeOptions: {
            NoCopy: m.noCopy ?? false,
            Labels: m.volumeLabels ?? {},
            ...(m.volumeSubpath ? { Subpath: m.volumeSubpath } : {}),
          },
        }
      : {}),
    ...(m.type === 'tmpfs'
      ? {
          TmpfsOptions: {
            SizeBytes: m.tmpfsSize ?? 0,
            ...(m.tmpfsMode !== undefined ? { Mode: m.tmpfsMode } : {}),
          },
        }
      : {}),
  };
}

function tmpfsMap(mounts: readonly MountSpec[]): Record<string, string> | null {
  const t = mounts.filter((m) => m.origin === 'tmpfs');
  if (t.length === 0) return null;
  return Object.fromEntries(
    t.map((m) => [
      m.target,
      [...(m.options ?? []), ...(m.tmpfsSize ? [`size=${m.tmpfsSize}`] : [])].join(','),
    ]),
  );
}
