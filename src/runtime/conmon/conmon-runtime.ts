/**
 * The Runtime seam with conmon as the per-container monitor and runc or crun (chosen at startup)
 * as the OCI runtime: create spawns conmon, which runs `<runtime> create` and reports the pid on
 * its sync pipe (or the runtime's own error message).
 */
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError, isNotFound } from '../../errors.js';
import type { CreateTaskRequest, Runtime, Task } from '../runtime.js';
import { conmonCreateArgv } from './conmon-args.js';
import { cuuidOf, type ConmonContext } from './conmon-context.js';
import { ConmonTask } from './conmon-task.js';
import { ExitWatcher } from './exit-watcher.js';
import { spawnConmon } from './spawn-conmon.js';
import { startRotation } from '../logs/log-rotator.js';

export interface ConmonRuntimeOptions {
  readonly conmon: string;
  readonly runtimeName: string;
  readonly runtimePath: string;
  readonly runtimeVersion: string;
  readonly globalArgs: readonly string[];
  /** The runtime's state directory, the --root in globalArgs. */
  readonly stateRoot: string;
  /** `<execRoot>`: exits/ and socks/ live below it. */
  readonly execRoot: string;
  readonly bridge?: string;
  readonly freezer: { readonly usable: boolean; readonly reason: string };
  readonly cgroups: boolean;
  readonly env: NodeJS.ProcessEnv;
}

export class ConmonRuntime implements Runtime {
  readonly name: string;
  readonly version: string;
  private readonly c: ConmonContext;

  private constructor(o: ConmonRuntimeOptions, exits: ExitWatcher) {
    this.name = o.runtimeName;
    this.version = o.runtimeVersion;
    this.c = {
      conmon: o.conmon,
      runtimePath: o.runtimePath,
      runtimeName: o.runtimeName,
      globalArgs: o.globalArgs,
      stateRoot: o.stateRoot,
      exitDir: exits.dir,
      socketDir: join(o.execRoot, 'socks'),
      exits,
      ...(o.bridge ? { bridge: o.bridge } : {}),
      freezer: o.freezer,
      cgroups: o.cgroups,
      env: o.env,
    };
  }

  static async create(o: ConmonRuntimeOptions): Promise<ConmonRuntime> {
    const exits = new ExitWatcher(join(o.execRoot, 'exits'));
    await exits.start();
    await mkdir(join(o.execRoot, 'socks'), { recursive: true, mode: 0o700 });
    await removeDanglingLinks(join(o.execRoot, 'socks'));
    return new ConmonRuntime(o, exits);
  }

  close(): void {
    this.c.exits.stop();
  }

  async create(req: CreateTaskRequest): Promise<Task> {
    const files = this.files(req.bundle);
    // conmon links `socks/<cuuid>` to the bundle before the runtime runs, and leaves the link
    // behind when the runtime fails: only a task's delete removes it otherwise.
    const socketLink = join(this.c.socketDir, cuuidOf(req.id));
    // Leftovers of an earlier run of the same container would confuse the new monitor.
    await Promise.all(
      [
        files.containerPidFile,
        files.conmonPidFile,
        join(req.bundle, 'oom'),
        this.c.exits.path(req.id),
        socketLink,
      ].map((f) => rm(f, { force: true })),
    );
    const argv = conmonCreateArgv({
      id: req.id,
      cuuid: cuuidOf(req.id),
      name: req.name,
      runtimePath: this.c.runtimePath,
      runtimeArgs: this.c.globalArgs,
      bundle: req.bundle,
      paths: {
        ...files,
        exitDir: this.c.exitDir,
        persistDir: req.bundle,
        socketDir: this.c.socketDir,
      },
      tty: req.io.tty,
      stdin: req.io.stdin,
      leaveStdinOpen: req.io.leaveStdinOpen ?? false,
      log: req.io.log,
    });
    const p = spawnConmon(this.c.conmon, argv, this.c.env, false);
    let msg;
    try {
      msg = await p.nextSync();
    } catch (e) {
      await rm(socketLink, { force: true });
      throw e;
    } finally {
      p.closePipes();
    }
    if (msg.data < 0) {
      await rm(socketLink, { force: true });
      throw new InternalError(
        cleanRuntimeMessage(msg.message ?? 'the OCI runtime failed to create the container'),
      );
    }
    const conmonPid = Number((await readFile(files.conmonPidFile, 'utf8').catch(() => '0')).trim());
    const task = new ConmonTask(this.c, req.id, req.bundle, msg.data, conmonPid);
    const log = req.io.log;
    if (log.kind === 'file' && log.maxSize !== undefined) {
      const policy = { maxSize: log.maxSize, maxFiles: log.maxFiles ?? 1 };
      await writeFile(
        join(req.bundle, 'log-rotation.json'),
        JSON.stringify({ path: log.path, ...policy }),
      );
      startRotation(log.path, policy, () => task.reopenLog(), task.wait());
    }
    return task;
  }

  async get(id: string, bundle: string): Promise<Task | undefined> {
    const files = this.files(bundle);
    const conmonPid = Number((await readFile(files.conmonPidFile, 'utf8').catch(() => '0')).trim());
    const pid = Number((await readFile(files.containerPidFile, 'utf8').catch(() => '0')).trim());
    const exited = (await this.c.exits.read(id)) !== undefined;
    const monitorAlive = conmonPid > 0 && (await isConmon(conmonPid));
    if (!monitorAlive && !exited) return undefined;
    const task = new ConmonTask(this.c, id, bundle, pid, conmonPid);
    const rotation = await readFile(join(bundle, 'log-rotation.json'), 'utf8').then(
      (t) => JSON.parse(t) as { path: string; maxSize: number; maxFiles: number },
      () => undefined,
    );
    if (rotation && !exited)
      startRotation(rotation.path, rotation, () => task.reopenLog(), task.wait());
    return task;
  }

  private files(bundle: string): { containerPidFile: string; conmonPidFile: string } {
    return { containerPidFile: join(bundle, 'pidfile'), conmonPidFile: join(bundle, 'conmon.pid') };
  }
}

/**
 * Attach-socket links whose target is gone (a container or exec that failed, or a crash before
 * its task was deleted): a live container's or exec's link points into its bundle, which exists.
 */
async function removeDanglingLinks(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const link = join(dir, name);
    await stat(link).catch(async (e: unknown) => {
      if (isNotFound(e)) await rm(link, { force: true });
    });
  }
}

async function isConmon(pid: number): Promise<boolean> {
  const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmd.includes('conmon');
}

/** runc's messages come as logfmt/JSON lines: keep the human part. */
export function cleanRuntimeMessage(raw: string): string {
  const all = raw.split('\n');
  // runc logs warnings (e.g. "unable to get oom kill count") next to its error: keep the errors.
  const errors = all.filter((l) => /level=error|"level":"error"/.test(l));
  const lines = (errors.length > 0 ? errors : all).map((l) => l.trim()).filter((l) => l !== '');
  const msgs = lines.map(
    (l) =>
      /msg="((?:[^"\\]|\\.)*)"/.exec(l)?.[1]?.replace(/\\"/g, '"') ??
      /"msg":"((?:[^"\\]|\\.)*)"/.exec(l)?.[1]?.replace(/\\"/g, '"') ??
      l,
  );
  return msgs.join('; ') || raw;
}
