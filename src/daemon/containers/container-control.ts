/**
 * stop, kill, restart, remove, pause/unpause, rename: the operations that act on a container's
 * state, each under the container's lock, with Docker's results (304 for no-ops, 409 for a
 * container in the wrong state) and events (kill → die → stop).
 */
import { ConflictError, NotFoundError } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRecord } from './container-record.js';
import type { ContainerRunner } from './container-runner.js';
import { validateName } from './container-names.js';
import { renameInLinks } from './link-updates.js';
import { unpublishPorts } from './publish-ports.js';
import { parseSignal } from './signals.js';

export type StopResult = 'stopped' | 'not-running';

/** How long a SIGKILL waits for the container's exit to be recorded (dockerd: 10 s). */
const KILL_WAIT_MS = 10_000;

export class ContainerControl {
  constructor(
    private readonly ctx: ContainerContext,
    private readonly runner: ContainerRunner,
  ) {}

  async stop(ref: string, o: { timeoutSec?: number; signal?: string } = {}): Promise<StopResult> {
    const rec = this.ctx.store.find(ref);
    const id = rec.id;
    const task = this.runner.task(id);
    if (rec.state.status === 'restarting' && this.runner.cancelRestart(id)) {
      await this.runner.save({
        ...rec,
        state: { ...rec.state, status: 'exited', manuallyStopped: true },
      });
      this.ctx.events.publish('container', 'stop', id, attrs(rec));
      return 'stopped';
    }
    if (!task || (rec.state.status !== 'running' && rec.state.status !== 'paused'))
      return 'not-running';
    // Registered while the state still says running (no await since it was read): an exit
    // recorded during markStopped would otherwise be missed and the stop would wait forever.
    const exited = this.runner.waiters.nextExit(id);
    await this.markStopped(id);
    const sig = parseSignal(o.signal ?? rec.config.stopSignal ?? 'SIGTERM');
    const timeout = o.timeoutSec ?? rec.config.stopTimeout ?? 10;
    if (timeout !== 0 || sig.name === 'SIGKILL') {
      await task.kill(sig.name).catch(() => undefined);
      this.ctx.events.publish('container', 'kill', id, {
        ...attrs(rec),
        signal: String(sig.number),
      });
    }
    const inTime =
      timeout < 0
        ? await exited.then(() => true)
        : await Promise.race([exited.then(() => true), delay(timeout * 1000).then(() => false)]);
    if (!inTime) {
      await task.kill('SIGKILL', true).catch(() => undefined);
      this.ctx.events.publish('container', 'kill', id, { ...attrs(rec), signal: '9' });
      await exited;
    }
    this.ctx.events.publish('container', 'stop', id, attrs(rec));
    return 'stopped';
  }

  async kill(ref: string, signal = 'SIGKILL'): Promise<void> {
    const rec = this.ctx.store.find(ref);
    const sig = parseSignal(signal);
    const task = this.runner.task(rec.id);
    if (!task || rec.state.status !== 'running') {
      if (rec.state.status === 'restarting' && this.runner.cancelRestart(rec.id)) {
        await this.runner.save({
          ...rec,
          state: { ...rec.state, status: 'exited', manuallyStopped: true },
        });
        return;
      }
      throw new ConflictError(`Cannot kill container: ${ref}: Container ${rec.id} is not running`);
    }
    // As dockerd: a SIGKILL returns once the exit is recorded (inspect no longer says running,
    // a remove right after it succeeds), waiting at most KILL_WAIT_MS; other signals return at
    // once. Registered before any await, while the state read above is current.
    const exited = sig.name === 'SIGKILL' ? this.runner.waiters.nextExit(rec.id) : undefined;
    if (sig.name === 'SIGKILL' || sig.name === (rec.config.stopSignal ?? 'SIGTERM'))
      await this.markStopped(rec.id);
    await task.kill(sig.name, sig.name === 'SIGKILL');
    this.ctx.events.publish('container', 'kill', rec.id, {
      ...attrs(rec),
      signal: String(sig.number),
    });
    if (exited) await Promise.race([exited, delay(KILL_WAIT_MS)]);
  }

  async restart(ref: string, o: { timeoutSec?: number; signal?: string } = {}): Promise<void> {
    const rec = this.ctx.store.find(ref);
    await this.stop(rec.id, o);
    await this.runner.start(rec.id);
    this.ctx.events.publish('container', 'restart', rec.id, attrs(rec));
  }

  async pause(ref: string): Promise<void> {
    const rec = this.ctx.store.find(ref);
    const task = this.runner.task(rec.id);
    if (!task || rec.state.status !== 'running')
      throw new ConflictError(`Container ${rec.id} is not running`);
    await task.pause();
    await this.ctx.locks.with(`container:${rec.id}`, async () => {
      const cur = this.ctx.store.find(rec.id);
      await this.runner.save({ ...cur, state: { ...cur.state, status: 'paused' } });
    });
    this.ctx.events.publish('container', 'pause', rec.id, attrs(rec));
  }

  async unpause(ref: string): Promise<void> {
    const rec = this.ctx.store.find(ref);
    const task = this.runner.task(rec.id);
    if (!task || rec.state.status !== 'paused')
      throw new ConflictError(`Container ${rec.id} is not paused`);
    await task.resume();
    await this.ctx.locks.with(`container:${rec.id}`, async () => {
      const cur = this.ctx.store.find(rec.id);
      await this.runner.save({ ...cur, state: { ...cur.state, status: 'running' } });
    });
    this.ctx.events.publish('container', 'unpause', rec.id, attrs(rec));
  }

  async rename(ref: string, newName: string): Promise<void> {
    const name = validateName(newName);
    const rec = this.ctx.store.find(ref);
    if (rec.name === name)
      throw new ConflictError(`Renaming a container with the same name as its current name`);
    await this.ctx.locks.with(`container:${rec.id}`, async () => {
      this.ctx.store.reserveName(name, rec.id);
      const cur = this.ctx.store.find(rec.id);
      // The new name was reserved for this container: a failed save must not keep it taken.
      await this.runner.save({ ...cur, name }).catch((e: unknown) => {
        this.ctx.store.releaseName(name, rec.id);
        throw e;
      });
    });
    // After the lock is released: the linking containers' records take their own locks.
    await renameInLinks(this.ctx, rec.id, rec.name, name);
    this.ctx.events.publish('container', 'rename', rec.id, {
      ...attrs(rec),
      name,
      oldName: `/${rec.name}`,
    });
  }

  /**
   * docker rm: running containers need force (then they are killed first). The state is read
   * under the container's lock: a start holds that lock until the container runs, so an rm that
   * arrives mid-start sees it running (409 without force) instead of deleting what is starting
   * (whose published ports nobody would then release).
   */
  async remove(ref: string, o: { force: boolean; volumes: boolean }): Promise<void> {
    const rec = this.ctx.store.find(ref);
    const id = rec.id;
    const removed = await this.ctx.locks.with(`container:${id}`, async () => {
      const cur = this.ctx.store.get(id);
      if (!cur) throw new NotFoundError(`No such container: ${ref}`);
      if (cur.state.status === 'removing')
        throw new ConflictError(`removal of container ${id} is already in progress`);
      if (!isActive(cur)) {
        await this.removeLocked(cur);
        return cur;
      }
      if (!o.force) {
        const what = cur.state.status === 'paused' ? 'container is paused' : 'container is running';
        throw new ConflictError(
          `cannot remove container "/${cur.name}": ${what}: stop the container before removing or force remove`,
        );
      }
      this.runner.cancelRestart(id);
      if (!cur.state.manuallyStopped)
        await this.runner.save({ ...cur, state: { ...cur.state, manuallyStopped: true } });
      return undefined;
    });
    let last = removed;
    if (!last) {
      // Killed outside the lock: recording the exit (and releasing its ports) takes it.
      const task = this.runner.task(id);
      if (task) {
        const exited = this.runner.waiters.nextExit(id);
        await task.kill('SIGKILL', true).catch(() => undefined);
        await Promise.race([exited, delay(30_000)]);
      }
      last = await this.ctx.locks.with(`container:${id}`, async () => {
        const cur = this.ctx.store.get(id);
        if (cur) await this.removeLocked(cur);
        return cur;
      });
      if (!last) return;
    }
    if (o.volumes)
      for (const m of last.mountPoints)
        if (m.anonymous && m.name) await this.ctx.volumes.removeIfUnused(m.name);
    this.ctx.events.publish('container', 'destroy', id, attrs(last));
    this.runner.waiters.notifyRemoved(id, { code: last.state.exitCode });
  }

  /** Requires the container's lock. */
  private async removeLocked(cur: ContainerRecord): Promise<void> {
    const id = cur.id;
    await this.runner.save({ ...cur, state: { ...cur.state, status: 'removing' } });
    const task = this.runner.task(id);
    if (task) {
      await task.delete(true).catch(() => undefined);
      // Still running (started again after the kill): its exit will find no record, so its
      // ports are released here.
      if (this.ctx.ports && cur.state.ports) await unpublishPorts(this.ctx.ports, cur.state.ports);
    }
    // Its exit finds no record either: the network namespace and endpoints go here.
    await this.runner.detachNetwork(cur, cur.state.network);
    await this.runner.removeBundle(id);
    await this.ctx.snapshots.remove(id).catch((e: unknown) => {
      this.ctx.log.warn({ id, err: e }, 'removing the container snapshot failed');
    });
    await this.ctx.store.delete(id);
    this.runner.attachHub.cancel(id);
  }

  private async markStopped(id: string): Promise<void> {
    await this.ctx.locks.with(`container:${id}`, async () => {
      const cur = this.ctx.store.get(id);
      if (cur && !cur.state.manuallyStopped)
        await this.runner.save({ ...cur, state: { ...cur.state, manuallyStopped: true } });
    });
  }
}

function isActive(rec: ContainerRecord): boolean {
  const s = rec.state.status;
  return s === 'running' || s === 'paused' || s === 'restarting';
}

export function attrs(rec: ContainerRecord): Record<string, string> {
  return { image: rec.config.image, name: rec.name, ...rec.config.labels };
}

/** Node's timers hold at most 2^31-1 ms; a longer delay fires after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits `ms`, however long: a stop timeout may be any int64 of seconds, as dockerd stores it
 * (issue 10 item 15: `StopTimeout: 99999999999` made `docker stop` kill at once).
 */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const step = (left: number): void => {
      setTimeout(
        () => {
          if (left > MAX_TIMER_MS) step(left - MAX_TIMER_MS);
          else resolve();
        },
        Math.min(left, MAX_TIMER_MS),
      ).unref();
    };
    step(ms);
  });
}
