/**
 * The image configuration (OCI image-spec config.md / Docker's image JSON), parsed into our
 * camelCase type; the raw bytes stay in the content store (their digest is the image id).
 */
import { InvalidArgumentError } from '../errors.js';

/** HEALTHCHECK as the image config holds it (durations in nanoseconds). */
export interface ImageHealthcheck {
  readonly test: readonly string[];
  readonly interval: number;
  readonly timeout: number;
  readonly startPeriod: number;
  readonly startInterval: number;
  readonly retries: number;
}

export interface HistoryEntry {
  readonly created?: string;
  readonly createdBy?: string;
  readonly author?: string;
  readonly comment?: string;
  readonly emptyLayer?: boolean;
}

export interface ImageRuntimeConfig {
  readonly user: string;
  readonly exposedPorts: readonly string[];
  readonly env: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly volumes: readonly string[];
  readonly workingDir: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly stopSignal?: string;
  readonly healthcheck?: ImageHealthcheck;
  readonly shell?: readonly string[];
  readonly onBuild?: readonly string[];
  readonly argsEscaped?: boolean;
}

/** A config with nothing set: `docker import` without changes, `FROM scratch`. */
export const EMPTY_RUNTIME_CONFIG: ImageRuntimeConfig = {
  user: '',
  exposedPorts: [],
  env: [],
  volumes: [],
  workingDir: '',
  labels: {},
};

export interface ImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly variant?: string;
  readonly created?: string;
  readonly author?: string;
  readonly config: ImageRuntimeConfig;
  readonly diffIds: readonly string[];
  readonly history: readonly HistoryEntry[];
  /** Docker's extras (container, docker_version, comment...), kept for inspect. */
  readonly comment?: string;
  readonly dockerVersion?: string;
  /** The classic builder's record of the step's container (id and config). */
  readonly container?: string;
  readonly containerConfig?: ImageRuntimeConfig;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] | undefined =>
  Array.isArray(v)
    ? v.filter((x): x is string => typeof x === 'string')
    : typeof v === 'string'
      ? [v]
      : undefined;
const keys = (v: unknown): string[] => (typeof v === 'object' && v !== null ? Object.keys(v) : []);

export function parseImageConfig(bytes: Buffer): ImageConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new InvalidArgumentError('image config is not valid JSON');
  }
  if (typeof raw !== 'object' || raw === null)
    throw new InvalidArgumentError('image config is not an object');
  const o = raw as Record<string, unknown>;
  const c = (typeof o['config'] === 'object' && o['config'] !== null ? o['config'] : {}) as Record<
    string,
    unknown
  >;
  const rootfs = (
    typeof o['rootfs'] === 'object' && o['rootfs'] !== null ? o['rootfs'] : {}
  ) as Record<string, unknown>;
  const hc = c['Healthcheck'] as Record<string, unknown> | undefined;
  const labels: Record<string, string> = {};
  if (typeof c['Labels'] === 'object' && c['Labels'] !== null)
    for (const [k, v] of Object.entries(c['Labels'])) if (typeof v === 'string') labels[k] = v;
  const entrypoint = strs(c['Entrypoint']);
  const cmd = strs(c['Cmd']);
  const stopSignal = str(c['StopSignal']);
  const shell = strs(c['Shell']);
  const onBuild = strs(c['OnBuild']);
  return {
    architecture: str(o['architecture']) ?? '',
    os: str(o['os']) ?? '',
    ...(str(o['variant']) ? { variant: str(o['variant']) ?? '' } : {}),
    ...(str(o['created']) ? { created: str(o['created']) ?? '' } : {}),
    ...(str(o['author']) ? { author: str(o['author']) ?? '' } : {}),
    ...(str(o['comment']) ? { comment: str(o['comment']) ?? '' } : {}),
    ...(str(o['docker_version']) ? { dockerVersion: str(o['docker_version']) ?? '' } : {}),
    config: {
      user: str(c['User']) ?? '',
      exposedPorts: keys(c['ExposedPorts']),
      env: strs(c['Env']) ?? [],
      ...(entrypoint ? { entrypoint } : {}),
      ...(cmd ? { cmd } : {}),
      volumes: keys(c['Volumes']),
      workingDir: str(c['WorkingDir']) ?? '',
      labels,
      ...(stopSignal ? { stopSignal } : {}),
      ...(hc && Array.isArray(hc['Test'])
        ? {
            healthcheck: {
              test: strs(hc['Test']) ?? [],
              interval: Number(hc['Interval'] ?? 0),
              timeout: Number(hc['Timeout'] ?? 0),
              startPeriod: Number(hc['StartPeriod'] ?? 0),
              startInterval: Number(hc['StartInterval'] ?? 0),
              retries: Number(hc['Retries'] ?? 0),
            },
          }
        : {}),
      ...(shell ? { shell } : {}),
      ...(onBuild ? { onBuild } : {}),
    },
    diffIds: strs(rootfs['diff_ids']) ?? [],
    history: Array.isArray(o['history'])
      ? o['history'].map((h: unknown) => {
          const e = (typeof h === 'object' && h !== null ? h : {}) as Record<string, unknown>;
          return {
            ...(str(e['created']) ? { created: str(e['created']) ?? '' } : {}),
            ...(str(e['created_by']) ? { createdBy: str(e['created_by']) ?? '' } : {}),
            ...(str(e['author']) ? { author: str(e['author']) ?? '' } : {}),
            ...(str(e['comment']) ? { comment: str(e['comment']) ?? '' } : {}),
            ...(e['empty_layer'] === true ? { emptyLayer: true } : {}),
          };
        })
      : [],
  };
}

/** Docker's JSON for a runtime config (used in image configs and in inspect's `Config`). */
export function runtimeConfigJson(c: ImageRuntimeConfig): Record<string, unknown> {
  return {
    User: c.user,
    ExposedPorts:
      c.exposedPorts.length > 0
        ? Object.fromEntries(c.exposedPorts.map((p) => [p, {}]))
        : undefined,
    Env: c.env,
    Entrypoint: c.entrypoint ?? null,
    Cmd: c.cmd ?? null,
    Volumes: c.volumes.length > 0 ? Object.fromEntries(c.volumes.map((v) => [v, {}])) : null,
    WorkingDir: c.workingDir,
    Labels: Object.keys(c.labels).length > 0 ? c.labels : null,
    ...(c.stopSignal ? { StopSignal: c.stopSignal } : {}),
    ...(c.healthcheck
      ? {
          Healthcheck: {
            Test: c.healthcheck.test,
            Interval: c.healthcheck.interval,
            Timeout: c.healthcheck.timeout,
            StartPeriod: c.healthcheck.startPeriod,
            StartInterval: c.healthcheck.startInterval,
            Retries: c.healthcheck.retries,
          },
        }
      : {}),
    ...(c.shell ? { Shell: c.shell } : {}),
    OnBuild: c.onBuild ?? null,
  };
}

/** A full image config blob (for commit and import). */
export function serializeImageConfig(c: ImageConfig): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: c.architecture,
      os: c.os,
      ...(c.variant ? { variant: c.variant } : {}),
      ...(c.created ? { created: c.created } : {}),
      ...(c.author ? { author: c.author } : {}),
      ...(c.comment ? { comment: c.comment } : {}),
      config: runtimeConfigJson(c.config),
      ...(c.container ? { container: c.container } : {}),
      ...(c.containerConfig ? { container_config: runtimeConfigJson(c.containerConfig) } : {}),
      rootfs: { type: 'layers', diff_ids: c.diffIds },
      history: c.history.map((h) => ({
        ...(h.created ? { created: h.created } : {}),
        ...(h.createdBy ? { created_by: h.createdBy } : {}),
        ...(h.author ? { author: h.author } : {}),
        ...(h.comment ? { comment: h.comment } : {}),
        ...(h.emptyLayer ? { empty_layer: true } : {}),
      })),
    }),
  );
}
