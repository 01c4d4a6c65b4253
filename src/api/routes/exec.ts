/** /containers/{id}/exec and /exec/*: create, start (hijacked or detached), inspect, resize. */
import type { ContainerService } from '../../daemon/containers/container-service.js';
import {
  ExecStartError,
  type ExecConfig,
  type ExecStart,
} from '../../daemon/containers/exec-service.js';
import { InvalidArgumentError } from '../../errors.js';
import { empty, json } from '../reply.js';
import type { Router } from '../router.js';
import {
  asObject,
  bool,
  isObject,
  list,
  optBool,
  str,
  strList,
  strSlice,
} from '../wire/json-fields.js';
import { qInt } from '../wire/query.js';
import { pumpSession } from '../streams/attach-pump.js';
import { STDOUT, frame } from '../streams/stdcopy.js';

export interface ExecRouteServices {
  readonly containers: ContainerService;
}

function consoleSize(
  o: Readonly<Record<string, unknown>>,
): { height: number; width: number } | undefined {
  const cs = list(o, 'ConsoleSize');
  if (cs.length !== 2) return undefined;
  const [h, w] = cs;
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0
    ? { height: h, width: w }
    : undefined;
}

export function parseExecConfig(body: unknown): ExecConfig {
  if (!isObject(body))
    throw new InvalidArgumentError('invalid JSON: the request body must be an object');
  const cmd = strSlice(body, 'Cmd') ?? [];
  if (cmd.length === 0) throw new InvalidArgumentError('No exec command specified');
  const size = consoleSize(body);
  return {
    cmd,
    env: strList(body, 'Env'),
    user: str(body, 'User'),
    workingDir: str(body, 'WorkingDir'),
    tty: bool(body, 'Tty'),
    attachStdin: bool(body, 'AttachStdin'),
    attachStdout: bool(body, 'AttachStdout'),
    attachStderr: bool(body, 'AttachStderr'),
    privileged: bool(body, 'Privileged'),
    detachKeys: str(body, 'DetachKeys'),
    ...(size ? { consoleSize: size } : {}),
  };
}

export function execRoutes<S extends ExecRouteServices>(r: Router<S>): void {
  r.on('POST', '/containers/{id}/exec', async (ctx, s) => {
    const id = s.containers.execs.create(ctx.params['id'] ?? '', parseExecConfig(await ctx.body()));
    return json({ Id: id }, 201);
  });

  r.on('POST', '/exec/{id}/start', async (ctx, s) => {
    const body = asObject(await ctx.body(), 'body');
    const detach = bool(body, 'Detach');
    const tty = optBool(body, 'Tty');
    const execId = ctx.params['id'] ?? '';
    const exec = s.containers.execs.get(execId);
    if (detach) {
      await s.containers.execs.start(execId, { detach: true });
      return empty(200);
    }
    // As dockerd: the process's TTY comes from the exec's create config; the start body's Tty
    // (false when omitted) only says whether the stream is raw or stdcopy-framed.
    const rawStream = tty ?? false;
    let started: ExecStart | undefined;
    let failed: ExecStartError | undefined;
    return {
      kind: 'hijack',
      contentType: rawStream
        ? 'application/vnd.docker.raw-stream'
        : 'application/vnd.docker.multiplexed-stream',
      // Starting happens before the 101 so that a 404/409 is still an HTTP error; the runtime
      // refusing the command is answered in the stream, as dockerd does (the CLI prints it and
      // exits with the exec's exit code, 126).
      prepare: async () => {
        try {
          started = await s.containers.execs.start(execId, { detach: false });
        } catch (e) {
          if (!(e instanceof ExecStartError)) throw e;
          failed = e;
        }
      },
      run: async ({ socket }) => {
        if (failed) {
          const text = Buffer.from(`${failed.message}\r\n`);
          socket.write(rawStream ? text : frame(STDOUT, text));
          return;
        }
        const st = started;
        if (!st?.session) return;
        const how = await pumpSession(
          socket,
          st.session,
          {
            tty: rawStream,
            stdin: exec.config.attachStdin,
            stdout: true,
            stderr: true,
            ...(exec.config.detachKeys ? { detachKeys: exec.config.detachKeys } : {}),
          },
          ctx.signal,
        );
        // Detached (ctrl-p ctrl-q): the stream ends, the process goes on running.
        if (how !== 'detached') await st.done;
      },
    };
  });

  r.on('GET', '/exec/{id}/json', (ctx, s) => {
    const e = s.containers.execs.get(ctx.params['id'] ?? '');
    const [entrypoint = '', ...args] = e.config.cmd;
    return Promise.resolve(
      json({
        CanRemove: false,
        ContainerID: e.containerId,
        DetachKeys: e.config.detachKeys,
        ExitCode: e.exitCode,
        ID: e.id,
        OpenStderr: e.config.attachStderr,
        OpenStdin: e.config.attachStdin,
        OpenStdout: e.config.attachStdout,
        ProcessConfig: {
          arguments: args,
          entrypoint,
          privileged: e.config.privileged,
          tty: e.config.tty,
          user: e.config.user,
        },
        Running: e.running,
        Pid: e.pid,
      }),
    );
  });

  r.on('POST', '/exec/{id}/resize', async (ctx, s) => {
    await s.containers.execs.resize(
      ctx.params['id'] ?? '',
      qInt(ctx.query, 'h') ?? 0,
      qInt(ctx.query, 'w') ?? 0,
    );
    return empty(200);
  });
}
