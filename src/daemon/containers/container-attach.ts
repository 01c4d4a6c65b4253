/**
 * `docker attach` / the attach step of `docker run` and `docker start -a`: a live session to a
 * running container, or — for one that is not running — a wait for its next start, so that
 * `create → attach → start` loses no output.
 */
import type { AttachSession } from '../../runtime/runtime.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRunner } from './container-runner.js';
import type { LogLine } from './dependencies.js';
import { readContainerLogs } from './container-logs.js';

export interface AttachRequest {
  readonly stream: boolean;
  readonly logs: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
}

export interface AttachPlan {
  readonly id: string;
  readonly tty: boolean;
  /** Whether the client's stdin may reach the container (it was created with -i). */
  readonly stdinOpen: boolean;
  readonly history?: AsyncIterable<LogLine>;
  /** Live output: now if running, else after the next start; undefined result = nothing to attach to. */
  readonly live?: (signal: AbortSignal) => Promise<AttachSession | undefined>;
}

export function planAttach(
  ctx: ContainerContext,
  runner: ContainerRunner,
  ref: string,
  req: AttachRequest,
  signal: AbortSignal,
): AttachPlan {
  const rec = ctx.store.find(ref);
  const id = rec.id;
  const history =
    req.logs && rec.logPath !== '' && (req.stdout || req.stderr)
      ? readContainerLogs(
          ctx,
          runner,
          id,
          { follow: false, stdout: req.stdout, stderr: req.stderr },
          signal,
        ).lines
      : undefined;
  const live = req.stream
    ? async (s: AbortSignal): Promise<AttachSession | undefined> => {
        const task = runner.task(id);
        const current = ctx.store.get(id);
        if (task && current?.state.status === 'running') return task.attach();
        let session: AttachSession | undefined;
        await runner.attachHub.waitForStart(
          id,
          async (t) => {
            session = await t.attach();
          },
          s,
        );
        return session;
      }
    : undefined;
  return {
    id,
    tty: rec.config.tty,
    stdinOpen: rec.config.openStdin,
    ...(history ? { history } : {}),
    ...(live ? { live } : {}),
  };
}
