/** Docker's HostConfig JSON into our HostConfig, with Docker's validation messages. */
import { InvalidArgumentError } from '../../errors.js';
import type {
  BlkioDeviceLimit,
  DeviceMapping,
  DeviceRequest,
  HostConfig,
  MountSpec,
  PortBinding,
  Resources,
  RestartPolicy,
  Ulimit,
} from '../../daemon/containers/container-config.js';
import { normalizeCapabilities } from './capabilities.js';
import { normalizePort } from './ports.js';
import { checkDuplicateTargets, parseBind, parseMount, parseTmpfs } from './mount-parsing.js';
import {
  asObject,
  bool,
  isObject,
  list,
  num,
  optBool,
  optNum,
  str,
  strList,
  strMap,
  type JsonObject,
} from './json-fields.js';

const RESTART_POLICIES = ['no', 'always', 'on-failure', 'unless-stopped'] as const;
const ULIMITS = [
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
];

export function parseHostConfig(o: JsonObject): HostConfig {
  const tmpfs = strMap(o, 'Tmpfs');
  const mounts: MountSpec[] = [
    ...strList(o, 'Binds').map(parseBind),
    ...list(o, 'Mounts').map(parseMount),
    ...Object.entries(tmpfs).map(([target, opts]) => parseTmpfs(target, opts)),
  ];
  checkDuplicateTargets(mounts);
  const restartPolicy = parseRestartPolicy(asObject(o['RestartPolicy'], 'RestartPolicy'));
  const autoRemove = bool(o, 'AutoRemove');
  if (autoRemove && restartPolicy.name !== 'no')
    throw new InvalidArgumentError("can't create 'AutoRemove' container with restart policy");
  const shmSize = num(o, 'ShmSize');
  if (shmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  const logConfig = asObject(o['LogConfig'], 'LogConfig');
  const initValue = optBool(o, 'Init');
  const cs = list(o, 'ConsoleSize');
  const consoleSize =
    cs.length === 2 &&
    typeof cs[0] === 'number' &&
    typeof cs[1] === 'number' &&
    cs[0] > 0 &&
    cs[1] > 0
      ? { height: cs[0], width: cs[1] }
      : undefined;
  return {
    mounts,
    readonlyRootfs: bool(o, 'ReadonlyRootfs'),
    networkMode: str(o, 'NetworkMode') || 'default',
    portBindings: parsePortBindings(asObject(o['PortBindings'], 'PortBindings')),
    publishAllPorts: bool(o, 'PublishAllPorts'),
    restartPolicy,
    autoRemove,
    capAdd: normalizeCapabilities(strList(o, 'CapAdd')),
    capDrop: normalizeCapabilities(strList(o, 'CapDrop')),
    privileged: bool(o, 'Privileged'),
    securityOpt: strList(o, 'SecurityOpt'),
    init: initValue ?? null,
    dns: strList(o, 'Dns'),
    dnsSearch: strList(o, 'DnsSearch'),
    dnsOptions: strList(o, 'DnsOptions'),
    extraHosts: strList(o, 'ExtraHosts').map(checkExtraHost),
    groupAdd: strList(o, 'GroupAdd'),
    ipcMode: str(o, 'IpcMode'),
    pidMode: str(o, 'PidMode'),
    utsMode: str(o, 'UTSMode'),
    usernsMode: str(o, 'UsernsMode'),
    cgroupnsMode: str(o, 'CgroupnsMode'),
    shmSize,
    sysctls: strMap(o, 'Sysctls'),
    ulimits: list(o, 'Ulimits').map(parseUlimit),
    logConfig: {
      type: str(logConfig, 'Type', 'LogConfig.Type'),
      config: strMap(logConfig, 'Config', 'LogConfig.Config'),
    },
    resources: parseResources(o),
    volumesFrom: strList(o, 'VolumesFrom'),
    links: strList(o, 'Links'),
    oomScoreAdj: num(o, 'OomScoreAdj'),
    maskedPaths:
      o['MaskedPaths'] === undefined || o['MaskedPaths'] === null
        ? null
        : strList(o, 'MaskedPaths'),
    readonlyPaths:
      o['ReadonlyPaths'] === undefined || o['ReadonlyPaths'] === null
        ? null
        : strList(o, 'ReadonlyPaths'),
    runtime: str(o, 'Runtime'),
    ...(consoleSize ? { consoleSize } : {}),
    ...echoedFields(o, tmpfs),
  };
}

/** Fields kept as given, for inspect to echo and create to act on (or warn about). */
function echoedFields(o: JsonObject, tmpfs: Record<string, string>): Partial<HostConfig> {
  const isolation = str(o, 'Isolation');
  if (isolation !== '' && isolation !== 'default')
    throw new InvalidArgumentError(
      `Invalid isolation: ${JSON.stringify(isolation)} - linux only supports 'default'`,
    );
  const rules = strList(o, 'DeviceCgroupRules');
  const annotations = strMap(o, 'Annotations');
  const requests = list(o, 'DeviceRequests').map(parseDeviceRequest);
  const blkio = {
    weight: blkioList(o, 'BlkioWeightDevice', 'Weight'),
    readBps: blkioList(o, 'BlkioDeviceReadBps', 'Rate'),
    writeBps: blkioList(o, 'BlkioDeviceWriteBps', 'Rate'),
    readIops: blkioList(o, 'BlkioDeviceReadIOps', 'Rate'),
    writeIops: blkioList(o, 'BlkioDeviceWriteIOps', 'Rate'),
  };
  return {
    ...(Object.keys(tmpfs).length > 0 ? { tmpfsAsGiven: tmpfs } : {}),
    ...(isolation ? { isolation } : {}),
    ...(str(o, 'VolumeDriver') ? { volumeDriver: str(o, 'VolumeDriver') } : {}),
    ...(rules.length > 0 ? { deviceCgroupRules: rules.map(checkDeviceCgroupRule) } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
    ...(str(o, 'CgroupParent') ? { cgroupParent: str(o, 'CgroupParent') } : {}),
    ...(Object.values(blkio).some((l) => l.length > 0) ? { blkioDeviceLimits: blkio } : {}),
    ...(requests.length > 0 ? { deviceRequests: requests } : {}),
  };
}

function blkioList(o: JsonObject, key: string, valueKey: string): BlkioDeviceLimit[] {
  return list(o, key).map((raw, i) => {
    const e = asObject(raw, `${key}[${i}]`);
    return {
      path: str(e, 'Path', `${key}[${i}].Path`),
      value: num(e, valueKey, `${key}[${i}].${valueKey}`),
    };
  });
}

/** dockerd's check (daemon/daemon_unix.go): "c|b|a <major|*>:<minor|*> [rwm]". */
function checkDeviceCgroupRule(rule: string): string {
  if (!/^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.test(rule))
    throw new InvalidArgumentError(`invalid device cgroup rule format: '${rule}'`);
  return rule;
}

function parseDeviceRequest(raw: unknown, i: number): DeviceRequest {
  const e = asObject(raw, `DeviceRequests[${i}]`);
  const caps = list(e, 'Capabilities', `DeviceRequests[${i}].Capabilities`).map((c, j) => {
    if (!Array.isArray(c) || !c.every((x): x is string => typeof x === 'string'))
      throw new InvalidArgumentError(`invalid value for DeviceRequests[${i}].Capabilities[${j}]`);
    return c;
  });
  return {
    driver: str(e, 'Driver', `DeviceRequests[${i}].Driver`),
    count: num(e, 'Count', `DeviceRequests[${i}].Count`),
    deviceIds: strList(e, 'DeviceIDs', `DeviceRequests[${i}].DeviceIDs`),
    capabilities: caps,
    options: strMap(e, 'Options', `DeviceRequests[${i}].Options`),
  };
}

export function parseRestartPolicy(o: JsonObject): RestartPolicy {
  const raw = str(o, 'Name', 'RestartPolicy.Name') || 'no';
  const max = num(o, 'MaximumRetryCount', 'RestartPolicy.MaximumRetryCount');
  if (!(RESTART_POLICIES as readonly string[]).includes(raw))
    throw new InvalidArgumentError(
      `invalid restart policy: unknown policy '${raw}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  const name = raw as RestartPolicy['name'];
  if (max < 0)
    throw new InvalidArgumentError(
      'invalid restart policy: maximum retry count cannot be negative',
    );
  if (max > 0 && name !== 'on-failure')
    throw new InvalidArgumentError(
      "invalid restart policy: maximum retry count can only be used with 'on-failure'",
    );
  return { name, maximumRetryCount: max };
}

function parsePortBindings(o: JsonObject): Record<string, PortBinding[]> {
  const out: Record<string, PortBinding[]> = {};
  for (const [port, raw] of Object.entries(o)) {
    const key = normalizePort(port);
    const bindings = raw === null ? [] : Array.isArray(raw) ? raw : undefined;
    if (!bindings)
      throw new InvalidArgumentError(`invalid value for PortBindings.${port}: expected a list`);
    out[key] = bindings.map((b: unknown) => {
      const e = asObject(b, `PortBindings.${port}`);
      const hostPort = str(e, 'HostPort', `PortBindings.${port}.HostPort`);
      if (hostPort !== '' && !/^\d+(-\d+)?$/.test(hostPort))
        throw new InvalidArgumentError(`invalid port specification: "${hostPort}"`);
      return { hostIp: str(e, 'HostIp', `PortBindings.${port}.HostIp`), hostPort };
    });
  }
  return out;
}

function parseUlimit(raw: unknown, i: number): Ulimit {
  if (!isObject(raw)) throw new InvalidArgumentError(`invalid value for Ulimits[${i}]`);
  const name = str(raw, 'Name', `Ulimits[${i}].Name`);
  if (!ULIMITS.includes(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
  const soft = num(raw, 'Soft', `Ulimits[${i}].Soft`);
  const hard = num(raw, 'Hard', `Ulimits[${i}].Hard`);
  if (soft > hard && hard !== -1)
    throw new InvalidArgumentError(
      `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`,
    );
  return { name, soft, hard };
}

function parseResources(o: JsonObject): Resources {
  const memory = num(o, 'Memory');
  if (memory !== 0 && memory < 6 * 1024 * 1024)
    throw new InvalidArgumentError('Minimum memory limit allowed is 6MB');
  const nanoCpus = num(o, 'NanoCpus');
  const cpuPeriod = num(o, 'CpuPeriod');
  const cpuQuota = num(o, 'CpuQuota');
  if (nanoCpus > 0 && cpuPeriod > 0)
    throw new InvalidArgumentError(
      'Conflicting options: Nano CPUs and CPU Period cannot both be set',
    );
  if (nanoCpus > 0 && cpuQuota > 0)
    throw new InvalidArgumentError(
      'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
    );
  if (nanoCpus < 0)
    throw new InvalidArgumentError('Range of CPUs is from 0.01 to the number of CPUs available');
  const swappiness = optNum(o, 'MemorySwappiness');
  return {
    memory,
    memorySwap: num(o, 'MemorySwap'),
    memoryReservation: num(o, 'MemoryReservation'),
    ...(swappiness !== undefined && swappiness !== -1 ? { memorySwappiness: swappiness } : {}),
    nanoCpus,
    cpuShares: num(o, 'CpuShares'),
    cpuPeriod,
    cpuQuota,
    cpusetCpus: str(o, 'CpusetCpus'),
    cpusetMems: str(o, 'CpusetMems'),
    pidsLimit: num(o, 'PidsLimit'),
    blkioWeight: num(o, 'BlkioWeight'),
    oomKillDisable: optBool(o, 'OomKillDisable') ?? false,
    devices: list(o, 'Devices').map(parseDevice),
  };
}

function parseDevice(raw: unknown, i: number): DeviceMapping {
  if (!isObject(raw)) throw new InvalidArgumentError(`invalid value for Devices[${i}]`);
  const pathOnHost = str(raw, 'PathOnHost', `Devices[${i}].PathOnHost`);
  return {
    pathOnHost,
    pathInContainer: str(raw, 'PathInContainer', `Devices[${i}].PathInContainer`) || pathOnHost,
    cgroupPermissions: str(raw, 'CgroupPermissions', `Devices[${i}].CgroupPermissions`) || 'rwm',
  };
}

function checkExtraHost(h: string): string {
  const sep = h.includes('=') ? '=' : ':';
  const i = h.indexOf(sep);
  if (i <= 0 || i === h.length - 1)
    throw new InvalidArgumentError(`invalid IP address in add-host: "${h}"`);
  return `${h.slice(0, i)}:${h.slice(i + 1)}`;
}
