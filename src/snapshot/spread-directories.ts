/**
 * Asks ext4 to spread a directory's subdirectories over block groups (FS_TOPDIR_FL: see
 * FsopsBatch.topdir for why): for the snapshot store, where a layer directory is created and
 * removed with each pull, and for volumes. Best effort: other filesystems have no such flag,
 * and a store without it still works, only slower to write into after many removals.
 */
import type { Logger } from '../log.js';
import { FsopsBatch } from './fsops-batch.js';

export async function spreadSubdirectories(
  dir: string,
  fsops: string | undefined,
  log: Logger,
): Promise<void> {
  if (!fsops) return;
  const batch = new FsopsBatch();
  batch.topdir(dir);
  const failures = await batch.run(fsops).catch((e: unknown) => [String(e)]);
  for (const failure of failures)
    log.debug({ failure }, 'subdirectories keep the default inode placement');
}
