/**
 * Docker copies what the image has at a volume's destination into a new, empty volume the
 * first time a container mounts it (unless `nocopy`). The source directory is resolved by the
 * kernel inside the rootfs (openat2 RESOLVE_IN_ROOT: symlinks and `..` stay in the container),
 * and `cp` is given the descriptor's /proc link, so nothing outside the rootfs can be named.
 */
import { readdir } from 'node:fs/promises';
import { run } from '../../proc/run.js';
import { command } from '../../proc/command.js';
import { O_DIRECTORY, O_PATH, errnoOf } from '../../confine/confined-fs.js';
import { closeFd, openInRoot, openRootDir } from '../../confine/confined-root.js';

export async function populateVolume(
  rootfs: string,
  destination: string,
  volumeDir: string,
): Promise<void> {
  if ((await readdir(volumeDir).catch(() => ['x'])).length > 0) return;
  const rootFd = openRootDir(rootfs);
  let source: number | undefined;
  try {
    try {
      source = openInRoot(rootFd, destination, O_PATH | O_DIRECTORY);
    } catch (e) {
      const code = errnoOf(e);
      // Nothing (or no directory) at the destination in the image: nothing to copy.
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw e;
    }
    // cp -a keeps ownership (we are root in the user namespace), modes, times, links, and
    // never follows a symlink below the source.
    await run('/bin/cp', command(['-a', '--', `/proc/${process.pid}/fd/${source}/.`, volumeDir]));
  } finally {
    closeFd(source);
    closeFd(rootFd);
  }
}
