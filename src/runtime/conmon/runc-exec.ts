/**
 * Non-TTY exec straight through `<runtime> exec --process`: its stdio are pipes to skiffd and
 * its exit status is the process's. No monitor process is needed for this common case.
 */
import { watch } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { spawnChild } from '../../proc/run.js';
import {
  ExecStartFailed,
  type AttachSession,
  type Exit,
  type ExecIO,
  type ExecProcess,
  type ProcessSpec,
} from '../runtime.js';
import { execArgv, signalArg } from '../oci/runtime-commands.js';
import { toOciProcess } from './oci-process.js';
import { cleanRuntimeMessage } from './conmon-runtime.js';

const STDOUT = 1;
const STDERR = 2;

function frame(stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = stream;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

export interface RuncExecContext {
  readonly runtimePath: string;
  readonly globalArgs: readonly string[];
  readonly containerId: string;
  readonly workDir: string;
}

export async function runcExec(
  c: RuncExecContext,
  execId: string,
  spec: ProcessSpec,
  io: ExecIO,
): Promise<ExecProcess> {
  const dir = join(c.workDir, execId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const processFile = join(dir, 'process.json');
  await writeFile(processFile, JSON.stringify(toOciProcess(spec)));
  const pidFile = join(dir, 'pid');
  const argv = execArgv(c.globalArgs, c.containerId, processFile, pidFile, io.detach);
  // The runtime writes the pid file only once the process runs: until then, whatever it says
  // on stderr may be its own error (a missing command), which is what a failed start reports.
  let stopWatching = (): void => undefined;
  const pidWritten = new Promise<boolean>((resolve) => {
    const watcher = watch(dir, () => {
      void access(pidFile).then(
        () => {
          watcher.close();
          resolve(true);
        },
        () => undefined,
      );
    });
    watcher.on('error', () => undefined);
    stopWatching = (): void => {
      watcher.close();
    };
  });
  let runtimeSaid = '';
  const child = spawnChild(c.runtimePath, argv, {
    stdio: [io.stdin ? 'pipe' : 'ignore', io.detach ? 'ignore' : 'pipe', 'pipe'],
  });
  const output = new PassThrough();
  child.stdout?.on('data', (b: Buffer) => output.write(frame(STDOUT, b)));
  child.stderr?.on('data', (b: Buffer) => {
    if (runtimeSaid.length < 8192) runtimeSaid += b.toString();
    if (!io.detach) output.write(frame(STDERR, b));
  });
  child.stdin?.on('error', () => undefined);
  let ran = false;
  const closed = new Promise<Exit>((resolve) => {
    child.on('error', (e) => {
      runtimeSaid ||= e.message;
      output.end();
      resolve({ code: 126, oomKilled: false, finishedAt: new Date() });
    });
    child.on('close', (code, signal) => {
      void access(pidFile)
        .then(
          () => (ran = true),
          () => undefined,
        )
        .finally(() => {
          output.end();
          resolve({
            code: code ?? (signal ? 128 + 9 : 126),
            oomKilled: false,
            finishedAt: new Date(),
          });
          void rm(dir, { recursive: true, force: true });
        });
    });
  });
  const started = await Promise.race([pidWritten, closed.then(() => ran)]);
  stopWatching();
  if (!started)
    throw new ExecStartFailed(cleanRuntimeMessage(runtimeSaid.trim() || 'the OCI runtime failed'));
  const session: AttachSession | undefined = io.detach
    ? undefined
    : {
        output,
        input: child.stdin ?? new PassThrough(),
        close: () => {
          child.stdin?.end();
        },
      };
  return {
    pid: child.pid ?? 0,
    ...(session ? { session } : {}),
    resize: () => Promise.resolve(),
    kill: async (signal) => {
      // The exec'd process's pid is in runc's pid file; we may signal it directly (same user namespace).
      const pid = Number((await readFile(join(dir, 'pid'), 'utf8').catch(() => '')).trim());
      const sig = typeof signal === 'number' ? signal : (signalArg(signal) as NodeJS.Signals);
      if (pid > 0) process.kill(pid, sig);
      else child.kill(sig);
    },
    wait: () => closed,
  };
}
