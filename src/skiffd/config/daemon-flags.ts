/**
 * The daemon's command-line flags (shared by `skiff daemon` and skiffd), with dockerd's names
 * where dockerd has one. Flags win over daemon.json only when the key is absent there: as
 * dockerd, a key given both ways is an error.
 */
import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../../errors.js';
import type { ConfigPatch } from './schema.js';
import { SCHEMA } from './schema.js';

export interface DaemonFlags {
  readonly patch: ConfigPatch;
  readonly holderPid?: number;
}

const OPTIONS = {
  'data-root': { type: 'string' },
  'exec-root': { type: 'string' },
  'config-file': { type: 'string' },
  host: { type: 'string', short: 'H', multiple: true },
  'log-level': { type: 'string', short: 'l' },
  debug: { type: 'boolean', short: 'D' },
  'storage-driver': { type: 'string', short: 's' },
  'default-runtime': { type: 'string' },
  'insecure-registry': { type: 'string', multiple: true },
  'registry-mirror': { type: 'string', multiple: true },
  'live-restore': { type: 'boolean' },
  experimental: { type: 'boolean' },
  'cdi-spec-dir': { type: 'string', multiple: true },
  'holder-pid': { type: 'string' },
} as const;

export function parseDaemonFlags(argv: readonly string[]): DaemonFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: false,
      strict: true,
    }));
  } catch (e) {
    throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
  }
  const patch: ConfigPatch = {};
  const apply = (key: string, value: unknown): void => {
    const parser = SCHEMA[key];
    if (!parser) throw new InvalidArgumentError(`unknown flag --${key}`);
    Object.assign(patch, parser(value, `--${key}`));
  };
  if (values['data-root'] !== undefined) apply('data-root', values['data-root']);
  if (values['exec-root'] !== undefined) apply('exec-root', values['exec-root']);
  if (values.host !== undefined) apply('hosts', values.host.map(normalizeHost));
  if (values['log-level'] !== undefined) apply('log-level', values['log-level']);
  if (values.debug) apply('debug', true);
  if (values['storage-driver'] !== undefined) apply('storage-driver', values['storage-driver']);
  if (values['default-runtime'] !== undefined) apply('default-runtime', values['default-runtime']);
  if (values['insecure-registry'] !== undefined)
    apply('insecure-registries', values['insecure-registry']);
  if (values['registry-mirror'] !== undefined) apply('registry-mirrors', values['registry-mirror']);
  if (values['live-restore']) apply('live-restore', true);
  if (values.experimental) apply('experimental', true);
  if (values['cdi-spec-dir'] !== undefined) apply('cdi-spec-dirs', values['cdi-spec-dir']);
  if (values['config-file'] !== undefined) patch.configFile = values['config-file'];
  const holder = values['holder-pid'] === undefined ? undefined : Number(values['holder-pid']);
  if (holder !== undefined && (!Number.isInteger(holder) || holder <= 0))
    throw new InvalidArgumentError('--holder-pid must be a pid');
  return holder === undefined ? { patch } : { patch, holderPid: holder };
}

/** `-H /path/sock` and `-H tcp://...` as dockerd accepts them. */
function normalizeHost(h: string): string {
  return h.startsWith('/') ? `unix://${h}` : h;
}
