/**
 * Probe results kept across daemon starts: running a container with each OCI runtime and
 * mounting a test overlay cost a large part of skiffd's start (docs/performance.md). What they
 * answer only changes with the binaries, the kernel or the filesystem, so a result is reused
 * while its key — those identities — is unchanged. The cache lives in the exec root, which is
 * under $XDG_RUNTIME_DIR: a reboot (a new kernel, a new cgroup layout) starts it empty.
 */
import { readFile, rename, stat, statfs, writeFile } from 'node:fs/promises';
import { release } from 'node:os';

/** A file's identity for the key: path, size and mtime (an upgrade changes one of them). */
export async function fileIdentity(path: string | undefined): Promise<string> {
  if (path === undefined) return 'absent';
  const st = await stat(path).catch(() => undefined);
  return st ? `${path}:${st.size}:${st.mtimeMs}` : `${path}:absent`;
}

/**
 * A directory's filesystem for the key: its device and the filesystem's type (statfs magic),
 * so that a data root remounted elsewhere or on another kind of filesystem is probed again.
 */
export async function filesystemIdentity(path: string): Promise<string> {
  const st = await stat(path).catch(() => undefined);
  const fs = await statfs(path).catch(() => undefined);
  return `${String(st?.dev ?? '?')}:${String(fs?.type ?? '?')}`;
}

/**
 * `compute()`'s result for `key`, from `file` when an earlier start stored it under the same
 * key (plus the kernel release), else computed now and stored. A cache that cannot be read or
 * written only costs the probe.
 */
export async function cachedProbe<T>(
  file: string,
  key: readonly string[],
  compute: () => Promise<T>,
): Promise<T> {
  const fullKey = JSON.stringify([release(), ...key]);
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { key?: unknown; value?: unknown };
    if (stored.key === fullKey && stored.value !== undefined) return stored.value as T;
  } catch {
    // no cache yet, or an unreadable one: probe
  }
  const value = await compute();
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ key: fullKey, value }), { mode: 0o600 })
    .then(() => rename(tmp, file))
    .catch(() => undefined);
  return value;
}
