/**
 * `docker exec`: exec instances live in memory, as in dockerd (they vanish with the daemon and
 * with their container). create → start (attached or detached) → inspect for the exit code.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError } from '../../errors.js';
import { newId } from '../../store/ids.js';
import type { AttachSession, ExecProcess } from '../../runtime/runtime.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRunner } from './container-runner.js';
import { mergeEnv } from './merge-image-config.js';

export interface ExecConfig {
  readonly cmd: readonly string[];
  readonly env: readonly string[];
  readonly user: string;
  readonly workingDir: string;
  readonly tty: boolean;
  readonly attachStdin: boolean;
  readonly attachStdout: boolean;
  readonly attachStderr: boolean;
  readonly privileged: boolean;
  readonly detachKeys: string;
  readonly consoleSize?: { readonly height: number; readonly width: number };
}

export interface ExecInstance {
  readonly id: string;
  readonly containerId: string;
  readonly config: ExecConfig;
  running: boolean;
  exitCode: number | null;
  pid: number;
  /** Started once: a second start is a 409. */
  started: boolean;
  process?: ExecProcess;
}

export interface ExecStart {
  readonly tty: boolean;
  /** The exec's stdio; undefined when detached. */
  readonly session?: AttachSession;
  /** Resolves when the process has exited and its exit code is recorded. */
  readonly done: Promise<void>;
}

export class ExecService {
  private readonly execs = new Map<string, ExecInstance>();

  constructor(
    private readonly ctx: ContainerContext,
    private readonly runner: ContainerRunner,
  ) {}

  create(ref: string, config: ExecConfig): string {
    const rec = this.ctx.store.find(ref);
    if (rec.state.status === 'paused')
      throw new ConflictError(`Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.status !== 'running' || !this.runner.task(rec.id))
      throw new ConflictError(`Container ${rec.id} is not running`);
    const id = newId();
    this.execs.set(id, {
      id,
      containerId: rec.id,
      config,
      running: false,
      exitCode: null,
      pid: 0,
      started: false,
    });
    this.ctx.events.publish('container', `exec_create: ${config.cmd.join(' ')}`, rec.id, {
      execID: id,
      image: rec.config.image,
      name: rec.name,
    });
    return id;
  }

  get(id: string): ExecInstance {
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  async start(id: string, o: { detach: boolean; tty?: boolean }): Promise<ExecStart> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const rec = this.ctx.store.find(e.containerId);
    const task = this.runner.task(rec.id);
    if (!task || rec.state.status !== 'running')
      throw new ConflictError(`Container ${rec.id} is not running`);
    e.started = true;
    const tty = o.tty ?? e.config.tty;
    const base = JSON.parse(
      await readFile(join(this.runner.bundle(rec.id), 'config.json'), 'utf8'),
    ) as { process?: { env?: string[] } };
    const user = await this.ctx.spec.resolveUser(
      this.runner.rootfs(rec.id),
      e.config.user || rec.config.user,
      rec.hostConfig.groupAdd,
    );
    const spec = this.ctx.spec.execProcess(base, {
      cmd: e.config.cmd,
      env: mergeEnv(base.process?.env ?? [], e.config.env),
      user,
      workingDir: e.config.workingDir || rec.config.workingDir || '/',
      tty,
      privileged: e.config.privileged || rec.hostConfig.privileged,
    });
    const proc = await task.exec(
      id,
      e.config.consoleSize ? { ...spec, consoleSize: e.config.consoleSize } : spec,
      {
        tty,
        stdin: e.config.attachStdin && !o.detach,
        detach: o.detach,
      },
    );
    e.process = proc;
    e.running = true;
    e.pid = proc.pid;
    this.ctx.events.publish('container', `exec_start: ${e.config.cmd.join(' ')}`, rec.id, {
      execID: id,
      image: rec.config.image,
      name: rec.name,
    });
    const done = proc.wait().then(
      (exit) => {
        e.running = false;
        e.exitCode = exit.code;
        this.ctx.events.publish('container', 'exec_die', rec.id, {
          execID: id,
          exitCode: String(exit.code),
          image: rec.config.image,
          name: rec.name,
        });
      },
      () => {
        e.running = false;
        e.exitCode = 126;
      },
    );
    return { tty, ...(proc.session ? { session: proc.session } : {}), done };
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    if (!e.process) throw new ConflictError(`Exec ${id} is not running`);
    await e.process.resize(height, width);
  }

  /** Exec instances of a container (inspect's ExecIDs); dropped when it is removed. */
  idsOf(containerId: string): string[] {
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  forget(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }
}
