/**
 * Resolves a path inside a container's root filesystem on the host without ever leaving it:
 * symlinks are followed relative to the root (an absolute target means the root), `..` stops
 * at the root (the semantics of a chroot; "securejoin"). Used for `docker cp` and export of a
 * container that is not running (a running one is reached through /proc/<pid>/root, where the
 * kernel applies the same rule).
 */
import { lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../../errors.js';

const MAX_LINKS = 255;

/** The host path of `path` (a container path) under `root`, with every symlink resolved. */
export async function resolveInRoot(
  root: string,
  path: string,
  followLast = true,
): Promise<string> {
  const rest = path.split('/').filter((s) => s !== '' && s !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (rest.length > 0) {
    const seg = rest.shift() ?? '';
    if (seg === '..') {
      resolved.pop();
      continue;
    }
    const candidate = join(root, ...resolved, seg);
    const st = await lstat(candidate).catch(() => undefined);
    if (st?.isSymbolicLink() && (followLast || rest.length > 0)) {
      if (++links > MAX_LINKS)
        throw new InvalidArgumentError(`too many levels of symbolic links: ${path}`);
      const target = await readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      rest.unshift(...target.split('/').filter((s) => s !== '' && s !== '.'));
      continue;
    }
    resolved.push(seg);
  }
  return join(root, ...resolved);
}

/** The container path of a host path under root (for messages and link targets). */
export function containerPath(root: string, hostPath: string): string {
  const rel = hostPath.slice(root.length);
  return rel === '' ? '/' : rel.startsWith('/') ? rel : `/${rel}`;
}
