/**
 * The destination of COPY/ADD inside the image being built: resolved by the kernel inside the
 * mounted rootfs (an image's symlinks, `/var/run -> /run` say, are followed as they would be
 * in the container, never out of it), with missing directories made on the way, owned as the
 * copied files will be (dockerd's MkdirAllAndChownNew).
 */
import { O_DIRECTORY, O_PATH, confined, errnoOf } from '../confine/confined-fs.js';
import { closeFd, openInRoot } from '../confine/confined-root.js';
import { InvalidArgumentError } from '../errors.js';

/** Opens directory `path` in the root, making what is missing; the caller closes the descriptor. */
export function mkdirAllInRoot(
  rootFd: number,
  path: string,
  owner: { uid: number; gid: number },
): number {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let current = openInRoot(rootFd, '/', O_PATH | O_DIRECTORY);
  let walked = '';
  try {
    for (const part of parts) {
      walked = `${walked}/${part}`;
      let next: number;
      try {
        next = openInRoot(rootFd, walked, O_PATH | O_DIRECTORY);
      } catch (e) {
        const code = errnoOf(e);
        if (code === 'ENOTDIR')
          throw new InvalidArgumentError(`cannot copy to ${path}: ${walked} is not a directory`);
        if (code !== 'ENOENT') throw e;
        // Made below the held parent by name: the kernel does not follow a symlink put there meanwhile.
        confined().mkdirat(current, part, 0o755);
        confined().lchownat(current, part, owner.uid, owner.gid);
        next = openInRoot(rootFd, walked, O_PATH | O_DIRECTORY);
      }
      closeFd(current);
      current = next;
    }
    return current;
  } catch (e) {
    closeFd(current);
    throw e;
  }
}
