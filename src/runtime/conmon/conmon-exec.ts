/**
 * A TTY exec: the runtime hands the pty master to a console socket (SCM_RIGHTS), which Node
 * cannot receive — conmon can. conmon's exec mode with an attach socket, as podman does:
 * spawn → wait until its attach socket is ready → attach through skiff-bridge → let it exec.
 */
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { InternalError } from '../../errors.js';
import {
  ExecStartFailed,
  type ExecIO,
  type ExecProcess,
  type Exit,
  type ProcessSpec,
} from '../runtime.js';
import { cleanRuntimeMessage } from './conmon-runtime.js';
import { conmonExecArgv } from './conmon-args.js';
import { cuuidOf, type ConmonContext } from './conmon-context.js';
import { openAttach } from './attach-bridge.js';
import { spawnConmon } from './spawn-conmon.js';
import { writeCtl } from './ctl-fifo.js';
import { toOciProcess } from './oci-process.js';

export async function conmonTtyExec(
  c: ConmonContext,
  containerId: string,
  bundle: string,
  execId: string,
  spec: ProcessSpec,
  io: ExecIO,
): Promise<ExecProcess> {
  const dir = join(bundle, 'exec', cuuidOf(execId));
  // conmon writes both `<exit-dir>/<exec id>` and `<persist-dir>/exit`: the persist dir must not
  // hold the exit dir as `exit`, or conmon dies writing that file before it reports the exit code.
  await mkdir(join(dir, 'exit'), { recursive: true, mode: 0o700 });
  await mkdir(join(dir, 'persist'), { mode: 0o700 });
  const processFile = join(dir, 'process.json');
  await writeFile(processFile, JSON.stringify(toOciProcess(spec)));
  const argv = conmonExecArgv({
    containerId,
    execId: cuuidOf(execId),
    runtimePath: c.runtimePath,
    runtimeArgs: c.globalArgs,
    bundle: dir,
    processSpec: processFile,
    paths: {
      conmonPidFile: join(dir, 'conmon.pid'),
      containerPidFile: join(dir, 'pid'),
      exitDir: join(dir, 'exit'),
      persistDir: join(dir, 'persist'),
      socketDir: c.socketDir,
    },
    tty: true,
    stdin: io.stdin,
  });
  // conmon links `socks/<cuuid>` to `dir`; a failed exec leaves both behind otherwise.
  const socketLink = join(c.socketDir, cuuidOf(execId));
  const cleanUp = async (): Promise<void> => {
    await rm(socketLink, { force: true });
    await rm(dir, { recursive: true, force: true });
  };
  const p = spawnConmon(c.conmon, argv, c.env, true);
  p.start();
  try {
    await p.attachReady();
  } catch (e) {
    p.closePipes();
    await cleanUp();
    throw new InternalError(`exec failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const session = await openAttach(c.bridge, join(socketLink, 'attach')).catch(
    async (e: unknown) => {
      p.closePipes();
      await cleanUp();
      throw e;
    },
  );
  p.start();
  const first = await p.nextSync().catch(async (e: unknown) => {
    session.close();
    p.closePipes();
    await cleanUp();
    throw e;
  });
  if (first.data < 0) {
    session.close();
    p.closePipes();
    await cleanUp();
    throw new ExecStartFailed(cleanRuntimeMessage(first.message ?? 'unknown error'));
  }
  const exited: Promise<Exit> = (async () => {
    let code = 255;
    try {
      code = (await p.nextSync()).data;
    } catch {
      // conmon is gone; the session output has ended.
    }
    await new Promise<void>((resolve) => {
      if (session.output.readableEnded) resolve();
      else {
        session.output.once('end', resolve);
        session.output.once('close', resolve);
        setTimeout(resolve, 2000).unref();
      }
    });
    p.closePipes();
    await cleanUp();
    return { code, oomKilled: false, finishedAt: new Date() };
  })();
  return {
    pid: first.data,
    session,
    resize: (h, w) => writeCtl(join(dir, 'ctl'), `1 ${h} ${w}`),
    kill: (signal) => {
      process.kill(first.data, signal);
      return Promise.resolve();
    },
    wait: () => exited,
  };
}
