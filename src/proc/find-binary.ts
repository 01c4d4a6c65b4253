import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Directories searched after PATH: sbin dirs (not in a user's PATH on Debian) and podman's helpers. */
export const EXTRA_BINARY_DIRS: readonly string[] = [
  '/usr/local/sbin',
  '/usr/local/bin',
  '/usr/sbin',
  '/usr/bin',
  '/sbin',
  '/bin',
  '/usr/lib/podman',
  '/usr/libexec/podman',
];

/**
 * Resolves a helper binary to an absolute path once (at startup), so that later spawns never
 * depend on PATH. Returns undefined when it is not installed.
 */
export function findBinary(name: string, pathEnv: string | undefined): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  const dirs = [
    ...(pathEnv ?? '').split(delimiter).filter((d) => d.length > 0),
    ...EXTRA_BINARY_DIRS,
  ];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
