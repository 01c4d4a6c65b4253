/**
 * Non-TTY exec straight through `<runtime> exec --process`: its stdio are pipes to skiffd and
 * its exit status is the process's. No monitor process is needed for this common case.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { spawnChild } from '../../proc/run.js';
import type { AttachSession, Exit, ExecIO, ExecProcess, ProcessSpec } from '../runtime.js';
import { execArgv, signalArg } from '../oci/runtime-commands.js';
import { toOciProcess } from './oci-process.js';

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
  const argv = execArgv(c.globalArgs, c.containerId, processFile, join(dir, 'pid'), io.detach);
  const child = spawnChild(c.runtimePath, argv, {
    stdio: [io.stdin ? 'pipe' : 'ignore', io.detach ? 'ignore' : 'pipe', 'pipe'],
  });
  const output = new PassThrough();
  child.stdout?.on('data', (b: Buffer) => output.write(frame(STDOUT, b)));
  child.stderr?.on('data', (b: Buffer) => {
    if (!io.detach) output.write(frame(STDERR, b));
  });
  child.stdin?.on('error', () => undefined);
  const closed = new Promise<Exit>((resolve) => {
    child.on('error', () => {
      output.end();
      resolve({ code: 126, oomKilled: false, finishedAt: new Date() });
    });
    child.on('close', (code, signal) => {
      output.end();
      resolve({ code: code ?? (signal ? 128 + 9 : 126), oomKilled: false, finishedAt: new Date() });
      void rm(dir, { recursive: true, force: true });
    });
  });
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
