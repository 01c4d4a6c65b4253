/**
 * `-v` binds, `--mount` entries and HostConfig.Tmpfs into MountSpecs, with the rules and
 * messages of Docker's Linux mount parser (volume/mounts/linux_parser.go).
 */
import { InvalidArgumentError } from '../../errors.js';
import type { MountSpec } from '../../daemon/containers/container-config.js';
import { parseByteSize } from '../../byte-size.js';
import {
  asObject,
  bool,
  isObject,
  num,
  optString,
  str,
  strMap,
  type JsonObject,
} from './json-fields.js';

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'];
const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function validMode(mode: string): boolean {
  let rw = 0;
  let prop = 0;
  for (const m of mode.split(',')) {
    if (m === 'rw' || m === 'ro') rw++;
    else if (PROPAGATIONS.includes(m)) prop++;
    else if (!['z', 'Z', 'nocopy', 'consistent', 'cached', 'delegated'].includes(m)) return false;
  }
  return rw <= 1 && prop <= 1;
}

/** One `Binds` entry: `[source:]target[:mode]`. */
export function parseBind(spec: string): MountSpec {
  const parts = spec.split(':');
  let source = '';
  let target: string;
  let mode = '';
  if (parts.length === 1) target = parts[0] ?? '';
  else if (parts.length === 2) {
    if (validMode(parts[1] ?? '') && !(parts[1] ?? '').startsWith('/')) {
      target = parts[0] ?? '';
      mode = parts[1] ?? '';
    } else {
      source = parts[0] ?? '';
      target = parts[1] ?? '';
    }
  } else if (parts.length === 3) {
    source = parts[0] ?? '';
    target = parts[1] ?? '';
    mode = parts[2] ?? '';
  } else throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  if (mode !== '' && !validMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  const isBind = source.startsWith('/');
  const type = isBind ? 'bind' : 'volume';
  if (target === '') throw new InvalidArgumentError(`invalid volume specification: '${spec}'`);
  if (!target.startsWith('/'))
    throw new InvalidArgumentError(
      `invalid volume specification: '${spec}': invalid mount config for type "${type}": invalid mount path: '${target}' mount path must be absolute`,
    );
  if (cleanPath(target) === '/')
    throw new InvalidArgumentError(`invalid specification: destination can't be '/'`);
  if (!isBind && source !== '' && !VOLUME_NAME.test(source))
    throw new InvalidArgumentError(
      `create ${source}: "${source}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  const modes = mode === '' ? [] : mode.split(',');
  const propagation = modes.find((m) => PROPAGATIONS.includes(m));
  if (modes.includes('nocopy') && isBind) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  return {
    type,
    origin: 'binds',
    source: isBind ? cleanPath(source) : source,
    target: cleanPath(target),
    readOnly: modes.includes('ro'),
    ...(propagation ? { propagation } : {}),
    ...(isBind ? { createHostPath: true } : {}),
    ...(modes.includes('nocopy') ? { noCopy: true } : {}),
  };
}

/** One `HostConfig.Mounts` entry (`--mount`). */
export function parseMount(raw: unknown, i: number): MountSpec {
  if (!isObject(raw))
    throw new InvalidArgumentError(`invalid mount config: Mounts[${i}] must be an object`);
  const type = str(raw, 'Type');
  const source = str(raw, 'Source');
  const target = str(raw, 'Target');
  const readOnly = bool(raw, 'ReadOnly');
  const bad = (msg: string): InvalidArgumentError =>
    new InvalidArgumentError(`invalid mount config for type "${type}": ${msg}`);
  if (target === '') throw bad('field Target must not be empty');
  if (!target.startsWith('/'))
    throw bad(`invalid mount path: '${target}' mount path must be absolute`);
  switch (type) {
    case 'bind': {
      if (source === '') throw bad('field Source must not be empty');
      if (!source.startsWith('/'))
        throw bad(`invalid mount path: '${source}' mount path must be absolute`);
      if (raw['VolumeOptions'] != null) throw bad('field VolumeOptions must not be specified');
      const b = asObject(raw['BindOptions'], `Mounts[${i}].BindOptions`);
      const propagation = optString(b, 'Propagation');
      if (propagation && !PROPAGATIONS.includes(propagation))
        throw bad(`invalid propagation mode: ${propagation}`);
      return {
        type: 'bind',
        origin: 'mounts',
        source: cleanPath(source),
        target: cleanPath(target),
        readOnly,
        ...(propagation ? { propagation } : {}),
        createHostPath: bool(b, 'CreateMountpoint'),
        ...(bool(b, 'NonRecursive') ? { nonRecursive: true } : {}),
      };
    }
    case 'volume': {
      if (raw['BindOptions'] != null) throw bad('field BindOptions must not be specified');
      if (source !== '' && !VOLUME_NAME.test(source)) throw bad(`invalid volume name: ${source}`);
      const v = asObject(raw['VolumeOptions'], `Mounts[${i}].VolumeOptions`);
      const driverConfig = asObject(v['DriverConfig'], `Mounts[${i}].VolumeOptions.DriverConfig`);
      const driver = optString(driverConfig, 'Name');
      const subpath = optString(v, 'Subpath') ?? '';
      if (subpath !== '') {
        if (source === '') throw bad('must not set Subpath when using anonymous volumes');
        if (!isLocalPath(subpath)) throw bad('subpath must be a relative path within the volume');
      }
      return {
        type: 'volume',
        origin: 'mounts',
        source,
        target: cleanPath(target),
        readOnly,
        ...(bool(v, 'NoCopy') ? { noCopy: true } : {}),
        ...(subpath !== '' ? { volumeSubpath: subpath } : {}),
        volumeLabels: strMap(v, 'Labels', `Mounts[${i}].VolumeOptions.Labels`),
        ...(driver ? { volumeDriver: driver } : {}),
        volumeOptions: strMap(
          driverConfig,
          'Options',
          `Mounts[${i}].VolumeOptions.DriverConfig.Options`,
        ),
      };
    }
    case 'tmpfs': {
      if (source !== '') throw bad('field Source must not be specified');
      const t = asObject(raw['TmpfsOptions'], `Mounts[${i}].TmpfsOptions`);
      const size = num(t, 'SizeBytes', `Mounts[${i}].TmpfsOptions.SizeBytes`);
      if (size < 0) throw bad('invalid tmpfs size');
      const mode = num(t, 'Mode', `Mounts[${i}].TmpfsOptions.Mode`);
      return {
        type: 'tmpfs',
        origin: 'mounts',
        source: '',
        target: cleanPath(target),
        readOnly,
        tmpfsSize: size,
        ...(mode ? { tmpfsMode: mode } : {}),
      };
    }
    case '':
      throw new InvalidArgumentError('invalid mount config: mount type unknown');
    default:
      throw new InvalidArgumentError(`invalid mount config: mount type unknown: "${type}"`);
  }
}

/** HostConfig.Tmpfs: `{"/run": "rw,noexec,size=64m"}`. */
export function parseTmpfs(target: string, opts: string): MountSpec {
  if (!target.startsWith('/'))
    throw new InvalidArgumentError(`invalid mount path: '${target}' mount path must be absolute`);
  const options: string[] = [];
  let size = 0;
  let mode: number | undefined;
  let readOnly = false;
  for (const o of opts.split(',').filter((x) => x !== '')) {
    const [k = '', v = ''] = o.split('=');
    if (k === 'size') size = parseByteSize(v, 'tmpfs size');
    else if (k === 'mode') mode = parseInt(v, 8);
    else if (k === 'ro') readOnly = true;
    else if (k !== 'rw') options.push(o);
  }
  return {
    type: 'tmpfs',
    origin: 'tmpfs',
    source: '',
    target: cleanPath(target),
    readOnly,
    tmpfsSize: size,
    ...(mode !== undefined ? { tmpfsMode: mode } : {}),
    options: [...options, ...(readOnly ? ['ro'] : [])],
  };
}

/** Lexical clean of an absolute path: no trailing slash, no `.`/`..`/`//`. */
/** Go's filepath.IsLocal on Linux: relative, not empty, and never above its base once cleaned. */
export function isLocalPath(p: string): boolean {
  if (p === '' || p.startsWith('/')) return false;
  let depth = 0;
  for (const part of p.split('/')) {
    if (part === '..') depth--;
    else if (part !== '' && part !== '.') depth++;
    if (depth < 0) return false;
  }
  return true;
}

export function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `${p.startsWith('/') ? '/' : ''}${out.join('/')}` || (p.startsWith('/') ? '/' : '.');
}

export function checkDuplicateTargets(mounts: readonly MountSpec[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.target)) throw new InvalidArgumentError(`Duplicate mount point: ${m.target}`);
    seen.add(m.target);
  }
}

export type { JsonObject };
