/**
 * The query string and headers of `POST /build` as dockerd reads them (api/server/router/build):
 * JSON-encoded maps for buildargs, labels and cachefrom, booleans as httputils does, and
 * dockerd's refusals for what the classic builder cannot do.
 */
import { InvalidArgumentError, NotImplementedError } from '../../errors.js';
import type { BuildOptions, StepResources } from '../../build/build-options.js';
import { parseReference } from '../../image/reference.js';
import { parseAuthConfig, type Credentials } from '../../registry/credentials.js';
import { qBool, qBoolDefault, qInt } from './query.js';

/** The query's resource limits and the HostConfig fields dockerd gives its step containers. */
const RESOURCE_FIELDS: readonly (readonly [
  string,
  'Memory' | 'MemorySwap' | 'CpuShares' | 'CpuPeriod' | 'CpuQuota',
])[] = [
  ['memory', 'Memory'],
  ['memswap', 'MemorySwap'],
  ['cpushares', 'CpuShares'],
  ['cpuperiod', 'CpuPeriod'],
  ['cpuquota', 'CpuQuota'],
];

export function parseBuildQuery(
  q: URLSearchParams,
  registryConfigHeader: string | undefined,
): BuildOptions {
  if (q.get('version') === '2')
    throw new InvalidArgumentError(
      'buildkit not supported by daemon: skiff has only the classic builder (unset DOCKER_BUILDKIT or set it to 0)',
    );
  if (qBool(q, 'squash'))
    throw new InvalidArgumentError('squash is only supported with experimental mode');
  const outputs = q.get('outputs');
  if (outputs && outputs !== '[]' && outputs !== 'null')
    throw new NotImplementedError(
      'the classic builder does not support exporting outputs (--output); it only builds images',
    );
  const tags = q.getAll('t').filter((t) => t !== '');
  for (const t of tags) {
    const ref = parseReference(t);
    if (ref.digest) throw new InvalidArgumentError(`invalid reference format: ${t} has a digest`);
  }
  const resources: StepResources = {};
  for (const [key, field] of RESOURCE_FIELDS) {
    const v = qInt(q, key);
    if (v !== undefined && v !== 0) resources[field] = v;
  }
  const cpusetCpus = q.get('cpusetcpus');
  if (cpusetCpus) resources.CpusetCpus = cpusetCpus;
  const cpusetMems = q.get('cpusetmems');
  if (cpusetMems) resources.CpusetMems = cpusetMems;
  const shmSize = qInt(q, 'shmsize') ?? 0;
  if (shmSize < 0) throw new InvalidArgumentError('SHM size can not be less than 0');
  const platform = q.get('platform') ?? '';
  const target = q.get('target') ?? '';
  const remote = q.get('remote') ?? '';
  return {
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    tags,
    ...(remote ? { remote } : {}),
    quiet: qBool(q, 'q'),
    noCache: qBool(q, 'nocache'),
    cacheFrom: jsonStrings(q.get('cachefrom'), 'cachefrom'),
    pull: qBool(q, 'pull'),
    remove: qBoolDefault(q, 'rm', true),
    forceRemove: qBool(q, 'forcerm'),
    buildArgs: jsonMap(q.get('buildargs'), 'buildargs', true),
    labels: jsonMap(q.get('labels'), 'labels', false) as Record<string, string>,
    networkMode: q.get('networkmode') || 'default',
    extraHosts: q
      .getAll('extrahosts')
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter((v) => v !== ''),
    shmSize,
    ...(platform ? { platform } : {}),
    ...(target ? { target } : {}),
    resources,
    registryAuth: registryConfig(registryConfigHeader),
  };
}

function parseJson(raw: string, field: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new InvalidArgumentError(
      `failed to parse ${field}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function jsonStrings(raw: string | null, field: string): string[] {
  if (!raw) return [];
  const v = parseJson(raw, field);
  if (v === null) return [];
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string'))
    throw new InvalidArgumentError(`failed to parse ${field}: expected a JSON array of strings`);
  return v;
}

function jsonMap(
  raw: string | null,
  field: string,
  nullable: boolean,
): Record<string, string | undefined> {
  if (!raw) return {};
  const v = parseJson(raw, field);
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw new InvalidArgumentError(`failed to parse ${field}: expected a JSON object`);
  const out: Record<string, string | undefined> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string') out[k] = x;
    else if (x === null && nullable) out[k] = undefined;
    else throw new InvalidArgumentError(`failed to parse ${field}: ${k} is not a string`);
  }
  return out;
}

/** `X-Registry-Config`: base64url JSON of {registry: AuthConfig}; unreadable means no credentials, as dockerd. */
function registryConfig(header: string | undefined): Record<string, Credentials> {
  if (!header) return {};
  const text = Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof o !== 'object' || o === null) return {};
  const out: Record<string, Credentials> = {};
  for (const [registry, conf] of Object.entries(o as Record<string, unknown>)) {
    const c = parseAuthConfig(JSON.stringify(conf));
    if (c) out[registry] = c;
  }
  return out;
}
