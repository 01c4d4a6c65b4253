/**
 * `skiff daemon`, the host-side supervisor (the equivalent of dockerd-rootless.sh): starts
 * rootlesskit with a holder as its child (or joins a live holder), then execve()s into
 * native/skiff-supervise, which runs skiffd joined into the holder's user and mount namespaces
 * but left in the host's network namespace, restarts it when it dies unexpectedly, and on
 * SIGTERM/SIGINT stops it and — unless live-restore is on — tears the namespaces down. The exec
 * keeps the pid, stdio and exit codes, and turns a second idle Node heap (~50 MiB) into a few
 * hundred KiB of C.
 */
import { openSync, closeSync, existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { UnavailableError } from '../errors.js';
import type { Logger } from '../log.js';
import { spawnChild } from '../proc/run.js';
import { findLiveHolder } from './rootlesskit/holder.js';
import { rootlesskitArgv, type RootlesskitSettings } from './rootlesskit/launcher-args.js';
import { mark, startMarks } from '../start-marks.js';

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
  /** This `skiff daemon` command again: run when the holder is gone, to make new namespaces. */
  readonly reexecCommand: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly liveRestore: boolean;
  /** Only warnings and errors from the supervisor (log level warn or above). */
  readonly quiet: boolean;
  readonly log: Logger;
}

interface ExecAddon {
  execve(path: string, argv: readonly string[], env: readonly string[]): never;
}

/** native/build is two levels above src/rootless/ and dist/rootless/ alike. */
const nativeDir = new URL('../../native/build/', import.meta.url).pathname;

/**
 * The argv of skiff-supervise: its options, the command to run again when the holder is gone,
 * and skiffd entered into the holder's user and mount namespaces.
 */
export function superviseArgv(o: SupervisorOptions, holderPid: number, pidFile: string): string[] {
  return [
    join(nativeDir, 'skiff-supervise'),
    '--pid-file',
    pidFile,
    '--holder',
    String(holderPid),
    '--state-dir',
    join(o.execRoot, 'rootlesskit'),
    ...(o.liveRestore ? ['--live-restore'] : []),
    ...(o.quiet ? ['--quiet'] : []),
    '--reexec',
    String(o.reexecCommand.length),
    ...o.reexecCommand,
    '--',
    o.nsenter,
    '-U',
    '--preserve-credentials',
    '-m',
    '-t',
    String(holderPid),
    '--',
    ...o.skiffdCommand,
    '--holder-pid',
    String(holderPid),
  ];
}

export class Supervisor {
  private stopping = false;

  constructor(private readonly o: SupervisorOptions) {}

  get stateDir(): string {
    return join(this.o.execRoot, 'rootlesskit');
  }

  get pidFile(): string {
    return join(this.o.execRoot, 'skiffd.pid');
  }

  /**
   * Starts (or joins) the namespaces, then becomes skiff-supervise: on success this never
   * returns. Resolves only when told to stop before the namespaces were ready.
   */
  async run(): Promise<number> {
    await mkdir(this.o.execRoot, { recursive: true, mode: 0o700 });
    const supervise = join(nativeDir, 'skiff-supervise');
    const addonPath = join(nativeDir, 'skiff-exec.node');
    if (!existsSync(supervise) || !existsSync(addonPath))
      throw new UnavailableError(`${supervise} or ${addonPath} is missing: run npm run build`);
    const holderPid = await this.ensureHolder();
    if (this.stopping) {
      this.o.log.info({ holder: holderPid }, 'stopped before skiffd started; the holder stays');
      return 0;
    }
    const argv = superviseArgv(this.o, holderPid, this.pidFile);
    const env = Object.entries(this.o.env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const addon = createRequire(import.meta.url)(addonPath) as ExecAddon;
    mark('exec');
    this.o.log.debug(startMarks(), 'start phases');
    return addon.execve(supervise, argv, env);
  }

  /** SIGTERM/SIGINT before the exec: skiff-supervise handles them afterwards. */
  stop(): void {
    this.stopping = true;
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
    mark('rootlesskit-spawned');
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const pid = await findLiveHolder(this.stateDir);
      if (pid !== undefined) {
        mark('namespaces-ready');
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
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
