/**
 * The CDI registry: the spec files of the CDI directories, and fully-qualified device names
 * (`vendor.com/class=name`, `vendor.com/class=all`) resolved to the container edits they bring.
 * As the CDI library: a later directory has priority over an earlier one (/var/run/cdi over
 * /etc/cdi), one name defined twice in one directory is a conflict, a malformed spec file is
 * left out and its error reported when a resolution fails.
 */
import { constants } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, InvalidArgumentError, messageOf } from '../../errors.js';
import {
  EMPTY_EDITS,
  parseCdiSpec,
  parseQualifiedName,
  type CdiContainerEdits,
  type CdiDevice,
  type CdiDeviceNode,
  type CdiSpec,
} from './cdi-spec.js';

/** The CDI spec's default directories, lowest priority first. */
export const DEFAULT_CDI_SPEC_DIRS: readonly string[] = ['/etc/cdi', '/var/run/cdi'];

/** A spec file larger than this is refused (nvidia-ctk's, for 8 GPUs, is ~30 KiB). */
export const MAX_CDI_SPEC_BYTES = 4 * 1024 * 1024;
const MAX_SPEC_FILES = 1000;

export interface CdiSpecError {
  readonly file: string;
  readonly message: string;
}

export interface CdiRegistry {
  readonly dirs: readonly string[];
  /** Valid specs with the index of their directory (the higher, the more priority). */
  readonly specs: readonly { readonly spec: CdiSpec; readonly priority: number }[];
  /** Spec files left out, with why. */
  readonly errors: readonly CdiSpecError[];
}

export interface ResolvedCdiDevices {
  /** The qualified names injected (`=all` expanded when no device is named "all"). */
  readonly devices: readonly string[];
  /** Every device's edits, then each of their specs' own edits once (CDI's order). */
  readonly edits: CdiContainerEdits;
}

/** Reads the spec files (`*.json`, `*.yaml`, `*.yml`) of `dirs`; missing directories are fine. */
export async function loadCdiRegistry(dirs: readonly string[]): Promise<CdiRegistry> {
  const specs: { spec: CdiSpec; priority: number }[] = [];
  const errors: CdiSpecError[] = [];
  for (const [priority, dir] of dirs.entries()) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      const code = errnoCode(e);
      if (code !== 'ENOENT' && code !== 'ENOTDIR')
        errors.push({ file: dir, message: `cannot read CDI spec directory: ${messageOf(e)}` });
      continue;
    }
    const files = names
      .filter((n) => /\.(json|ya?ml)$/.test(n))
      .sort()
      .slice(0, MAX_SPEC_FILES);
    for (const n of files) {
      const file = join(dir, n);
      try {
        const text = await readSpecFile(file);
        if (text !== undefined) specs.push({ spec: await parseCdiSpec(text, file), priority });
      } catch (e) {
        errors.push({ file, message: messageOf(e) });
      }
    }
  }
  return { dirs, specs, errors };
}

/** A regular file's text, at most MAX_CDI_SPEC_BYTES; undefined for anything else (a directory). */
async function readSpecFile(file: string): Promise<string | undefined> {
  // O_NONBLOCK: a FIFO named like a spec must not hang the daemon.
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    if (st.size > MAX_CDI_SPEC_BYTES)
      throw new InvalidArgumentError(
        `CDI spec ${file}: too large (${st.size} bytes, at most ${MAX_CDI_SPEC_BYTES})`,
      );
    const buf = Buffer.alloc(Math.min(st.size, MAX_CDI_SPEC_BYTES) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) {
        if (n > MAX_CDI_SPEC_BYTES)
          throw new InvalidArgumentError(`CDI spec ${file}: too large (grew while read)`);
        break;
      }
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await fh.close();
  }
}

interface Entry {
  readonly spec: CdiSpec;
  readonly device: CdiDevice;
  readonly priority: number;
}

/** Qualified name → its device (the highest priority), and the names defined twice at one priority. */
function deviceIndex(reg: CdiRegistry): {
  devices: Map<string, Entry>;
  conflicts: Map<string, string[]>;
} {
  const devices = new Map<string, Entry>();
  const conflicts = new Map<string, string[]>();
  for (const { spec, priority } of reg.specs)
    for (const device of spec.devices) {
      const q = `${spec.kind}=${device.name}`;
      const old = devices.get(q);
      if (old && old.priority === priority)
        conflicts.set(q, [...(conflicts.get(q) ?? [old.spec.file]), spec.file]);
      else if (old && old.priority > priority) continue;
      else conflicts.delete(q);
      devices.set(q, { spec, device, priority });
    }
  return { devices, conflicts };
}

/** Whether any valid spec declares this kind ("vendor/class"). */
export function hasCdiKind(reg: CdiRegistry, kind: string): boolean {
  return reg.specs.some((s) => s.spec.kind === kind);
}

/**
 * The device names of a kind in name order (numbers by value: 0, 1, 2, 10), without a device
 * named "all" (nvidia-ctk's device for every GPU).
 */
export function cdiDevicesOfKind(reg: CdiRegistry, kind: string): string[] {
  const names = new Set<string>();
  for (const q of deviceIndex(reg).devices.keys()) {
    const p = parseQualifiedName(q);
    if ('kind' in p && p.kind === kind && p.name !== 'all') names.add(p.name);
  }
  return [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * Resolves qualified names to their edits. `vendor/class=all` is the device named "all" when a
 * spec has one, else every device of the kind. Unknown names fail with CDI's words, with the
 * conflicts and the spec files left out that may explain why.
 */
export function resolveCdiDevices(reg: CdiRegistry, names: readonly string[]): ResolvedCdiDevices {
  const { devices, conflicts } = deviceIndex(reg);
  const chosen: string[] = [];
  const unresolved: string[] = [];
  const why: string[] = [];
  for (const q of names) {
    const p = parseQualifiedName(q);
    if ('error' in p) {
      unresolved.push(q);
      why.push(p.error);
      continue;
    }
    const expanded =
      p.name === 'all' && !devices.has(q)
        ? cdiDevicesOfKind(reg, p.kind).map((n) => `${p.kind}=${n}`)
        : [q];
    if (expanded.length === 0 || !expanded.every((e) => devices.has(e))) {
      unresolved.push(q);
      continue;
    }
    for (const e of expanded) {
      const files = conflicts.get(e);
      if (files) {
        unresolved.push(q);
        why.push(`${e} is defined in more than one spec: ${files.join(', ')}`);
      } else if (!chosen.includes(e)) chosen.push(e);
    }
  }
  if (unresolved.length > 0) {
    const errors = reg.errors.map((e) => e.message);
    throw new InvalidArgumentError(
      `CDI device injection failed: unresolvable CDI devices ${[...new Set(unresolved)].join(', ')}` +
        (why.length > 0 ? ` (${why.join('; ')})` : '') +
        (errors.length > 0 ? `; CDI specs left out: ${errors.join('; ')}` : ''),
    );
  }
  const entries = chosen.map((q) => devices.get(q)).filter((e): e is Entry => e !== undefined);
  const specEdits: CdiContainerEdits[] = [];
  const seen = new Set<CdiSpec>();
  for (const e of entries)
    if (!seen.has(e.spec)) {
      seen.add(e.spec);
      specEdits.push(e.spec.containerEdits);
    }
  return {
    devices: chosen,
    edits: mergeCdiEdits([...entries.map((e) => e.device.containerEdits), ...specEdits]),
  };
}

export function mergeCdiEdits(all: readonly CdiContainerEdits[]): CdiContainerEdits {
  return all.reduce(
    (a, b) => ({
      env: [...a.env, ...b.env],
      deviceNodes: [...a.deviceNodes, ...b.deviceNodes],
      mounts: [...a.mounts, ...b.mounts],
      hooks: [...a.hooks, ...b.hooks],
      additionalGids: [...a.additionalGids, ...b.additionalGids],
    }),
    EMPTY_EDITS,
  );
}

/**
 * Device nodes completed from the host (CDI's fillMissingInfo): hostPath defaults to path, and
 * type, major and minor come from the host node. The node must exist here: a rootless container
 * gets it bind-mounted (no mknod in a user namespace).
 */
export async function completeDeviceNodes(edits: CdiContainerEdits): Promise<CdiContainerEdits> {
  const nodes: CdiDeviceNode[] = [];
  for (const d of edits.deviceNodes) {
    const hostPath = d.hostPath ?? d.path;
    let st;
    try {
      st = await stat(hostPath, { bigint: true });
    } catch (e) {
      throw new InvalidArgumentError(
        `CDI device injection failed: failed to stat CDI host device "${hostPath}": ${messageOf(e)}`,
      );
    }
    const type = st.isCharacterDevice()
      ? 'c'
      : st.isBlockDevice()
        ? 'b'
        : st.isFIFO()
          ? 'p'
          : undefined;
    if (type === undefined)
      throw new InvalidArgumentError(
        `CDI device injection failed: CDI host device "${hostPath}" is not a device node`,
      );
    const r = st.rdev;
    const major = Number(((r >> 8n) & 0xfffn) | ((r >> 32n) & ~0xfffn));
    const minor = Number((r & 0xffn) | ((r >> 12n) & ~0xffn));
    nodes.push({
      ...d,
      hostPath,
      type: d.type && d.type !== 'u' ? d.type : type,
      ...(type === 'p' ? {} : { major: d.major ?? major, minor: d.minor ?? minor }),
    });
  }
  return { ...edits, deviceNodes: nodes };
}
