/**
 * The builder's ports over the containers service: a RUN step's container is created from a
 * Docker-shaped body (the same parser as `POST /containers/create`, so its defaults are
 * dockerd's), attached before it starts so no output is lost, and killed when the build is
 * cancelled.
 */
import { once } from 'node:events';
import type { StepContainers } from '../build/build-deps.js';
import type { ContainerService } from '../daemon/containers/container-service.js';
import { FrameParser } from '../api/streams/stdcopy.js';
import { parseCreateBody } from '../api/wire/container-create.js';

/** After the exit, how long the last output may take to arrive through the attach socket. */
const OUTPUT_DRAIN_MS = 2000;

export function stepContainers(containers: ContainerService): StepContainers {
  return {
    create: async (r) => {
      const body = {
        Image: r.image,
        Cmd: r.cmd,
        // RUN ignores the image's ENTRYPOINT, as dockerd's builder does.
        Entrypoint: [''],
        Env: r.env,
        User: r.user,
        WorkingDir: r.workingDir,
        AttachStdout: true,
        AttachStderr: true,
        HostConfig: {
          NetworkMode: r.networkMode,
          ExtraHosts: r.extraHosts,
          ShmSize: r.shmSize,
          ...r.resources,
          // The output goes to the build stream; a log file would be written for nobody.
          LogConfig: { Type: 'none', Config: {} },
          // RUN steps run as the image's user in skiffd's namespace, never with daemon.json's
          // `userns-mode` (keep-id would run them as the host user: `apt-get install` fails).
          UsernsMode: 'host',
        },
      };
      const res = await containers.create(parseCreateBody(body, null, null));
      return { id: res.id, warnings: res.warnings };
    },
    run: async (id, output, signal) => {
      const attach = new AbortController();
      const plan = containers.attach(
        id,
        { stream: true, logs: false, stdin: false, stdout: true, stderr: true },
        attach.signal,
      );
      const exit = containers.wait(id, 'next-exit', attach.signal);
      const live = plan.live?.(attach.signal);
      // When the start fails, neither ever settles but by the abort below: nobody awaits them then.
      exit.catch(() => undefined);
      live?.catch(() => undefined);
      const kill = (): void => void containers.kill(id, 'SIGKILL').catch(() => undefined);
      signal.addEventListener('abort', kill, { once: true });
      try {
        // A listener added to an already aborted signal never runs: a client gone before the
        // start (while the step was being set up) must not leave the command running.
        signal.throwIfAborted();
        await containers.start(id);
        if (signal.aborted) kill();
        const session = await live;
        let ended: Promise<unknown> = Promise.resolve();
        if (session) {
          const parser = new FrameParser();
          session.output.on('data', (chunk: Buffer) => {
            for (const f of parser.push(chunk)) output(f.payload);
          });
          ended = once(session.output, 'end').catch(() => undefined);
        }
        const { code } = await exit;
        await Promise.race([ended, new Promise((r) => setTimeout(r, OUTPUT_DRAIN_MS).unref())]);
        session?.close();
        return code;
      } finally {
        signal.removeEventListener('abort', kill);
        attach.abort();
      }
    },
    diffTar: (id) => containers.diffTar(id),
    remove: (id) => containers.remove(id, { force: true, volumes: true }),
  };
}
