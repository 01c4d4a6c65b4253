/**
 * CDI (Container Device Interface) spec files: parse (JSON or YAML) and validate, as the CDI
 * library (tags.cncf.io/container-device-interface) does. Pure: the text is read elsewhere
 * (cdi-registry.ts). Every error names the file and the field.
 */
import { InvalidArgumentError, messageOf } from '../../errors.js';

export const CDI_HOOK_NAMES = [
  'prestart',
  'createRuntime',
  'createContainer',
  'startContainer',
  'poststart',
  'poststop',
] as const;
export type CdiHookName = (typeof CDI_HOOK_NAMES)[number];

export interface CdiDeviceNode {
  /** Path in the container. */
  readonly path: string;
  /** Path on the host (the same as `path` when absent). */
  readonly hostPath?: string;
  readonly type?: 'b' | 'c' | 'u' | 'p';
  readonly major?: number;
  readonly minor?: number;
  readonly fileMode?: number;
  /** Cgroup access, a subset of "rwm". */
  readonly permissions?: string;
  readonly uid?: number;
  readonly gid?: number;
}

export interface CdiMount {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly type?: string;
  readonly options?: readonly string[];
}

export interface CdiHook {
  readonly hookName: CdiHookName;
  readonly path: string;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  readonly timeout?: number;
}

export interface CdiContainerEdits {
  readonly env: readonly string[];
  readonly deviceNodes: readonly CdiDeviceNode[];
  readonly mounts: readonly CdiMount[];
  readonly hooks: readonly CdiHook[];
  readonly additionalGids: readonly number[];
}

export interface CdiDevice {
  readonly name: string;
  readonly containerEdits: CdiContainerEdits;
}

export interface CdiSpec {
  /** The file it was read from (named in errors). */
  readonly file: string;
  readonly cdiVersion: string;
  /** "vendor/class". */
  readonly kind: string;
  readonly devices: readonly CdiDevice[];
  readonly containerEdits: CdiContainerEdits;
}

export const EMPTY_EDITS: CdiContainerEdits = {
  env: [],
  deviceNodes: [],
  mounts: [],
  hooks: [],
  additionalGids: [],
};

/**
 * Parses a spec file's text: JSON for `.json`, YAML otherwise (YAML also reads JSON). The YAML
 * parser (the largest package skiffd has) loads on the first YAML spec only: every daemon start
 * reads the daemon's configuration, which imports this module, and most never see a CDI device.
 */
export async function parseCdiSpec(text: string, file: string): Promise<CdiSpec> {
  let raw: unknown;
  try {
    raw = file.endsWith('.json')
      ? JSON.parse(text)
      : (await import('yaml')).parse(text, { maxAliasCount: 100, logLevel: 'error' });
  } catch (e) {
    throw specError(file, '', `cannot parse: ${messageOf(e).split('\n')[0] ?? ''}`);
  }
  return validateCdiSpec(raw, file);
}

/** Validates a parsed spec (CDI's Spec.validate and the JSON schema's required fields). */
export function validateCdiSpec(raw: unknown, file: string): CdiSpec {
  const top = obj(raw, file, '');
  const cdiVersion = str(top, 'cdiVersion', file, '');
  const v = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(cdiVersion);
  if (!v || Number(v[1]) > 1)
    throw specError(file, 'cdiVersion', `unsupported CDI version "${cdiVersion}"`);
  const kind = str(top, 'kind', file, '');
  const k = kindError(kind);
  if (k) throw specError(file, 'kind', `invalid kind "${kind}": ${k}`);
  const devicesRaw = top['devices'];
  if (!Array.isArray(devicesRaw))
    throw specError(file, 'devices', 'missing or not a list of devices');
  const seen = new Set<string>();
  const devices = devicesRaw.map((d: unknown, i): CdiDevice => {
    const at = `devices[${i}]`;
    const o = obj(d, file, at);
    const name = str(o, 'name', file, at);
    const n = deviceNameError(name);
    if (n) throw specError(file, `${at}.name`, `invalid device name "${name}": ${n}`);
    if (seen.has(name)) throw specError(file, `${at}.name`, `duplicate device "${name}"`);
    seen.add(name);
    const containerEdits = edits(o['containerEdits'], file, `${at}.containerEdits`);
    if (isEmpty(containerEdits))
      throw specError(file, `${at}.containerEdits`, `device "${name}" has no container edits`);
    return { name, containerEdits };
  });
  const containerEdits =
    top['containerEdits'] === undefined || top['containerEdits'] === null
      ? EMPTY_EDITS
      : edits(top['containerEdits'], file, 'containerEdits');
  return { file, cdiVersion, kind, devices, containerEdits };
}

/** A fully-qualified CDI device name `vendor/class=name`, split; `error` when it is not one. */
export function parseQualifiedName(
  qualified: string,
): { kind: string; name: string } | { error: string } {
  const eq = qualified.indexOf('=');
  if (eq < 0)
    return { error: `"${qualified}" is not a qualified CDI device name (vendor/class=name)` };
  const kind = qualified.slice(0, eq);
  const name = qualified.slice(eq + 1);
  const e = kindError(kind) ?? deviceNameError(name);
  return e ? { error: `invalid CDI device name "${qualified}": ${e}` } : { kind, name };
}

function kindError(kind: string): string | undefined {
  const slash = kind.indexOf('/');
  if (slash < 0) return 'expected "vendor/class"';
  const vendor = kind.slice(0, slash);
  const cls = kind.slice(slash + 1);
  if (!/^[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(vendor)) return `invalid vendor "${vendor}"`;
  if (!/^[A-Za-z]([A-Za-z0-9_-]*[A-Za-z0-9])?$/.test(cls)) return `invalid class "${cls}"`;
  return undefined;
}

function deviceNameError(name: string): string | undefined {
  if (!/^[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?$/.test(name))
    return 'a device name is letters, digits and "_.:-", starting and ending with a letter or digit';
  return undefined;
}

function isEmpty(e: CdiContainerEdits): boolean {
  return (
    e.env.length === 0 &&
    e.deviceNodes.length === 0 &&
    e.mounts.length === 0 &&
    e.hooks.length === 0 &&
    e.additionalGids.length === 0
  );
}

function edits(raw: unknown, file: string, at: string): CdiContainerEdits {
  const o = obj(raw, file, at);
  return {
    env: list(o, 'env', file, at).map((e, i) => envEntry(e, file, `${at}.env[${i}]`)),
    deviceNodes: list(o, 'deviceNodes', file, at).map((d, i) =>
      deviceNode(d, file, `${at}.deviceNodes[${i}]`),
    ),
    mounts: list(o, 'mounts', file, at).map((m, i) => mount(m, file, `${at}.mounts[${i}]`)),
    hooks: list(o, 'hooks', file, at).map((h, i) => hook(h, file, `${at}.hooks[${i}]`)),
    additionalGids: list(o, 'additionalGIDs', file, at).map((g, i) =>
      int(g, file, `${at}.additionalGIDs[${i}]`, 0, 0xffffffff),
    ),
  };
}

function deviceNode(raw: unknown, file: string, at: string): CdiDeviceNode {
  const o = obj(raw, file, at);
  const path = absPath(str(o, 'path', file, at), file, `${at}.path`);
  const hostPath = optStr(o, 'hostPath', file, at);
  const type = optStr(o, 'type', file, at);
  if (type !== undefined && type !== '' && !['b', 'c', 'u', 'p'].includes(type))
    throw specError(file, `${at}.type`, `invalid device type "${type}" (b, c, u or p)`);
  const permissions = optStr(o, 'permissions', file, at);
  if (permissions !== undefined && !/^[rwm]*$/.test(permissions))
    throw specError(file, `${at}.permissions`, `invalid permissions "${permissions}" (r, w, m)`);
  const optInt = (k: string, max: number): number | undefined =>
    o[k] === undefined || o[k] === null ? undefined : int(o[k], file, `${at}.${k}`, 0, max);
  const major = optInt('major', Number.MAX_SAFE_INTEGER);
  const minor = optInt('minor', Number.MAX_SAFE_INTEGER);
  const fileMode = optInt('fileMode', 0o7777);
  const uid = optInt('uid', 0xffffffff);
  const gid = optInt('gid', 0xffffffff);
  return {
    path,
    ...(hostPath ? { hostPath: absPath(hostPath, file, `${at}.hostPath`) } : {}),
    ...(type ? { type: type as 'b' | 'c' | 'u' | 'p' } : {}),
    ...(major !== undefined ? { major } : {}),
    ...(minor !== undefined ? { minor } : {}),
    ...(fileMode !== undefined ? { fileMode } : {}),
    ...(permissions ? { permissions } : {}),
    ...(uid !== undefined ? { uid } : {}),
    ...(gid !== undefined ? { gid } : {}),
  };
}

function mount(raw: unknown, file: string, at: string): CdiMount {
  const o = obj(raw, file, at);
  const hostPath = str(o, 'hostPath', file, at);
  const containerPath = absPath(str(o, 'containerPath', file, at), file, `${at}.containerPath`);
  const type = optStr(o, 'type', file, at);
  if ((type === undefined || type === '' || type === 'bind') && !hostPath.startsWith('/'))
    throw specError(file, `${at}.hostPath`, `must be an absolute path, got "${hostPath}"`);
  const options = list(o, 'options', file, at).map((x, i) =>
    strValue(x, file, `${at}.options[${i}]`),
  );
  return {
    hostPath,
    containerPath,
    ...(type ? { type } : {}),
    ...(options.length > 0 ? { options } : {}),
  };
}

function hook(raw: unknown, file: string, at: string): CdiHook {
  const o = obj(raw, file, at);
  const hookName = str(o, 'hookName', file, at);
  if (!(CDI_HOOK_NAMES as readonly string[]).includes(hookName))
    throw specError(
      file,
      `${at}.hookName`,
      `invalid hook name "${hookName}" (one of ${CDI_HOOK_NAMES.join(', ')})`,
    );
  const path = absPath(str(o, 'path', file, at), file, `${at}.path`);
  const args = list(o, 'args', file, at).map((x, i) => strValue(x, file, `${at}.args[${i}]`));
  const env = list(o, 'env', file, at).map((x, i) => envEntry(x, file, `${at}.env[${i}]`));
  const timeout =
    o['timeout'] === undefined || o['timeout'] === null
      ? undefined
      : int(o['timeout'], file, `${at}.timeout`, 1, 86_400);
  return {
    hookName: hookName as CdiHookName,
    path,
    ...(args.length > 0 ? { args } : {}),
    ...(env.length > 0 ? { env } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
  };
}

function envEntry(raw: unknown, file: string, at: string): string {
  const s = strValue(raw, file, at);
  if (s.indexOf('=') <= 0) throw specError(file, at, `invalid environment variable "${s}"`);
  return s;
}

function absPath(p: string, file: string, at: string): string {
  if (!p.startsWith('/')) throw specError(file, at, `must be an absolute path, got "${p}"`);
  return p;
}

type Obj = Readonly<Record<string, unknown>>;

function obj(raw: unknown, file: string, at: string): Obj {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw specError(file, at, 'expected an object');
  return raw as Obj;
}

function str(o: Obj, key: string, file: string, at: string): string {
  const field = at ? `${at}.${key}` : key;
  if (o[key] === undefined || o[key] === null || o[key] === '')
    throw specError(file, field, 'missing');
  return strValue(o[key], file, field);
}

function optStr(o: Obj, key: string, file: string, at: string): string | undefined {
  if (o[key] === undefined || o[key] === null) return undefined;
  return strValue(o[key], file, `${at}.${key}`);
}

function strValue(v: unknown, file: string, at: string): string {
  if (typeof v !== 'string')
    throw specError(file, at, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function list(o: Obj, key: string, file: string, at: string): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw specError(file, `${at}.${key}`, 'expected a list');
  return v;
}

function int(v: unknown, file: string, at: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw specError(
      file,
      at,
      `expected an integer between ${min} and ${max}, got ${JSON.stringify(v)}`,
    );
  return v;
}

function specError(file: string, field: string, problem: string): InvalidArgumentError {
  return new InvalidArgumentError(`CDI spec ${file}${field ? `: ${field}` : ''}: ${problem}`);
}
