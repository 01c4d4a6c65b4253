/**
 * Mounts a snapshot's mounts at a target (a container's rootfs): overlay through mount(8) with
 * the driver's cwd for its short relative lowerdirs, fuse-overlayfs as its own process, binds.
 * skiffd is root in the holder's user and mount namespaces, so these mounts work there (and
 * stay invisible to the host).
 */
import { readFile, realpath } from 'node:fs/promises';
import { InternalError } from '../errors.js';
import type { HostBinaries } from '../host.js';
import { run, spawnCollect } from '../proc/run.js';
import { command } from '../proc/command.js';
import type { Mount } from './snapshotter.js';

export class RootfsMounter {
  constructor(private readonly bins: HostBinaries) {}

  async mount(mounts: readonly Mount[], target: string): Promise<void> {
    for (const m of mounts) {
      const cwd = m.cwd ? { cwd: m.cwd } : {};
      if (m.type === 'bind') {
        await run(this.bins.mount, command(['--rbind', m.source, target]));
        if (m.options.includes('ro'))
          await run(this.bins.mount, command(['-o', 'remount,bind,ro', target]));
      } else if (m.type === 'fuse-overlayfs') {
        if (!this.bins.fuseOverlayfs) throw new InternalError('fuse-overlayfs is not installed');
        await run(this.bins.fuseOverlayfs, command(['-o', m.options.join(','), target]), cwd);
      } else {
        await run(
          this.bins.mount,
          command(['-t', m.type, m.source, '-o', m.options.join(','), target]),
          cwd,
        );
      }
    }
  }

  /** Unmounts target (lazily when busy); not mounted is fine. */
  async unmount(target: string): Promise<void> {
    // A umount(8) that finds nothing costs a process (≈5–15 ms of `docker run`); mountinfo is a read.
    if (!(await isMountPoint(target))) return;
    const r = await spawnCollect(this.bins.umount, [target]);
    if (r.code === 0) return;
    if (/not mounted|no mount point|not found/i.test(r.stderr)) return;
    if (this.bins.fusermount && /Operation not permitted|busy/i.test(r.stderr)) {
      const f = await spawnCollect(this.bins.fusermount, ['-u', '-z', target]);
      if (f.code === 0) return;
    }
    const lazy = await spawnCollect(this.bins.umount, ['-l', target]);
    if (lazy.code !== 0 && !/not mounted/i.test(lazy.stderr))
      throw new InternalError(`umount ${target}: ${lazy.stderr.trim() || r.stderr.trim()}`);
  }
}

/** Whether `target` (symlinks resolved) is a mount point in skiffd's mount namespace. */
export async function isMountPoint(target: string): Promise<boolean> {
  const real = await realpath(target).catch(() => undefined);
  if (real === undefined) return false;
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => undefined);
  // Unknown: let umount(8) decide.
  if (text === undefined) return true;
  return mountPointsOf(text).has(real);
}

/** The mount points of a mountinfo text (field 5, with its octal escapes undone). */
export function mountPointsOf(mountinfo: string): Set<string> {
  const out = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const field = line.split(' ')[4];
    if (field)
      out.add(
        field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))),
      );
  }
  return out;
}
