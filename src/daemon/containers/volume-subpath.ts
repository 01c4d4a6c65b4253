/**
 * `--mount type=volume,volume-subpath=sub`: the subdirectory is resolved by the kernel beneath
 * the volume's directory (openat2 RESOLVE_BENEATH, no symlink anywhere on the way), and skiffd
 * bind-mounts that descriptor (its /proc link, not canonicalized) on a directory of the bundle
 * that the runtime mounts, so what was checked is what gets mounted: a container sharing the
 * volume cannot swap the directory for a symlink in between. (The runtime cannot be given the
 * /proc link itself: it mounts in a new mount namespace, where the kernel refuses a source
 * from skiffd's.)
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import { O_DIRECTORY, O_PATH, errnoOf } from '../../confine/confined-fs.js';
import { closeFd, openBeneath, openRootDir } from '../../confine/confined-root.js';
import { run } from '../../proc/run.js';
import { command } from '../../proc/command.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRecord, MountPoint } from './container-record.js';

/**
 * Each `volume-subpath` mount of the container, bind-mounted from its descriptor onto
 * <bundle>/subpaths/<n>: the map gives the runtime's source for it. The targets are pushed to
 * `held` as they are mounted; unmountSubpaths them once the runtime has made its own mounts.
 */
export async function mountSubpaths(
  ctx: ContainerContext,
  rec: ContainerRecord,
  bundle: string,
  held: string[],
): Promise<Map<MountPoint, string>> {
  const out = new Map<MountPoint, string>();
  let n = 0;
  for (const m of rec.mountPoints) {
    if (m.type !== 'volume' || m.subpath === undefined) continue;
    const target = join(bundle, 'subpaths', String(n++));
    await mkdir(target, { recursive: true, mode: 0o700 });
    await ctx.mounter.unmount(target).catch(() => undefined);
    const fd = openVolumeSubpath(m.source, m.subpath);
    try {
      // --no-canonicalize: mount(2) gets the /proc link itself, which the kernel follows to
      // the very directory that was opened.
      await run(
        ctx.host.binaries.mount,
        command(['--no-canonicalize', '--bind', `/proc/${process.pid}/fd/${fd}`, target]),
      );
    } finally {
      closeFd(fd);
    }
    held.push(target);
    out.set(m, target);
  }
  return out;
}

export async function unmountSubpaths(
  ctx: ContainerContext,
  targets: readonly string[],
): Promise<void> {
  for (const t of targets)
    await ctx.mounter.unmount(t).catch((e: unknown) => {
      ctx.log.warn({ target: t, err: messageOf(e) }, 'volume subpath unmount failed');
    });
}

/**
 * Opens the subdirectory beneath the volume (O_PATH): the caller mounts it through the
 * descriptor's /proc link and closes it.
 */
export function openVolumeSubpath(volumeDir: string, subpath: string): number {
  const dirFd = openRootDir(volumeDir);
  try {
    return openBeneath(dirFd, subpath, O_PATH | O_DIRECTORY);
  } catch (e) {
    // dockerd's words (safepath.ErrNotAccessible).
    throw new InvalidArgumentError(`cannot access path ${subpath}: ${subpathReason(errnoOf(e))}`);
  } finally {
    closeFd(dirFd);
  }
}
function subpathReason(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'not a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    case 'EXDEV':
      return 'path escapes the volume';
    case undefined:
      return 'unknown error';
    default:
      return code;
  }
}
