/**
 * Roots that `COPY --from` reads: an earlier stage's image or any image, its layers mounted
 * read-only once per build (a view snapshot) and held as a root descriptor; released at the
 * end of the build. An image without layers is an empty directory.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { closeFd, openRootDir } from '../confine/confined-root.js';
import { EXTRACT_PREFIX } from '../daemon/images/unpack-layer.js';
import type { StoredImage } from '../image/image-store.js';
import type { SnapshotDriver } from '../snapshot/snapshotter.js';
import type { BuildMounter } from './build-deps.js';

interface Held {
  readonly rootFd: number;
  readonly dir: string;
  readonly viewKey?: string;
}

export class SourceRoots {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly snapshots: SnapshotDriver,
    private readonly mounter: BuildMounter,
    private readonly workDir: string,
  ) {}

  async rootOf(image: StoredImage | undefined): Promise<number> {
    const id = image?.id ?? 'scratch';
    const got = this.held.get(id);
    if (got) return got.rootFd;
    const dir = join(this.workDir, `from-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const chain = image?.chainIds.at(-1);
    let viewKey: string | undefined;
    if (chain) {
      viewKey = `${EXTRACT_PREFIX}view-${randomBytes(6).toString('hex')}`;
      const mounts = await this.snapshots.view(viewKey, chain);
      try {
        await this.mounter.mount(mounts, dir);
      } catch (e) {
        await this.snapshots.remove(viewKey).catch(() => undefined);
        throw e;
      }
    }
    const h: Held = { rootFd: openRootDir(dir), dir, ...(viewKey ? { viewKey } : {}) };
    this.held.set(id, h);
    return h.rootFd;
  }

  async releaseAll(): Promise<void> {
    for (const h of this.held.values()) {
      closeFd(h.rootFd);
      await this.mounter.unmount(h.dir).catch(() => undefined);
      await rm(h.dir, { recursive: true, force: true }).catch(() => undefined);
      if (h.viewKey) await this.snapshots.remove(h.viewKey).catch(() => undefined);
    }
    this.held.clear();
  }
}
