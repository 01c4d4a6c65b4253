/**
 * Reads daemon.json (Docker's key names), validates every key, and merges it with defaults and
 * command-line flags. Unknown keys and bad values stop the daemon with a message naming them;
 * a missing file is fine (all defaults).
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, isNotFound, messageOf } from '../../errors.js';
import type { ConfigDefaults, DaemonConfig } from './daemon-config.js';
import { IGNORED_KEYS, SCHEMA, type ConfigPatch } from './schema.js';
import { DEFAULT_CDI_SPEC_DIRS } from '../../runtime/cdi/cdi-registry.js';

export interface LoadedConfig {
  readonly config: DaemonConfig;
  /** Keys accepted for compatibility but without effect here (logged at startup). */
  readonly ignoredKeys: readonly string[];
}

export async function loadDaemonConfig(
  defaults: ConfigDefaults,
  flags: ConfigPatch = {},
): Promise<LoadedConfig> {
  const file = flags.configFile ?? defaults.configFile;
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (!isNotFound(e))
      throw new InvalidArgumentError(
        `unable to read daemon configuration file ${file}: ${messageOf(e)}`,
      );
  }
  const { patch, ignoredKeys } =
    text === undefined ? { patch: {}, ignoredKeys: [] } : parseDaemonJson(text, file);
  const conflicting = Object.keys(flags).filter((k) => k !== 'configFile' && k in patch);
  if (conflicting.length > 0)
    throw new InvalidArgumentError(
      `unable to configure the daemon with file ${file}: the following directives are specified both as a flag and in the configuration file: ${conflicting.join(', ')}`,
    );
  return { config: { ...baseConfig(defaults), ...patch, ...flags, configFile: file }, ignoredKeys };
}

export function parseDaemonJson(
  text: string,
  file: string,
): { patch: ConfigPatch; ignoredKeys: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new InvalidArgumentError(
      `unable to configure the daemon with file ${file}: ${messageOf(e)}`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidArgumentError(
      `unable to configure the daemon with file ${file}: the file must hold a JSON object`,
    );
  const entries = Object.entries(raw);
  const unknown = entries
    .map(([k]) => k)
    .filter((k) => !Object.hasOwn(SCHEMA, k) && !IGNORED_KEYS.has(k));
  if (unknown.length > 0)
    throw new InvalidArgumentError(
      `unable to configure the daemon with file ${file}: the following directives don't match any configuration option: ${unknown.join(', ')}`,
    );
  let patch: ConfigPatch = {};
  const ignoredKeys: string[] = [];
  for (const [key, value] of entries) {
    // Own keys only: "toString" or "__proto__" must not reach Object.prototype's members.
    const parser = Object.hasOwn(SCHEMA, key) ? SCHEMA[key] : undefined;
    if (!parser) {
      ignoredKeys.push(key);
      continue;
    }
    try {
      patch = mergePatch(patch, parser(value, key));
    } catch (e) {
      throw new InvalidArgumentError(
        `unable to configure the daemon with file ${file}: ${messageOf(e)}`,
      );
    }
  }
  return { patch, ignoredKeys };
}

/** tls* keys combine into one TlsConfig; everything else is last-wins. */
function mergePatch(a: ConfigPatch, b: ConfigPatch): ConfigPatch {
  const merged = { ...a, ...b };
  if (a.tls && b.tls) merged.tls = { ...a.tls, ...b.tls, verify: a.tls.verify || b.tls.verify };
  return merged;
}

function baseConfig(d: ConfigDefaults): Omit<DaemonConfig, 'configFile'> {
  return {
    dataRoot: d.dataRoot,
    execRoot: d.execRoot,
    hosts: [`unix://${d.socketPath}`],
    logLevel: 'info',
    insecureRegistries: [],
    registryMirrors: [],
    maxConcurrentDownloads: 3,
    maxConcurrentUploads: 5,
    maxDownloadAttempts: 5,
    dns: [],
    dnsSearch: [],
    dnsOptions: [],
    defaultAddressPools: [],
    liveRestore: false,
    logDriver: 'json-file',
    logOpts: {},
    noNewPrivileges: false,
    init: false,
    defaultShmSize: 64 * 1024 * 1024,
    experimental: false,
    labels: [],
    shutdownTimeout: 15,
    defaultUlimits: {},
    allowHostLoopback: false,
    usernsMode: '',
    cdiSpecDirs: DEFAULT_CDI_SPEC_DIRS,
  };
}
