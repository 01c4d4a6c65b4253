/**
 * A container's own network namespace, kept alive by a bind mount of its nsfs file instead of
 * by a process, so that it outlives skiffd and the container's processes alike (a restart of
 * the container or of skiffd finds it where it was). util-linux `unshare --net=<file>` makes it
 * and mounts it; skiffd runs in the rootlesskit holder's user and mount namespaces, so the
 * namespace belongs to the holder's user namespace and the mount lives in the holder's mount
 * namespace, which nothing but the holder keeps alive.
 */
import { access, mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InternalError } from '../errors.js';
import { spawnCollect } from '../proc/run.js';

export interface NetnsTools {
  readonly unshare: string;
  readonly umount: string;
}

/** Creates (or re-creates) an empty network namespace bind-mounted at `path`. */
export async function createNetns(tools: NetnsTools, path: string): Promise<void> {
  await removeNetns(tools, path);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // The mount point must exist as a file; unshare mounts the new namespace over it.
  await writeFile(path, '', { mode: 0o600 });
  const r = await spawnCollect(tools.unshare, [`--net=${path}`, 'true'], { timeoutMs: 30_000 });
  if (r.code !== 0) {
    await rm(path, { force: true }).catch(() => undefined);
    throw new InternalError(
      `could not create the network namespace ${path}: ${r.stderr.trim() || `unshare exited ${String(r.code)}`}`,
    );
  }
}

/** Unmounts and deletes a namespace made by createNetns; nothing to do when it is gone. */
export async function removeNetns(tools: NetnsTools, path: string): Promise<void> {
  const exists = await access(path).then(
    () => true,
    () => false,
  );
  if (!exists) return;
  // Repeated: a path mounted twice (a crash between two creates) needs two unmounts.
  for (let i = 0; i < 4; i++) {
    const r = await spawnCollect(tools.umount, [path], { timeoutMs: 30_000 });
    if (r.code !== 0) break;
  }
  await rm(path, { force: true });
}
