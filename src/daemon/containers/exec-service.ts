/**
 * `docker exec`: exec instances live in memory, as in dockerd (they vanish with the daemon and
 * with their container). create → start (attached or detached) → inspect for the exit code.
 * An exec that is not running (finished, failed, or never started) stays inspectable for a
 * while and is then dropped, as dockerd's exec GC does: otherwise a container that runs a
 * health check or a `docker exec` every few seconds for months would hold every one of them.
 */
import { goErrnoText } from '../../runtime/oci/go-errno-text.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, EngineError, NotFoundError, type ErrorKind } from '../../errors.js';
import { newId } from '../../store/ids.js';
import {
  ExecStartFailed,
  type AttachSession,
  type ExecProcess,
  type Task,
} from '../../runtime/runtime.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRecord } from './container-record.js';
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

/**
 * The runtime could not start the exec's process, in dockerd's words (`OCI runtime exec failed:
 * ...`). dockerd answers it inside an attached start's stream (after the 101), or as the error
 * of a detached one; the exec's exit code is then 126.
 */
export class ExecStartError extends EngineError {}

/** dockerd's exit code of an exec whose process could not be started. */
export const EXEC_START_FAILED_CODE = 126;

export interface ExecStart {
  /** Whether the process has a TTY: decided by the exec's create config, as in dockerd. */
  readonly tty: boolean;
  /** The exec's stdio; undefined when detached. */
  readonly session?: AttachSession;
  /** Resolves when the process has exited and its exit code is recorded. */
  readonly done: Promise<void>;
}

/** How long execs that are not running are kept. */
export interface ExecRetention {
  /** An exec is dropped this long after it finished (or was created, if it never started). */
  readonly ttlMs: number;
  /** Beyond this many execs that are not running, a container's oldest ones are dropped. */
  readonly maxIdlePerContainer: number;
  readonly now: () => number;
}

export const DEFAULT_EXEC_RETENTION: ExecRetention = {
  ttlMs: 5 * 60_000,
  maxIdlePerContainer: 100,
  now: () => Date.now(),
};

export class ExecService {
  private readonly execs = new Map<string, ExecInstance>();
  /** Since when each exec that is not running has been so; running execs have no entry. */
  private readonly idleSince = new Map<string, number>();

  constructor(
    private readonly ctx: ContainerContext,
    private readonly runner: ContainerRunner,
    private readonly retention: ExecRetention = DEFAULT_EXEC_RETENTION,
  ) {}

  create(ref: string, config: ExecConfig): string {
    const rec = this.ctx.store.find(ref);
    if (rec.state.status === 'paused')
      throw new ConflictError(`Container ${rec.id} is paused, unpause the container before exec`);
    if (rec.state.status !== 'running' || !this.runner.task(rec.id))
      throw new ConflictError(`Container ${rec.id} is not running`);
    this.prune();
    const id = newId();
    this.idleSince.set(id, this.retention.now());
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
    this.prune();
    const e = this.execs.get(id);
    if (!e) throw new NotFoundError(`No such exec instance: ${id}`);
    return e;
  }

  async start(id: string, o: { detach: boolean }): Promise<ExecStart> {
    const e = this.get(id);
    if (e.started) throw new ConflictError(`Error: Exec command ${id} has already run`);
    const rec = this.ctx.store.find(e.containerId);
    const task = this.runner.task(rec.id);
    if (!task || rec.state.status !== 'running')
      throw new ConflictError(`Container ${rec.id} is not running`);
    e.started = true;
    this.idleSince.delete(id);
    try {
      return await this.launch(e, rec, task, o);
    } catch (err) {
      this.idleSince.set(id, this.retention.now());
      if (!(err instanceof ExecStartFailed)) throw err;
      e.exitCode = EXEC_START_FAILED_CODE;
      throw execStartError(err);
    }
  }

  private async launch(
    e: ExecInstance,
    rec: ContainerRecord,
    task: Task,
    o: { detach: boolean },
  ): Promise<ExecStart> {
    const id = e.id;
    // dockerd takes the TTY from the exec's create config; the start body's Tty only chooses how
    // the attached stream is framed (see api/routes/exec.ts).
    const tty = e.config.tty;
    // Independent reads (the container's spec, its /etc/passwd and /etc/group): side by side.
    const [baseText, user] = await Promise.all([
      readFile(join(this.runner.bundle(rec.id), 'config.json'), 'utf8'),
      this.ctx.spec.resolveUser(
        this.runner.rootfs(rec.id),
        e.config.user || rec.config.user,
        rec.hostConfig.groupAdd,
      ),
    ]);
    const base = JSON.parse(baseText) as { process?: { env?: string[] } };
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
        this.idleSince.set(id, this.retention.now());
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
        this.idleSince.set(id, this.retention.now());
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
    this.prune();
    return [...this.execs.values()].filter((e) => e.containerId === containerId).map((e) => e.id);
  }

  forget(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.drop(id);
  }

  /** Drops execs idle longer than the TTL, then each container's oldest beyond the cap. */
  private prune(): void {
    const now = this.retention.now();
    const idleByContainer = new Map<string, { id: string; since: number }[]>();
    for (const [id, e] of this.execs) {
      const since = this.idleSince.get(id);
      if (since === undefined) continue;
      if (now - since >= this.retention.ttlMs) {
        this.drop(id);
        continue;
      }
      const list = idleByContainer.get(e.containerId) ?? [];
      list.push({ id, since });
      idleByContainer.set(e.containerId, list);
    }
    for (const list of idleByContainer.values()) {
      const excess = list.length - this.retention.maxIdlePerContainer;
      if (excess <= 0) continue;
      list.sort((a, b) => a.since - b.since);
      for (const { id } of list.slice(0, excess)) this.drop(id);
    }
  }

  private drop(id: string): void {
    this.execs.delete(id);
    this.idleSince.delete(id);
  }
}

/** dockerd's wording and kind: a missing or non-executable command is the caller's error. */
function execStartError(e: ExecStartFailed): ExecStartError {
  const message = `OCI runtime exec failed: ${goErrnoText(e.message)}: unknown`;
  const kind: ErrorKind =
    /executable file not found|no such file or directory|permission denied/i.test(e.message)
      ? 'invalid-argument'
      : 'internal';
  return new ExecStartError(kind, message, { cause: e });
}
