/**
 * Docker copies what the image has at a volume's destination into a new, empty volume the
 * first time a container mounts it (unless `nocopy`). Skipped when the path in the image is a
 * symlink (it would resolve outside the container's rootfs).
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../proc/run.js';
import { command } from '../../proc/command.js';

export async function populateVolume(
  rootfs: string,
  destination: string,
  volumeDir: string,
): Promise<void> {
  if ((await readdir(volumeDir).catch(() => ['x'])).length > 0) return;
  let path = rootfs;
  for (const seg of destination.split('/').filter((s) => s !== '')) {
    path = join(path, seg);
    const st = await lstat(path).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return;
  }
  if (!(await lstat(path)).isDirectory()) return;
  // cp -a keeps ownership (we are root in the user namespace), modes, times, links.
  await run('/bin/cp', command(['-a', '--', `${path}/.`, volumeDir]));
}
