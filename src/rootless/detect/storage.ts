/**
 * Picks the storage driver: native overlay inside the user namespace (Linux 5.11+, `userxattr`),
 * then fuse-overlayfs, then vfs — by trying a real mount, not by comparing kernel versions
 * (Debian/Ubuntu kernels allowed userns overlay earlier, with other options). `storage-driver`
 * in daemon.json forces one; a forced driver that cannot work stops the daemon.
 */
import { mkdir, rm, writeFile, readFile, access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { StorageDriverName, StorageProfile } from '../../host.js';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import { run } from '../../proc/run.js';
import { command } from '../../proc/command.js';

export interface StorageProbeInputs {
  readonly dataRoot: string;
  readonly forced?: StorageDriverName;
  readonly mount: string;
  readonly umount: string;
  readonly fuseOverlayfs?: string;
  readonly fusermount?: string;
}

export async function detectStorage(i: StorageProbeInputs): Promise<StorageProfile> {
  const notes: string[] = [];
  const overlay = await probeOverlay(i);
  if (i.forced === 'overlay2' || (i.forced === undefined && overlay.ok)) {
    if (!overlay.ok)
      throw new InvalidArgumentError(
        `storage-driver overlay2 cannot be used here: ${overlay.reason}`,
      );
    return { driver: 'overlay2', overlayUserXattr: overlay.userxattr, notes };
  }
  if (!overlay.ok) notes.push(`overlay2 unavailable: ${overlay.reason}`);
  if (i.forced === 'vfs') return { driver: 'vfs', overlayUserXattr: false, notes };
  const fuse = await probeFuseOverlayfs(i);
  if (fuse.ok) return { driver: 'fuse-overlayfs', overlayUserXattr: false, notes };
  if (i.forced === 'fuse-overlayfs')
    throw new InvalidArgumentError(
      `storage-driver fuse-overlayfs cannot be used here: ${fuse.reason}`,
    );
  notes.push(`fuse-overlayfs unavailable: ${fuse.reason}`);
  return { driver: 'vfs', overlayUserXattr: false, notes };
}

type Probe = { ok: true; userxattr: boolean } | { ok: false; reason: string };

async function withProbeDirs<T>(
  dataRoot: string,
  fn: (d: { lower: string; upper: string; work: string; merged: string }) => Promise<T>,
): Promise<T> {
  const base = join(dataRoot, 'tmp', `probe-${randomBytes(4).toString('hex')}`);
  const d = {
    lower: join(base, 'lower'),
    upper: join(base, 'upper'),
    work: join(base, 'work'),
    merged: join(base, 'merged'),
  };
  await Promise.all(Object.values(d).map((p) => mkdir(p, { recursive: true })));
  await writeFile(join(d.lower, 'probe'), 'lower');
  try {
    return await fn(d);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

async function probeOverlay(i: StorageProbeInputs): Promise<Probe> {
  return withProbeDirs(i.dataRoot, async (d) => {
    let lastError = '';
    for (const userxattr of [true, false]) {
      const opts = `lowerdir=${d.lower},upperdir=${d.upper},workdir=${d.work}${userxattr ? ',userxattr' : ''}`;
      try {
        await run(i.mount, command(['-t', 'overlay', 'overlay', '-o', opts, d.merged]));
      } catch (e) {
        lastError = messageOf(e);
        continue;
      }
      try {
        const seen = await readFile(join(d.merged, 'probe'), 'utf8');
        await writeFile(join(d.merged, 'upper-write'), 'x');
        if (seen !== 'lower')
          return { ok: false, reason: 'overlay mount did not show the lower layer' };
        return { ok: true, userxattr };
      } finally {
        await run(i.umount, command([d.merged])).catch(() => undefined);
      }
    }
    return { ok: false, reason: lastError };
  });
}

async function probeFuseOverlayfs(i: StorageProbeInputs): Promise<Probe> {
  if (!i.fuseOverlayfs)
    return {
      ok: false,
      reason: 'fuse-overlayfs is not installed (apt-get install fuse-overlayfs)',
    };
  try {
    await access('/dev/fuse', constants.R_OK | constants.W_OK);
  } catch {
    return {
      ok: false,
      reason: '/dev/fuse is not accessible (without udev it stays 0600: sudo chmod 666 /dev/fuse)',
    };
  }
  const fuseOverlayfs = i.fuseOverlayfs;
  return withProbeDirs(i.dataRoot, async (d) => {
    try {
      await run(
        fuseOverlayfs,
        command(['-o', `lowerdir=${d.lower},upperdir=${d.upper},workdir=${d.work}`, d.merged]),
      );
    } catch (e) {
      return { ok: false, reason: messageOf(e) };
    }
    try {
      const seen = await readFile(join(d.merged, 'probe'), 'utf8');
      return seen === 'lower'
        ? { ok: true, userxattr: false }
        : { ok: false, reason: 'fuse-overlayfs did not show the lower layer' };
    } finally {
      await run(
        i.fusermount ?? i.umount,
        command(i.fusermount ? ['-u', d.merged] : [d.merged]),
      ).catch(() => undefined);
    }
  });
}
