/**
 * A container's rootfs mount point and the one way to mount its snapshot there: for a start,
 * for the copy-up of volumes at create, and for archive operations on a stopped container.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerContext } from './container-context.js';

export function containerRootfs(ctx: Pick<ContainerContext, 'bundleRoot'>, id: string): string {
  return join(ctx.bundleRoot, id, 'rootfs');
}

/**
 * Mounts the container's snapshot at its rootfs (a stale mount from a crash is removed first)
 * and returns the path, symlinks resolved: the OCI runtime refuses a rootfs path with a symlink
 * in it (rootlesskit's copied-up /run has some).
 */
export async function mountContainerRootfs(ctx: ContainerContext, id: string): Promise<string> {
  await mkdir(containerRootfs(ctx, id), { recursive: true, mode: 0o700 });
  const rootfs = await realpath(containerRootfs(ctx, id));
  await ctx.mounter.unmount(rootfs).catch(() => undefined);
  await ctx.mounter.mount(await ctx.snapshots.mounts(id), rootfs);
  return rootfs;
}
