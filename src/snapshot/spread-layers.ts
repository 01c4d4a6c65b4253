/**
 * Asks ext4 to spread the snapshot directories over block groups (FS_TOPDIR_FL on their parent:
 * see FsopsBatch.topdir for why). Best effort: other filesystems have no such flag, and a store
 * without it still works, only slower to unpack into after many removals.
 */
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { FsopsBatch } from './fsops-batch.js';

export async function spreadSnapshotDirectories(
  root: string,
  fsops: string | undefined,
  log: Logger,
): Promise<void> {
  if (!fsops) return;
  const batch = new FsopsBatch();
  batch.topdir(join(root, 'snapshots'));
  const failures = await batch.run(fsops).catch((e: unknown) => [String(e)]);
  for (const failure of failures)
    log.debug({ failure }, 'snapshot directories keep the default inode placement');
}
