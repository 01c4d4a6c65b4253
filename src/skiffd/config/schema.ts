/**
 * daemon.json keys, with Docker's names (https://docs.docker.com/reference/cli/dockerd/#daemon-configuration-file),
 * each mapped to a validator that yields part of DaemonConfig. A key that is not here stops the
 * daemon with a message naming it, as dockerd does.
 */
import { isIP } from 'node:net';
import type { Level } from 'pino';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import { parseUsernsMode } from '../../runtime/spec/keep-id-mappings.js';
import type { AddressPool, DaemonConfig, LogDriverName } from './daemon-config.js';
import { parseByteSize } from '../../byte-size.js';
import {
  asAbsolutePath,
  asBoolean,
  asEnum,
  asInt,
  asString,
  asStringArray,
  asStringRecord,
} from './value-parsers.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type ConfigPatch = Partial<Mutable<DaemonConfig>>;
type KeyParser = (value: unknown, key: string) => ConfigPatch;

const LEVELS: readonly Level[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const LOG_DRIVERS: readonly LogDriverName[] = ['json-file', 'local', 'none'];

/** Keys Docker knows that have no effect in a rootless engine: accepted, ignored, logged. */
export const IGNORED_KEYS: ReadonlySet<string> = new Set([
  'experimental-features',
  'features',
  'icc',
  'iptables',
  'ip6tables',
  'ip-forward',
  'ip-masq',
  'userland-proxy',
  'userland-proxy-path',
  'ip',
  'ipv6',
  'fixed-cidr',
  'fixed-cidr-v6',
  'bip',
  'default-gateway',
  'exec-opts',
  'cgroup-parent',
  'default-cgroupns-mode',
  'storage-opts',
  'group',
  'pidfile',
  'oom-score-adjust',
  'selinux-enabled',
  'userns-remap',
  'max-download-attempts-per-layer',
]);

export const SCHEMA: Readonly<Record<string, KeyParser>> = {
  'data-root': (v, k) => ({ dataRoot: asAbsolutePath(v, k) }),
  'exec-root': (v, k) => ({ execRoot: asAbsolutePath(v, k) }),
  hosts: (v, k) => ({ hosts: asStringArray(v, k) }),
  'log-level': (v, k) => ({ logLevel: asEnum(v, k, LEVELS) }),
  debug: (v, k) => (asBoolean(v, k) ? { logLevel: 'debug' } : {}),
  'storage-driver': (v, k) => {
    const d = asEnum(v, k, ['overlay2', 'overlay', 'fuse-overlayfs', 'vfs'] as const);
    return { storageDriver: d === 'overlay' ? 'overlay2' : d };
  },
  'default-runtime': (v, k) => ({ runtime: asEnum(v, k, ['runc', 'crun'] as const) }),
  runtime: (v, k) => ({ runtime: asEnum(v, k, ['runc', 'crun'] as const) }),
  'insecure-registries': (v, k) => ({ insecureRegistries: asStringArray(v, k) }),
  'registry-mirrors': (v, k) => ({
    registryMirrors: asStringArray(v, k).map((m) => checkMirror(m, k)),
  }),
  'max-concurrent-downloads': (v, k) => ({ maxConcurrentDownloads: asInt(v, k, 1, 64) }),
  'max-concurrent-uploads': (v, k) => ({ maxConcurrentUploads: asInt(v, k, 1, 64) }),
  'max-download-attempts': (v, k) => ({ maxDownloadAttempts: asInt(v, k, 1, 100) }),
  dns: (v, k) => ({ dns: asStringArray(v, k) }),
  'dns-search': (v, k) => ({ dnsSearch: asStringArray(v, k) }),
  'dns-opts': (v, k) => ({ dnsOptions: asStringArray(v, k) }),
  'default-address-pools': (v, k) => ({ defaultAddressPools: parsePools(v, k) }),
  'live-restore': (v, k) => ({ liveRestore: asBoolean(v, k) }),
  'log-driver': (v, k) => ({ logDriver: asEnum(v, k, LOG_DRIVERS) }),
  'log-opts': (v, k) => ({ logOpts: checkLogOpts(asStringRecord(v, k), k) }),
  'seccomp-profile': (v, k) => ({ seccompProfile: asString(v, k) }),
  'no-new-privileges': (v, k) => ({ noNewPrivileges: asBoolean(v, k) }),
  init: (v, k) => ({ init: asBoolean(v, k) }),
  'init-path': (v, k) => ({ initPath: asAbsolutePath(v, k) }),
  'default-shm-size': (v, k) => ({ defaultShmSize: parseByteSize(asString(v, k), k) }),
  mtu: (v, k) => ({ mtu: asInt(v, k, 68, 65535) }),
  experimental: (v, k) => ({ experimental: asBoolean(v, k) }),
  labels: (v, k) => ({ labels: asStringArray(v, k) }),
  'shutdown-timeout': (v, k) => ({ shutdownTimeout: asInt(v, k, 0, 3600) }),
  'default-ulimits': (v, k) => ({ defaultUlimits: parseUlimits(v, k) }),
  'host-gateway-ip': (v, k) => ({ hostGatewayIp: checkIp(asString(v, k), k) }),
  // skiff's own key: Docker configures this through DOCKERD_ROOTLESS_ROOTLESSKIT_DISABLE_HOST_LOOPBACK.
  'allow-host-loopback': (v, k) => ({ allowHostLoopback: asBoolean(v, k) }),
  // skiff's key (dockerd has only `userns-remap`): "keep-id" for containers created without --userns.
  'userns-mode': (v, k) => ({ usernsMode: checkUsernsMode(asString(v, k), k) }),
  'cdi-spec-dirs': (v, k) => ({
    cdiSpecDirs: asStringArray(v, k).map((d, i) => asAbsolutePath(d, `${k}[${i}]`)),
  }),
  tls: (v, k) => (asBoolean(v, k) ? { tls: { verify: false } } : {}),
  tlsverify: (v, k) => (asBoolean(v, k) ? { tls: { verify: true } } : {}),
  tlscacert: (v, k) => ({ tls: { verify: true, ca: asAbsolutePath(v, k) } }),
  tlscert: (v, k) => ({ tls: { verify: false, cert: asAbsolutePath(v, k) } }),
  tlskey: (v, k) => ({ tls: { verify: false, key: asAbsolutePath(v, k) } }),
};

function checkIp(ip: string, key: string): string {
  if (isIP(ip) === 0)
    throw new InvalidArgumentError(`invalid value for "${key}": invalid IP address: ${ip}`);
  return ip;
}

function checkUsernsMode(mode: string, key: string): string {
  try {
    parseUsernsMode(mode);
  } catch (e) {
    throw new InvalidArgumentError(`invalid value for "${key}": ${messageOf(e)}`);
  }
  return mode;
}

function checkMirror(m: string, key: string): string {
  let url: URL;
  try {
    url = new URL(m);
  } catch {
    throw new InvalidArgumentError(
      `invalid value for "${key}": invalid mirror: "${m}" is not a valid URI`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new InvalidArgumentError(
      `invalid value for "${key}": invalid mirror: unsupported scheme "${url.protocol}" in "${m}"`,
    );
  return m.replace(/\/+$/, '');
}

function parsePools(v: unknown, key: string): AddressPool[] {
  if (!Array.isArray(v))
    throw new InvalidArgumentError(
      `invalid value for "${key}": expected a list of {"base","size"}`,
    );
  return v.map((p: unknown, i) => {
    if (typeof p !== 'object' || p === null)
      throw new InvalidArgumentError(`invalid value for "${key}[${i}]"`);
    const rec = p as Record<string, unknown>;
    const base = asString(rec['base'], `${key}[${i}].base`);
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(base))
      throw new InvalidArgumentError(`invalid value for "${key}[${i}].base": ${base}`);
    return { base, size: asInt(rec['size'], `${key}[${i}].size`, 1, 32) };
  });
}

function checkLogOpts(opts: Record<string, string>, key: string): Record<string, string> {
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'max-size') parseByteSize(v, `${key}.max-size`);
    else if (k === 'max-file') asInt(Number(v), `${key}.max-file`, 1, 1000);
    else if (!['compress', 'mode', 'max-buffer-size', 'labels', 'env', 'tag'].includes(k))
      throw new InvalidArgumentError(`invalid value for "${key}": unknown log opt '${k}'`);
  }
  return opts;
}

function parseUlimits(v: unknown, key: string): Record<string, { soft: number; hard: number }> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InvalidArgumentError(`invalid value for "${key}"`);
  const out: Record<string, { soft: number; hard: number }> = {};
  for (const [name, raw] of Object.entries(v)) {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw new InvalidArgumentError(
        `invalid value for "${key}.${name}": expected {"Soft": n, "Hard": n}`,
      );
    const r = raw as Record<string, unknown>;
    out[name] = {
      soft: asInt(r['Soft'], `${key}.${name}.Soft`, -1),
      hard: asInt(r['Hard'], `${key}.${name}.Hard`, -1),
    };
  }
  return out;
}
