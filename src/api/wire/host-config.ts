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
  goInt,
  isObject,
  list,
  num,
  optBool,
  optGoInt,
  str,
  strList,
  strMap,
  type GoField,
  type GoIntType,
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
  const shmSize = goInt(o, 'ShmSize', { path: 'HostConfig.HostConfig.ShmSize', type: 'int64' });
  if (shmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  const oomScoreAdj = goInt(o, 'OomScoreAdj', {
    path: 'HostConfig.HostConfig.OomScoreAdj',
    type: 'int',
  });
  // dockerd 28, verifyPlatformContainerSettings (daemon/daemon_unix.go).
  if (oomScoreAdj < -1000 || oomScoreAdj > 1000)
    throw new InvalidArgumentError(
      `Invalid value ${oomScoreAdj}, range for oom score adj is [-1000, 1000]`,
    );
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
    oomScoreAdj,
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

/** dockerd 28's ValidateRestartPolicy (api/types/container/hostconfig.go), with its words. */
export function parseRestartPolicy(
  o: JsonObject,
  maxPath = 'RestartPolicy.HostConfig.RestartPolicy.MaximumRetryCount',
): RestartPolicy {
  const raw = str(o, 'Name', 'RestartPolicy.Name');
  const max = goInt(o, 'MaximumRetryCount', { path: maxPath, type: 'int' });
  // Before v25 an empty name was the default; dockerd still takes it with any count.
  if (raw === '') return { name: 'no', maximumRetryCount: 0 };
  if (!(RESTART_POLICIES as readonly string[]).includes(raw))
    throw new InvalidArgumentError(
      `invalid restart policy: unknown policy '${raw}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  const name = raw as RestartPolicy['name'];
  if (name !== 'on-failure' && max !== 0)
    throw new InvalidArgumentError(
      "invalid restart policy: maximum retry count can only be used with 'on-failure'" +
        (max < 0 ? ' and cannot be negative' : ''),
    );
  if (max < 0)
    throw new InvalidArgumentError(
      'invalid restart policy: maximum retry count cannot be negative',
    );
  return { name, maximumRetryCount: max };
}

function parsePortBindings(o: JsonObject): Record<string, PortBinding[]> {
  const out: Record<string, PortBinding[]> = {};
  for (const [port, raw] of Object.entries(o)) {
    const containerPort = splitProtoPort(port);
    if (containerPort !== '' && parseUint16(containerPort) === undefined)
      throw new InvalidArgumentError(`invalid port specification: "${containerPort}"`);
    const key = normalizePort(port);
    const bindings = raw === null ? [] : Array.isArray(raw) ? raw : undefined;
    if (!bindings)
      throw new InvalidArgumentError(`invalid value for PortBindings.${port}: expected a list`);
    out[key] = bindings.map((b: unknown) => {
      const e = asObject(b, `PortBindings.${port}`);
      const hostPort = str(e, 'HostPort', `PortBindings.${port}.HostPort`);
      if (!validHostPort(hostPort))
        throw new InvalidArgumentError(`invalid port specification: "${hostPort}"`);
      // dockerd ignores a `/proto` on a HostPort (`80/udp` binds 80): keep the port only.
      return {
        hostIp: str(e, 'HostIp', `PortBindings.${port}.HostIp`),
        hostPort: splitProtoPort(hostPort),
      };
    });
  }
  return out;
}

/** go-connections nat.SplitProtoPort: the port part of `port[/proto]`. */
function splitProtoPort(raw: string): string {
  return raw.split('/')[0] ?? '';
}

/** Go's strconv.ParseUint(s, 10, 16): digits only, at most 65535. */
function parseUint16(s: string): number | undefined {
  if (!/^\d+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/**
 * dockerd 28's validatePortBindings: a HostPort is `nat.NewPort(nat.SplitProtoPort(p))`, so
 * empty, a port, or a `start-end` range (end ≥ start), with an optional `/proto`.
 */
function validHostPort(hostPort: string): boolean {
  const p = splitProtoPort(hostPort);
  if (p === '') return true;
  if (!p.includes('-')) return parseUint16(p) !== undefined;
  const [a = '', b = ''] = p.split('-');
  const start = parseUint16(a);
  const end = parseUint16(b);
  return start !== undefined && end !== undefined && end >= start;
}

function parseUlimit(raw: unknown, i: number): Ulimit {
  if (!isObject(raw)) throw new InvalidArgumentError(`invalid value for Ulimits[${i}]`);
  const name = str(raw, 'Name', `Ulimits[${i}].Name`);
  if (!ULIMITS.includes(name)) throw new InvalidArgumentError(`invalid ulimit type: ${name}`);
  const at = (k: string): GoField => ({
    path: `Ulimit.HostConfig.Resources.Ulimits.${k}`,
    type: 'int64',
  });
  const soft = goInt(raw, 'Soft', at('Soft'));
  const hard = goInt(raw, 'Hard', at('Hard'));
  if (soft > hard && hard !== -1)
    throw new InvalidArgumentError(
      `ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`,
    );
  return { name, soft, hard };
}

/** Where dockerd's decoder finds a field of `Resources`, for its error messages. */
type GoPath = (key: string, type?: GoIntType) => GoField;

/** `POST /containers/create`: the body is a CreateRequest, HostConfig embeds Resources. */
const CREATE_PATH: GoPath = (key, type = 'int64') => ({
  path: `HostConfig.HostConfig.Resources.${key}`,
  type,
});
/** `POST /containers/{id}/update`: the body is an UpdateConfig, which embeds Resources. */
const UPDATE_PATH: GoPath = (key, type = 'int64') => ({
  path: `UpdateConfig.Resources.${key}`,
  type,
});

/** The integer fields of Resources that skiff keeps: JSON key, ours, Go type. */
const RESOURCE_INTS = [
  ['Memory', 'memory', 'int64'],
  ['MemorySwap', 'memorySwap', 'int64'],
  ['MemoryReservation', 'memoryReservation', 'int64'],
  ['NanoCpus', 'nanoCpus', 'int64'],
  ['CpuShares', 'cpuShares', 'int64'],
  ['CpuPeriod', 'cpuPeriod', 'int64'],
  ['CpuQuota', 'cpuQuota', 'int64'],
  ['PidsLimit', 'pidsLimit', 'int64'],
  ['BlkioWeight', 'blkioWeight', 'uint16'],
] as const;

type ResourceInts = Record<(typeof RESOURCE_INTS)[number][1], number>;

function parseResourceInts(o: JsonObject, at: GoPath): Partial<ResourceInts> {
  const out: Partial<ResourceInts> = {};
  for (const [key, ours, type] of RESOURCE_INTS) {
    const v = optGoInt(o, key, at(key, type));
    if (v !== undefined) out[ours] = v;
  }
  // Not kept, but typed by dockerd's decoder all the same.
  for (const key of ['CpuRealtimePeriod', 'CpuRealtimeRuntime', 'KernelMemory', 'CpuCount'])
    optGoInt(o, key, at(key));
  return out;
}

/**
 * The checks of dockerd 28's verifyPlatformContainerResources (daemon/daemon_unix.go) that need
 * no host facts, with its words. `update` as dockerd: swap without memory is then allowed.
 * The number of CPUs is the daemon's to check (checkNanoCpus).
 */
export function checkResources(r: Partial<ResourceInts>, update: boolean): void {
  const memory = r.memory ?? 0;
  const swap = r.memorySwap ?? 0;
  const reservation = r.memoryReservation ?? 0;
  const nanoCpus = r.nanoCpus ?? 0;
  const period = r.cpuPeriod ?? 0;
  const quota = r.cpuQuota ?? 0;
  const blkio = r.blkioWeight ?? 0;
  const fail = (m: string): never => {
    throw new InvalidArgumentError(m);
  };
  if (memory !== 0 && memory < MIN_MEMORY) fail('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap > 0 && swap < memory)
    fail('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (memory === 0 && swap > 0 && !update)
    fail('You should always set the Memory limit when using Memoryswap limit, see usage');
  if (reservation > 0 && reservation < MIN_MEMORY)
    fail('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation)
    fail('Minimum memory limit can not be less than memory reservation limit, see usage');
  if (nanoCpus > 0 && period > 0)
    fail('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nanoCpus > 0 && quota > 0)
    fail('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (period !== 0 && (period < 1000 || period > 1_000_000))
    fail('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  if (quota > 0 && quota < 1000) fail('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if (blkio > 0 && (blkio < 10 || blkio > 1000)) fail('Range of blkio weight is from 10 to 1000');
}

/** dockerd's linuxMinMemory (daemon/daemon_unix.go): 6 MiB. */
const MIN_MEMORY = 6 * 1024 * 1024;

function parseResources(o: JsonObject): Resources {
  const ints = parseResourceInts(o, CREATE_PATH);
  checkResources(ints, false);
  const swappiness = optGoInt(o, 'MemorySwappiness', CREATE_PATH('MemorySwappiness'));
  return {
    memory: ints.memory ?? 0,
    memorySwap: ints.memorySwap ?? 0,
    memoryReservation: ints.memoryReservation ?? 0,
    ...(swappiness !== undefined && swappiness !== -1 ? { memorySwappiness: swappiness } : {}),
    nanoCpus: ints.nanoCpus ?? 0,
    cpuShares: ints.cpuShares ?? 0,
    cpuPeriod: ints.cpuPeriod ?? 0,
    cpuQuota: ints.cpuQuota ?? 0,
    cpusetCpus: str(o, 'CpusetCpus'),
    cpusetMems: str(o, 'CpusetMems'),
    pidsLimit: ints.pidsLimit ?? 0,
    blkioWeight: ints.blkioWeight ?? 0,
    oomKillDisable: optBool(o, 'OomKillDisable') ?? false,
    devices: list(o, 'Devices').map(parseDevice),
  };
}

/**
 * The body of `POST /containers/{id}/update` (an UpdateConfig): the resource fields it sets,
 * checked as dockerd checks them, and its restart policy when it names one. As dockerd, a
 * PidsLimit of 0 or below means "unlimited" (0).
 */
export function parseUpdateBody(body: JsonObject): {
  resources: Partial<ResourceInts>;
  restartPolicy?: RestartPolicy;
} {
  const resources = parseResourceInts(body, UPDATE_PATH);
  optGoInt(body, 'MemorySwappiness', UPDATE_PATH('MemorySwappiness'));
  checkResources(resources, true);
  if (resources.pidsLimit !== undefined && resources.pidsLimit < 0) resources.pidsLimit = 0;
  const policy = asObject(body['RestartPolicy'], 'RestartPolicy');
  // The CLI sends `{"Name": ""}` when --restart is not given: no change, as dockerd.
  const restartPolicy =
    str(policy, 'Name', 'RestartPolicy.Name') !== ''
      ? parseRestartPolicy(policy, 'RestartPolicy.RestartPolicy.MaximumRetryCount')
      : undefined;
  return { resources, ...(restartPolicy ? { restartPolicy } : {}) };
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
