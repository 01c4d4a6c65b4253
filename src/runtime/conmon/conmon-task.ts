/**
 * A container run by conmon + the OCI runtime. Everything it needs is in files (bundle, pid
 * files, exit file, runtime state), so a new skiffd can rebuild it after a restart.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UnavailableError, messageOf } from '../../errors.js';
import { run } from '../../proc/run.js';
import type {
  AttachSession,
  ExecIO,
  ExecProcess,
  Exit,
  ProcessSpec,
  Task,
  TaskState,
} from '../runtime.js';
import {
  deleteCommand,
  isNotExist,
  killCommand,
  pauseCommand,
  resumeCommand,
  signalArg,
  startCommand,
  stateCommand,
  updateCommand,
} from '../oci/runtime-commands.js';
import type { OciResources } from '../spec/oci-spec.js';
import { openAttach } from './attach-bridge.js';
import { cuuidOf, type ConmonContext } from './conmon-context.js';
import { processesInPidNamespaceOf } from './container-processes.js';
import { writeCtl } from './ctl-fifo.js';
import { runcExec } from './runc-exec.js';
import { runcExecFifo, startThroughExecFifo } from './runc-exec-fifo.js';
import { conmonTtyExec } from './conmon-exec.js';

export class ConmonTask implements Task {
  constructor(
    private readonly c: ConmonContext,
    readonly id: string,
    readonly bundle: string,
    readonly pid: number,
    readonly conmonPid: number,
  ) {}

  async start(): Promise<void> {
    if (
      this.c.runtimeName === 'runc' &&
      (await startThroughExecFifo(runcExecFifo(this.c.stateRoot, this.id), this.pid))
    )
      return;
    await run(this.c.runtimePath, startCommand(this.c.globalArgs, this.id));
  }

  attach(): Promise<AttachSession> {
    return openAttach(this.c.bridge, join(this.c.socketDir, cuuidOf(this.id), 'attach'));
  }

  async kill(signal: string | number, all = false): Promise<void> {
    // `kill --all` needs the container's cgroup, which a rootless container on a host without
    // delegation does not have; killing the init of its pid namespace takes the rest with it.
    await run(
      this.c.runtimePath,
      killCommand(this.c.globalArgs, this.id, signalArg(signal), all && this.c.cgroups),
    );
  }

  async resize(height: number, width: number): Promise<void> {
    await writeCtl(join(this.bundle, 'ctl'), `1 ${height} ${width}`);
  }

  /** Asks conmon to reopen the log file (after skiff rotated it away). */
  async reopenLog(): Promise<void> {
    await writeCtl(join(this.bundle, 'ctl'), '2 0 0');
  }

  async wait(signal?: AbortSignal): Promise<Exit> {
    const code = await this.c.exits.wait(this.id, signal);
    const oom = await readFile(join(this.bundle, 'oom'), 'utf8').then(
      () => true,
      () => false,
    );
    return { code, oomKilled: oom, finishedAt: await this.c.exits.exitTime(this.id) };
  }

  exec(execId: string, spec: ProcessSpec, io: ExecIO): Promise<ExecProcess> {
    if (io.tty && !io.detach) return conmonTtyExec(this.c, this.id, this.bundle, execId, spec, io);
    return runcExec(
      {
        runtimePath: this.c.runtimePath,
        globalArgs: this.c.globalArgs,
        containerId: this.id,
        workDir: join(this.bundle, 'exec'),
      },
      execId,
      spec,
      io,
    );
  }

  async pause(): Promise<void> {
    if (!this.c.freezer.usable)
      throw new UnavailableError(`cannot pause: ${this.c.freezer.reason}`);
    await run(this.c.runtimePath, pauseCommand(this.c.globalArgs, this.id));
  }

  async resume(): Promise<void> {
    if (!this.c.freezer.usable)
      throw new UnavailableError(`cannot unpause: ${this.c.freezer.reason}`);
    await run(this.c.runtimePath, resumeCommand(this.c.globalArgs, this.id));
  }

  async update(resources: OciResources): Promise<boolean> {
    // Without a delegated cgroup the container was created without one (the rootless spec pass
    // drops the limits): there is nothing for the runtime to change.
    if (!this.c.cgroups) return false;
    await run(this.c.runtimePath, updateCommand(this.c.globalArgs, this.id, resources));
    return true;
  }

  processes(): Promise<readonly number[]> {
    return processesInPidNamespaceOf(this.pid);
  }

  async state(): Promise<TaskState> {
    const code = await this.c.exits.read(this.id);
    if (code !== undefined)
      return {
        id: this.id,
        status: 'stopped',
        pid: 0,
        conmonPid: this.conmonPid,
        exit: { code, oomKilled: false, finishedAt: await this.c.exits.exitTime(this.id) },
      };
    try {
      const s = await run(this.c.runtimePath, stateCommand(this.c.globalArgs, this.id));
      return { id: this.id, status: s.status, pid: s.pid, conmonPid: this.conmonPid };
    } catch {
      return { id: this.id, status: 'unknown', pid: this.pid, conmonPid: this.conmonPid };
    }
  }

  async delete(force = false): Promise<void> {
    try {
      await run(this.c.runtimePath, deleteCommand(this.c.globalArgs, this.id, force));
    } catch (e) {
      if (!isNotExist(messageOf(e))) throw e;
    }
    await rm(join(this.c.socketDir, cuuidOf(this.id)), { force: true });
    await rm(this.c.exits.path(this.id), { force: true });
    for (const f of ['pidfile', 'conmon.pid', 'oom', 'exit', 'attach', 'ctl', 'winsz'])
      await rm(join(this.bundle, f), { force: true });
    await rm(join(this.bundle, 'exec'), { recursive: true, force: true });
  }
}
