/**
 * `docker cp` (archive HEAD/GET/PUT) and `docker export`. A running container is reached through
 * /proc/<pid>/root (its mounts, volumes included, are visible there); a stopped one through its
 * snapshot mounted for the operation, with volume and bind destinations mapped to their sources.
 * Every path is resolved inside the container root (resolve-in-root.ts), never outside it.
 */
import { lstat, mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, NotFoundError } from '../../../errors.js';
import type { ContainerContext } from '../container-context.js';
import type { ContainerRecord } from '../container-record.js';
import type { ContainerRunner } from '../container-runner.js';
import { extractInto } from './extract-into.js';
import { packPath } from './pack-path.js';
import { containerPath, resolveInRoot } from './resolve-in-root.js';

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
    return this.withRoot(ref, path, async (r) => this.statIn(r, ref));
  }

  /** The tar stream is produced while the root stays available (a stopped container's mount is kept until it ends). */
  async get(
    ref: string,
    path: string,
    signal: AbortSignal,
  ): Promise<{ stat: PathStat; tar: Readable }> {
    const rec = this.ctx.store.find(ref);
    const running = this.isRunning(rec);
    const r = running ? this.runningRoot(rec, path) : await this.mountStopped(rec, path);
    try {
      const stat = await this.statIn(r, ref);
      const host = await resolveInRoot(r.root, r.path, !r.path.endsWith('/.'));
      const tar = packPath(host, {
        name: r.path.endsWith('/.') ? '' : basename(host) || '',
        signal,
      });
      if (!running) tar.once('close', () => void this.releaseStopped(rec));
      return { stat, tar };
    } catch (e) {
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
    await this.withRoot(ref, path, async (r) => {
      const rec = this.ctx.store.find(ref);
      if (rec.hostConfig.readonlyRootfs)
        throw new InvalidArgumentError('container rootfs is marked read-only');
      const host = await resolveInRoot(r.root, r.path);
      const st = await lstat(host).catch(() => undefined);
      if (!st) throw new NotFoundError(`Could not find the file ${path} in container ${ref}`);
      if (!st.isDirectory()) throw new InvalidArgumentError(`extraction point is not a directory`);
      await extractInto(host, input, {
        noOverwriteDirNonDir: o.noOverwriteDirNonDir,
        ...(o.copyUIDGID ? {} : { owner: { uid: 0, gid: 0 } }),
      });
    });
  }

  /** The container's root filesystem (its snapshot, without volumes), as a tar. */
  async export(ref: string, signal: AbortSignal): Promise<Readable> {
    const rec = this.ctx.store.find(ref);
    const running = this.isRunning(rec);
    const rootfs = this.runner.rootfs(rec.id);
    if (!running) await this.mountStopped(rec, '/');
    const tar = packPath(rootfs, { name: '', signal });
    if (!running) tar.once('close', () => void this.releaseStopped(rec));
    return tar;
  }

  private async statIn(r: Root, ref: string): Promise<PathStat> {
    const host = await resolveInRoot(r.root, r.path, false);
    const st = await lstat(host).catch(() => undefined);
    if (!st) throw new NotFoundError(`Could not find the file ${r.path} in container ${ref}`);
    let mode = st.mode & 0o777;
    if (st.mode & 0o4000) mode += GO_MODE_SETUID;
    if (st.mode & 0o2000) mode += GO_MODE_SETGID;
    if (st.mode & 0o1000) mode += GO_MODE_STICKY;
    if (st.isDirectory()) mode += GO_MODE_DIR;
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      mode += GO_MODE_SYMLINK;
      linkTarget = containerPath(r.root, await resolveInRoot(r.root, r.path, true));
    }
    return { name: basename(host), size: st.size, mode, mtime: st.mtime.toISOString(), linkTarget };
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

  /** Mounts a stopped container's rootfs; paths under a volume or bind go to its source instead. */
  private async mountStopped(rec: ContainerRecord, path: string): Promise<Root> {
    const mp = [...rec.mountPoints]
      .filter(
        (m) =>
          m.type !== 'tmpfs' && (path === m.destination || path.startsWith(`${m.destination}/`)),
      )
      .sort((a, b) => b.destination.length - a.destination.length)[0];
    if (mp) return { root: mp.source, path: path.slice(mp.destination.length) || '/' };
    const rootfs = this.runner.rootfs(rec.id);
    await mkdir(rootfs, { recursive: true, mode: 0o700 });
    await this.ctx.mounter.unmount(rootfs).catch(() => undefined);
    await this.ctx.mounter.mount(await this.ctx.snapshots.mounts(rec.id), rootfs);
    return { root: rootfs, path };
  }

  private async releaseStopped(rec: ContainerRecord): Promise<void> {
    const cur = this.ctx.store.get(rec.id);
    if (cur && this.isRunning(cur)) return;
    await this.ctx.mounter.unmount(this.runner.rootfs(rec.id)).catch(() => undefined);
  }
}
