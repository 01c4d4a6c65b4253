/**
 * The containers service the API calls: one small method per operation, delegating to the
 * runner (start/exit), control (stop/kill/rm...), exec, logs and attach modules.
 */
import type { Readable } from 'node:stream';
import { messageOf } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRecord } from './container-record.js';
import { ContainerRunner, type StartResult } from './container-runner.js';
import { ContainerControl, type StopResult } from './container-control.js';
import { createContainer, type CreateResult } from './create-container.js';
import type { CreateRequest } from './create-request.js';
import { ExecService } from './exec-service.js';
import { isRuntimeMountPoint } from './runtime-mount-points.js';
import { ContainerArchive } from './archive/container-archive.js';
import { HealthMonitor } from './health-monitor.js';
import { pruneContainers, updateContainer, type UpdateRequest } from './prune-and-update.js';
import { planAttach, type AttachPlan, type AttachRequest } from './container-attach.js';
import { readContainerLogs, type LogsRequest, type LogsResult } from './container-logs.js';
import { reconcileContainers } from './reconcile.js';
import type { Change, Usage } from '../../snapshot/snapshotter.js';
import { ConflictError } from '../../errors.js';
import { containerTop, type TopResult } from './inspect/container-top.js';
import { sampleProcesses, type ProcSample } from './inspect/container-stats.js';
import type { NetworkRecord } from '../networks/network-record.js';
import type { EndpointRequest } from './create-request.js';
import { connectContainer, disconnectContainer } from './network-connect.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export class ContainerService {
  readonly runner: ContainerRunner;
  readonly control: ContainerControl;
  readonly execs: ExecService;
  readonly archive: ContainerArchive;
  readonly health: HealthMonitor;

  constructor(readonly ctx: ContainerContext) {
    this.runner = new ContainerRunner(ctx);
    this.control = new ContainerControl(ctx, this.runner);
    this.execs = new ExecService(ctx, this.runner);
    this.archive = new ContainerArchive(ctx, this.runner);
    this.health = new HealthMonitor(ctx, this.runner);
    this.runner.setHooks({
      autoRemove: (id) => this.control.remove(id, { force: true, volumes: true }),
      onStarted: (rec, task) => {
        this.health.start(rec, task);
      },
      onStopped: (id) => {
        this.health.stop(id);
      },
    });
  }

  /** Loads the records and reconciles them with what is still running. */
  async restore(): Promise<void> {
    const { loaded, orphans } = await this.ctx.store.load();
    await reconcileContainers(this.ctx, this.runner, loaded, orphans);
  }

  create(req: CreateRequest): Promise<CreateResult> {
    return createContainer(this.ctx, req);
  }

  start(ref: string): Promise<StartResult> {
    return this.runner.start(ref);
  }

  stop(ref: string, o: { timeoutSec?: number; signal?: string }): Promise<StopResult> {
    return this.control.stop(ref, o);
  }

  kill(ref: string, signal?: string): Promise<void> {
    return this.control.kill(ref, signal);
  }

  restart(ref: string, o: { timeoutSec?: number; signal?: string }): Promise<void> {
    return this.control.restart(ref, o);
  }

  pause(ref: string): Promise<void> {
    return this.control.pause(ref);
  }

  unpause(ref: string): Promise<void> {
    return this.control.unpause(ref);
  }

  rename(ref: string, name: string): Promise<void> {
    return this.control.rename(ref, name);
  }

  async remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void> {
    const id = this.ctx.store.find(ref).id;
    await this.control.remove(id, o);
    this.execs.forget(id);
  }

  /** POST /containers/{id}/wait. Registers before it returns, so a start right after is seen. */
  wait(
    ref: string,
    condition: WaitCondition,
    signal: AbortSignal,
  ): Promise<{ code: number; error?: string }> {
    const rec = this.ctx.store.find(ref);
    const active =
      rec.state.status === 'running' ||
      rec.state.status === 'paused' ||
      rec.state.status === 'restarting';
    switch (condition) {
      case 'not-running':
        return active
          ? this.runner.waiters.nextExit(rec.id, signal)
          : Promise.resolve({ code: rec.state.exitCode });
      case 'next-exit':
        return this.runner.waiters.nextExit(rec.id, signal);
      case 'removed':
        return this.runner.waiters.removed(rec.id, signal);
    }
  }

  get(ref: string): ContainerRecord {
    return this.ctx.store.find(ref);
  }

  list(): ContainerRecord[] {
    return this.ctx.store.all();
  }

  attach(ref: string, req: AttachRequest, signal: AbortSignal): AttachPlan {
    return planAttach(this.ctx, this.runner, ref, req, signal);
  }

  logs(ref: string, req: LogsRequest, signal: AbortSignal): LogsResult {
    return readContainerLogs(this.ctx, this.runner, ref, req, signal);
  }

  async resize(ref: string, height: number, width: number): Promise<void> {
    const rec = this.ctx.store.find(ref);
    const task = this.runner.task(rec.id);
    if (!task) throw new ConflictError(`Container ${rec.id} is not running`);
    await task.resize(height, width);
  }

  changes(ref: string): Promise<Change[]> {
    return this.ctx.snapshots.changes(this.ctx.store.find(ref).id, isRuntimeMountPoint);
  }

  usage(id: string): Promise<Usage> {
    return this.ctx.snapshots.usage(id).catch(() => ({ bytes: 0, inodes: 0 }));
  }

  diffTar(ref: string): Readable {
    return this.ctx.snapshots.diffTar(this.ctx.store.find(ref).id, isRuntimeMountPoint);
  }

  /** A matcher for the `ancestor` filter: image names, ids and id prefixes resolved once. */
  async ancestorMatcher(
    values: readonly string[],
  ): Promise<(rec: ContainerRecord, value: string) => boolean> {
    const ids = new Map<string, string>();
    for (const v of values) {
      const img = await this.ctx.images.resolve(v).catch(() => undefined);
      if (img) ids.set(v, img.id);
    }
    return (rec, v) => rec.config.image === v || ids.get(v) === rec.imageId;
  }

  /** SizeRw (the writable layer) and SizeRootFs (that plus the image). */
  async sizes(id: string): Promise<{ rw: number; rootFs: number }> {
    const rec = this.ctx.store.find(id);
    const rw = (await this.usage(id)).bytes;
    const image = await this.ctx.images.resolve(rec.imageId).catch(() => undefined);
    return { rw, rootFs: rw + (image?.size ?? 0) };
  }

  /** GraphDriver for inspect: the overlay directories, when the driver has them. */
  async graphDriver(id: string): Promise<{ name: string; data: Record<string, string> }> {
    const data: Record<string, string> = {};
    const mounts = await this.ctx.snapshots.mounts(id).catch(() => []);
    for (const m of mounts) {
      for (const o of m.options) {
        const [k, v] = o.split('=', 2);
        if (v === undefined) continue;
        if (k === 'lowerdir') data['LowerDir'] = v;
        if (k === 'upperdir') data['UpperDir'] = v;
        if (k === 'workdir') data['WorkDir'] = v;
      }
      if (m.type === 'bind') data['Dir'] = m.source;
    }
    data['MergedDir'] = this.runner.rootfs(id);
    return { name: this.ctx.host.storage.driver, data };
  }

  async top(ref: string, psArgs: string): Promise<TopResult> {
    const rec = this.ctx.store.find(ref);
    const task = this.runner.task(rec.id);
    if (!task || (rec.state.status !== 'running' && rec.state.status !== 'paused'))
      throw new ConflictError(`Container ${rec.id} is not running`);
    return containerTop(await task.processes(), psArgs);
  }

  /** Samples for `docker stats`: one (with no previous), two (stream=false), or one per second. */
  async *stats(
    ref: string,
    o: { stream: boolean; oneShot: boolean },
    signal: AbortSignal,
  ): AsyncIterable<{
    rec: ContainerRecord;
    cur: ProcSample | undefined;
    pre: ProcSample | undefined;
  }> {
    const id = this.ctx.store.find(ref).id;
    const sample = async (): Promise<ProcSample | undefined> => {
      const task = this.runner.task(id);
      if (!task) return undefined;
      return sampleProcesses(await task.processes().catch(() => []), task.pid);
    };
    let pre: ProcSample | undefined;
    let cur = await sample();
    if (!o.stream && !o.oneShot) {
      await sleep(500, signal);
      pre = cur;
      cur = await sample();
    }
    yield { rec: this.ctx.store.find(id), cur, pre };
    while (o.stream && !signal.aborted) {
      await sleep(1000, signal);
      if (isAborted(signal) || !this.ctx.store.get(id)) return;
      pre = cur;
      cur = await sample();
      yield { rec: this.ctx.store.find(id), cur, pre };
    }
  }

  prune(o: {
    until?: Date;
    labels: readonly string[];
    notLabels: readonly string[];
  }): Promise<{ deleted: string[]; reclaimed: number }> {
    return pruneContainers(this.ctx, this.control, {
      ...o,
      usage: async (id) => (await this.usage(id)).bytes,
    });
  }

  update(ref: string, u: UpdateRequest): Promise<string[]> {
    return updateContainer(this.ctx, ref, u, (id) => this.runner.task(id));
  }

  /** Which containers use an image (for `docker rmi`'s 409). */
  usingImage(imageId: string): { id: string; running: boolean }[] {
    return this.ctx.store
      .all()
      .filter((c) => c.imageId === imageId)
      .map((c) => ({
        id: c.id,
        running:
          c.state.status === 'running' ||
          c.state.status === 'paused' ||
          c.state.status === 'restarting',
      }));
  }

  /** `docker network connect`: the container record as it is afterwards. */
  connectNetwork(
    ref: string,
    net: NetworkRecord,
    e: EndpointRequest | undefined,
  ): Promise<ContainerRecord> {
    return connectContainer(this.ctx, ref, net, e);
  }

  disconnectNetwork(ref: string, net: NetworkRecord): Promise<ContainerRecord> {
    return disconnectContainer(this.ctx, ref, net);
  }

  /** Containers with a live endpoint on a network (inspect's `Containers`, rm's 403, prune). */
  onNetwork(networkId: string): ContainerRecord[] {
    return this.ctx.store
      .all()
      .filter((c) => c.state.network?.endpoints.some((e) => e.networkId === networkId));
  }

  /** Which containers mount a volume (for `docker volume rm`'s 409). */
  usingVolume(name: string): string[] {
    return this.ctx.store
      .all()
      .filter((c) => c.mountPoints.some((m) => m.type === 'volume' && m.name === name))
      .map((c) => c.id);
  }

  /** Daemon shutdown without live-restore: stop every running container, as dockerd does. */
  async stopAll(): Promise<void> {
    const running = this.ctx.store
      .all()
      .filter(
        (c) =>
          c.state.status === 'running' ||
          c.state.status === 'paused' ||
          c.state.status === 'restarting',
      );
    await Promise.all(
      running.map(async (c) => {
        // Not "manually" stopped: `always`/`unless-stopped` containers come back with the daemon.
        this.runner.cancelRestart(c.id);
        const task = this.runner.task(c.id);
        if (!task) return;
        const exited = this.runner.waiters.nextExit(c.id);
        await task.kill(c.config.stopSignal ?? 'SIGTERM').catch(() => undefined);
        // Capped to what a Node timer holds (2^31-1 ms, ~24.8 days): a longer one fires at once.
        const timeout = Math.min(
          (c.config.stopTimeout ?? this.ctx.defaults.shutdownTimeout) * 1000,
          2 ** 31 - 1,
        );
        const done = await Promise.race([
          exited.then(() => true),
          new Promise<boolean>((r) =>
            setTimeout(() => {
              r(false);
            }, timeout).unref(),
          ),
        ]);
        if (!done) {
          await task.kill('SIGKILL', true).catch((e: unknown) => {
            this.ctx.log.warn({ id: c.id, err: messageOf(e) }, 'kill failed');
          });
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
        }
      }),
    );
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

/** Read through a function: the signal may have been aborted while we awaited. */
function isAborted(signal: AbortSignal): boolean {
  return signal.aborted;
}
