/**
 * `/dev/shm` that goes with the IPC namespace, as dockerd does it: a `shareable` container's
 * shm is a tmpfs skiffd mounts in its own mount namespace (in the bundle) and binds in, so that
 * a container joining it (`--ipc container:X`) can bind the same one; `--ipc host` sees the
 * host's. The kernel refuses a bind from another mount namespace (a container's own tmpfs,
 * through /proc/<pid>/root), which is why the donor's shm must be mounted here.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../errors.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerContext } from './container-context.js';
import { containerRootfs } from './container-rootfs.js';

export function shmDir(bundle: string): string {
  return join(bundle, 'shm');
}

/**
 * The host path to bind at the container's /dev/shm, mounting a shareable container's tmpfs
 * first; undefined for a private shm (the container's own tmpfs, as before).
 */
export async function sharedShmSource(
  ctx: Pick<ContainerContext, 'store' | 'mounter' | 'defaults'>,
  rec: ContainerRecord,
  bundleOf: (id: string) => string,
): Promise<string | undefined> {
  const mode = rec.hostConfig.ipcMode;
  if (mode === 'host') return '/dev/shm';
  if (mode === 'shareable') {
    const dir = shmDir(bundleOf(rec.id));
    const size = rec.hostConfig.shmSize || ctx.defaults.shmSize;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await ctx.mounter.unmount(dir);
    await ctx.mounter.mount(
      [
        {
          type: 'tmpfs',
          source: 'shm',
          options: ['nosuid', 'nodev', 'noexec', 'mode=1777', `size=${String(size)}`],
        },
      ],
      dir,
    );
    return dir;
  }
  if (mode.startsWith('container:')) {
    const donor = ctx.store.find(mode.slice('container:'.length));
    if (donor.hostConfig.ipcMode !== 'shareable')
      throw new InvalidArgumentError(
        'non-shareable IPC (hint: use IpcMode:shareable for the donor container)',
      );
    return shmDir(bundleOf(donor.id));
  }
  return undefined;
}

/** A container's rootfs and shareable shm unmounted (what is not mounted costs a mountinfo read). */
export async function unmountRootfsAndShm(
  ctx: Pick<ContainerContext, 'mounter' | 'bundleRoot'>,
  id: string,
  bundle: string,
): Promise<void> {
  await ctx.mounter.unmount(shmDir(bundle)).catch(() => undefined);
  await ctx.mounter.unmount(containerRootfs(ctx, id));
}
