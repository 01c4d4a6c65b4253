/**
 * `skiff daemon`, the host-side supervisor (the equivalent of dockerd-rootless.sh): starts
 * rootlesskit with a holder as its child (or joins a live holder), runs skiffd joined into the
 * holder's user and mount namespaces but left in the host's network namespace, restarts skiffd
 * when it dies unexpectedly, and on SIGTERM/SIGINT stops it and — unless live-restore is on —
 * tears the namespaces down.
 */
import { openSync, closeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError, UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { spawnChild, type ChildProcess } from '../proc/run.js';
import { childPidFile, findLiveHolder, isAlive } from './rootlesskit/holder.js';
import { rootlesskitArgv, type RootlesskitSettings } from './rootlesskit/launcher-args.js';

/** skiffd's exit code for "do not restart me": bad configuration, socket taken. */
export const EXIT_FATAL_CONFIG = 78;

export interface SupervisorOptions {
  readonly execRoot: string;
  readonly rootlesskit: string;
  readonly nsenter: string;
  readonly settings: RootlesskitSettings;
  readonly holderCommand: readonly string[];
  /** node binary and skiffd script plus its arguments (the holder pid is appended). */
  readonly skiffdCommand: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly liveRestore: boolean;
  readonly log: Logger;
}

export class Supervisor {
  private skiffd: ChildProcess | undefined;
  private holderPid = 0;
  private stopping = false;
  private restarts = 0;
  private readonly done: Promise<number>;
  private finish!: (code: number) => void;

  constructor(private readonly o: SupervisorOptions) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get stateDir(): string {
    return join(this.o.execRoot, 'rootlesskit');
  }

  get pidFile(): string {
    return join(this.o.execRoot, 'skiffd.pid');
  }

  /** Starts (or joins) the namespaces and skiffd; resolves with the exit code when all is over. */
  async run(): Promise<number> {
    await mkdir(this.o.execRoot, { recursive: true, mode: 0o700 });
    this.holderPid = await this.ensureHolder();
    this.startSkiffd();
    return this.done;
  }

  private async ensureHolder(): Promise<number> {
    const live = await findLiveHolder(this.stateDir);
    if (live !== undefined) {
      this.o.log.info({ holder: live }, 'joining the namespaces of a live holder');
      return live;
    }
    await rm(this.stateDir, { recursive: true, force: true });
    const logPath = join(this.o.execRoot, 'rootlesskit.log');
    const fd = openSync(logPath, 'w', 0o600);
    const argv = rootlesskitArgv(this.o.settings, this.stateDir, this.o.holderCommand);
    this.o.log.info({ argv }, 'starting rootlesskit');
    // Its own session: rootlesskit and the holder outlive this supervisor (kill -9, upgrade).
    const child = spawnChild(this.o.rootlesskit, argv, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: this.o.env,
    });
    closeSync(fd);
    let exited: string | undefined;
    child.once('exit', (code, signal) => (exited = signal ?? `exit status ${code ?? '?'}`));
    child.once('error', (e) => (exited = e.message));
    child.unref();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const pid = await findLiveHolder(this.stateDir);
      if (pid !== undefined) {
        this.o.log.info({ holder: pid, rootlesskit: child.pid }, 'namespaces ready');
        return pid;
      }
      if (exited !== undefined) {
        const tail = (await readFile(logPath, 'utf8').catch(() => ''))
          .trim()
          .split('\n')
          .slice(-5)
          .join('\n');
        throw new UnavailableError(
          `rootlesskit failed (${exited}):\n${tail}\n(full log: ${logPath})`,
        );
      }
      await sleep(20);
    }
    throw new UnavailableError(
      `rootlesskit did not create its namespaces within 20 s; see ${logPath}`,
    );
  }

  private startSkiffd(): void {
    const [node, ...rest] = this.o.skiffdCommand;
    if (!node) throw new InternalError('no skiffd command');
    const argv = [
      '-U',
      '--preserve-credentials',
      '-m',
      '-t',
      String(this.holderPid),
      '--',
      node,
      ...rest,
      '--holder-pid',
      String(this.holderPid),
    ];
    const started = Date.now();
    const child = spawnChild(this.o.nsenter, argv, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: this.o.env,
    });
    this.skiffd = child;
    if (child.pid !== undefined) void writeFile(this.pidFile, `${child.pid}\n`, { mode: 0o600 });
    child.once('error', (e) => {
      this.o.log.error({ err: e }, 'cannot start skiffd');
      this.finish(1);
    });
    child.once(
      'exit',
      (code, signal) => void this.onSkiffdExit(code, signal, Date.now() - started),
    );
  }

  private async onSkiffdExit(
    code: number | null,
    signal: NodeJS.Signals | null,
    uptimeMs: number,
  ): Promise<void> {
    this.skiffd = undefined;
    if (this.stopping || code === 0 || code === EXIT_FATAL_CONFIG) {
      if (!this.stopping && code !== 0)
        this.o.log.error({ code }, 'skiffd refused to start; not restarting');
      await this.teardown();
      this.finish(code ?? 1);
      return;
    }
    if (uptimeMs > 60_000) this.restarts = 0;
    const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
    this.o.log.warn({ code, signal, delayMs: delay }, 'skiffd died unexpectedly; restarting it');
    await sleep(delay);
    if (this.isStopping()) {
      await this.teardown();
      this.finish(0);
      return;
    }
    if ((await findLiveHolder(this.stateDir)) === undefined) {
      this.o.log.error('the holder is gone (rootlesskit died): starting new namespaces');
      this.holderPid = await this.ensureHolder();
    }
    this.startSkiffd();
  }

  /** Read through a method: `stop()` may flip it while we await. */
  private isStopping(): boolean {
    return this.stopping;
  }

  /** SIGTERM/SIGINT: ask skiffd to finish its requests and exit, then tear down. */
  stop(signal: NodeJS.Signals): void {
    if (this.stopping) return;
    this.stopping = true;
    if (this.skiffd?.pid !== undefined) {
      this.o.log.info({ signal }, 'stopping skiffd');
      this.skiffd.kill('SIGTERM');
    } else {
      void this.teardown().then(() => {
        this.finish(0);
      });
    }
  }

  private async teardown(): Promise<void> {
    await rm(this.pidFile, { force: true });
    if (this.o.liveRestore) {
      this.o.log.info(
        { holder: this.holderPid },
        'live-restore: leaving the namespaces and containers running',
      );
      return;
    }
    const rootlesskitPid = await parentPid(this.holderPid);
    if (rootlesskitPid !== undefined && rootlesskitPid > 1) {
      try {
        process.kill(rootlesskitPid, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100 && isAlive(rootlesskitPid); i++) await sleep(20);
    }
    await rm(childPidFile(this.stateDir), { force: true });
  }
}

async function parentPid(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
