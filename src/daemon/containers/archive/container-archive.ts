/**
 * `docker cp` (archive HEAD/GET/PUT) and `docker export`. A running container is reached through
 * /proc/<pid>/root (its mounts, volumes included, are visible there); a stopped one through its
 * snapshot mounted for the operation, with volume and bind destinations mapped to their sources.
 * Every path is resolved by the kernel inside that root (openat2 RESOLVE_IN_ROOT, then calls on
 * held descriptors: src/confine/), never as a path string a container could race.
 */
import { readlinkSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../../errors.js';
import {
  O_DIRECTORY,
  O_PATH,
  confined,
  errnoOf,
  isDirMode,
  isSymlinkMode,
  mtimeOf,
} from '../../../confine/confined-fs.js';
import { closeFd, openInRoot, openRootDir } from '../../../confine/confined-root.js';
import type { ContainerContext } from '../container-context.js';
import type { ContainerRecord } from '../container-record.js';
import type { ContainerRunner } from '../container-runner.js';
import { extractInto } from './extract-into.js';
import { packPath } from './pack-path.js';
import { mountContainerRootfs } from '../container-rootfs.js';

/** Go's os.FileMode bits, which the docker CLI reads from X-Docker-Container-Path-Stat. */
const GO_MODE_DIR = 2 ** 31;
const GO_MODE_SYMLINK = 2 ** 27;
const GO_MODE_SETUID = 2 ** 23;
const GO_MODE_SETGID = 2 ** 22;
const GO_MODE_STICKY = 2 ** 20;

export interface PathStat {
  readonly name: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: string;
  readonly linkTarget: string;
}

interface Root {
  readonly root: string;
  readonly path: string;
}

export class ContainerArchive {
  constructor(
    private readonly ctx: ContainerContext,
    private readonly runner: ContainerRunner,
  ) {}

  async stat(ref: string, path: string): Promise<PathStat> {
    return this.withRoot(ref, path, (r) => withRootFd(r, (rootFd) => statIn(rootFd, r, ref)));
  }

  /**
   * The tar stream is produced while the root stays available (a stopped container's mount is
   * kept until it ends). As dockerd: the parent path's symlinks are followed inside the
   * container, a final symlink is sent as a symlink unless the path ends in "/" or "/.".
   */
  async get(
    ref: string,
    path: string,
    signal: AbortSignal,
  ): Promise<{ stat: PathStat; tar: Readable }> {
    const rec = this.ctx.store.find(ref);
    const running = this.isRunning(rec);
    const r = running ? this.runningRoot(rec, path) : await this.mountStopped(rec, path);
    let rootFd: number | undefined;
    let dirFd: number | undefined;
    try {
      rootFd = openRootDir(r.root);
      const stat = statIn(rootFd, r, ref);
      const contents = r.path.endsWith('/.');
      const followLast = contents || r.path.endsWith('/');
      const parts = r.path.split('/').filter((p) => p !== '' && p !== '.');
      const base = parts.at(-1) ?? '';
      let entry = '';
      if (contents || followLast || base === '') {
        dirFd = inRoot(rootFd, r.path, O_PATH, ref, true);
      } else {
        dirFd = inRoot(rootFd, `/${parts.slice(0, -1).join('/')}`, O_PATH | O_DIRECTORY, ref);
        entry = base;
      }
      const held = dirFd;
      const tar = packPath(held, entry, { name: contents ? '' : base, signal });
      const rootHeld = rootFd;
      tar.once('close', () => {
        closeFd(held);
        closeFd(rootHeld);
        if (!running) void this.releaseStopped(rec);
      });
      return { stat, tar };
    } catch (e) {
      closeFd(dirFd);
      closeFd(rootFd);
      if (!running) await this.releaseStopped(rec);
      throw e;
    }
  }

  async put(
    ref: string,
    path: string,
    input: Readable,
    o: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean },
  ): Promise<void> {
    await this.withRoot(ref, path, (r) =>
      withRootFd(r, async (rootFd) => {
        const rec = this.ctx.store.find(ref);
        if (rec.hostConfig.readonlyRootfs)
          throw new InvalidArgumentError('container rootfs is marked read-only');
        const dest = inRoot(rootFd, r.path, O_PATH, ref, true);
        try {
          if (!isDirMode(confined().lstatat(dest, '').mode))
            throw new InvalidArgumentError(`extraction point is not a directory`);
          await extractInto(dest, input, {
            noOverwriteDirNonDir: o.noOverwriteDirNonDir,
            ...(o.copyUIDGID ? {} : { owner: { uid: 0, gid: 0 } }),
          });
        } finally {
          closeFd(dest);
        }
      }),
    );
  }

  /** The container's root filesystem (its snapshot, without volumes), as a tar. */
  async export(ref: string, signal: AbortSignal): Promise<Readable> {
    const rec = this.ctx.store.find(ref);
    const running = this.isRunning(rec);
    const rootfs = this.runner.rootfs(rec.id);
    if (!running) await this.mountStopped(rec, '/');
    let rootFd: number;
    try {
      rootFd = openRootDir(rootfs);
    } catch (e) {
      if (!running) await this.releaseStopped(rec);
      throw e;
    }
    const tar = packPath(rootFd, '', { name: '', signal });
    tar.once('close', () => {
      closeFd(rootFd);
      if (!running) void this.releaseStopped(rec);
    });
    return tar;
  }

  private isRunning(rec: ContainerRecord): boolean {
    return (
      (rec.state.status === 'running' || rec.state.status === 'paused') &&
      this.runner.task(rec.id) !== undefined
    );
  }

  private runningRoot(rec: ContainerRecord, path: string): Root {
    const task = this.runner.task(rec.id);
    if (!task) throw new NotFoundError(`container ${rec.id} is not running`);
    return { root: `/proc/${task.pid}/root`, path };
  }

  private async withRoot<T>(ref: string, path: string, fn: (r: Root) => Promise<T>): Promise<T> {
    const rec = this.ctx.store.find(ref);
    if (this.isRunning(rec)) return fn(this.runningRoot(rec, path));
    const r = await this.mountStopped(rec, path);
    try {
      return await fn(r);
    } finally {
      await this.releaseStopped(rec);
    }
  }

  /** Container locks held from mountStopped to releaseStopped. */
  private readonly held = new Map<string, () => void>();

  /**
   * Mounts a stopped container's rootfs; paths under a volume or bind go to its source instead.
   * Holds the container's lock until releaseStopped (as dockerd does for an archive): a start
   * meanwhile would mount the rootfs under this operation, or have its own unmounted by it.
   */
  private async mountStopped(rec: ContainerRecord, path: string): Promise<Root> {
    const unlock = await new Promise<() => void>((locked) => {
      void this.ctx.locks.with(`container:${rec.id}`, () => new Promise<void>(locked));
    });
    this.held.set(rec.id, unlock);
    try {
      // Started while this waited for the lock: its root is under /proc (releaseStopped unlocks).
      const cur = this.ctx.store.get(rec.id);
      if (cur && this.isRunning(cur)) return this.runningRoot(cur, path);
      return await this.mountStoppedLocked(rec, path);
    } catch (e) {
      this.held.delete(rec.id);
      unlock();
      throw e;
    }
  }

  private async mountStoppedLocked(rec: ContainerRecord, path: string): Promise<Root> {
    const mp = [...rec.mountPoints]
      .filter(
        (m) =>
          m.type !== 'tmpfs' && (path === m.destination || path.startsWith(`${m.destination}/`)),
      )
      .sort((a, b) => b.destination.length - a.destination.length)[0];
    if (mp) return { root: mp.source, path: path.slice(mp.destination.length) || '/' };
    const rootfs = await mountContainerRootfs(this.ctx, rec.id);
    return { root: rootfs, path };
  }

  private async releaseStopped(rec: ContainerRecord): Promise<void> {
    const unlock = this.held.get(rec.id);
    this.held.delete(rec.id);
    try {
      const cur = this.ctx.store.get(rec.id);
      if (cur && this.isRunning(cur)) return;
      await this.ctx.mounter.unmount(this.runner.rootfs(rec.id)).catch(() => undefined);
    } finally {
      unlock?.();
    }
  }
}

async function withRootFd<T>(r: Root, fn: (rootFd: number) => Promise<T> | T): Promise<T> {
  const rootFd = openRootDir(r.root);
  try {
    return await fn(rootFd);
  } finally {
    closeFd(rootFd);
  }
}

/** openInRoot with dockerd's answers: a path that is not there is a 404 naming the container path. */
function inRoot(
  rootFd: number,
  path: string,
  flags: number,
  ref: string,
  followLast = false,
): number {
  try {
    return openInRoot(rootFd, path === '' ? '/' : path, flags, { followLast });
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new NotFoundError(`Could not find the file ${path} in container ${ref}`);
    if (code === 'ELOOP')
      throw new InvalidArgumentError(`too many levels of symbolic links: ${path}`);
    throw e;
  }
}

function statIn(rootFd: number, r: Root, ref: string): PathStat {
  const fd = inRoot(rootFd, r.path, O_PATH, ref, false);
  try {
    const st = confined().lstatat(fd, '');
    let mode = st.mode & 0o777;
    if (st.mode & 0o4000) mode += GO_MODE_SETUID;
    if (st.mode & 0o2000) mode += GO_MODE_SETGID;
    if (st.mode & 0o1000) mode += GO_MODE_STICKY;
    if (isDirMode(st.mode)) mode += GO_MODE_DIR;
    let linkTarget = '';
    if (isSymlinkMode(st.mode)) {
      mode += GO_MODE_SYMLINK;
      linkTarget = resolvedContainerPath(rootFd, r.path, ref);
    }
    const name =
      r.path
        .split('/')
        .filter((p) => p !== '' && p !== '.')
        .at(-1) ?? '/';
    return { name, size: st.size, mode, mtime: mtimeOf(st).toISOString(), linkTarget };
  } finally {
    closeFd(fd);
  }
}

/**
 * Where a symlink leads inside the container: the kernel resolves it (RESOLVE_IN_ROOT) and
 * /proc/self/fd names the result; the root's own name is cut off.
 */
function resolvedContainerPath(rootFd: number, path: string, ref: string): string {
  const fd = inRoot(rootFd, path, O_PATH, ref, true);
  try {
    const root = readlinkSync(`/proc/self/fd/${rootFd}`);
    const target = readlinkSync(`/proc/self/fd/${fd}`);
    if (root === '/') return target;
    if (target === root) return '/';
    return target.startsWith(`${root}/`) ? target.slice(root.length) : target;
  } finally {
    closeFd(fd);
  }
}
