/**
 * `docker logs` and the history part of `docker attach --logs`: the container's log file read
 * with since/until/tail, and followed until the container stops.
 */
import { InvalidArgumentError, NotImplementedError } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRunner } from './container-runner.js';
import type { LogLine } from './dependencies.js';

export interface LogsRequest {
  readonly follow: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly since?: Date;
  readonly until?: Date;
  readonly tail?: number;
}

export interface LogsResult {
  readonly tty: boolean;
  readonly lines: AsyncIterable<LogLine>;
}

export function readContainerLogs(
  ctx: ContainerContext,
  runner: ContainerRunner,
  ref: string,
  req: LogsRequest,
  signal: AbortSignal,
): LogsResult {
  const rec = ctx.store.find(ref);
  if (!req.stdout && !req.stderr)
    throw new InvalidArgumentError('Bad parameters: you must choose at least one stream');
  if (rec.hostConfig.logConfig.type === 'none' || rec.logPath === '')
    throw new NotImplementedError(`configured logging driver does not support reading`);
  const active =
    rec.state.status === 'running' ||
    rec.state.status === 'paused' ||
    rec.state.status === 'restarting';
  // Following stops when the container stops (for restarting containers: when they give up).
  const done =
    active && req.follow
      ? runner.waiters.nextExit(rec.id, signal).then(
          () => undefined,
          () => undefined,
        )
      : Promise.resolve();
  const lines = ctx.logs.read(rec.logPath, {
    follow: req.follow && active,
    ...(req.since ? { since: req.since } : {}),
    ...(req.until ? { until: req.until } : {}),
    ...(req.tail !== undefined ? { tail: req.tail } : {}),
    signal,
    done,
  });
  return { tty: rec.config.tty, lines: filterStreams(lines, req.stdout, req.stderr) };
}

async function* filterStreams(
  lines: AsyncIterable<LogLine>,
  stdout: boolean,
  stderr: boolean,
): AsyncIterable<LogLine> {
  for await (const l of lines)
    if ((l.stream === 'stdout' && stdout) || (l.stream === 'stderr' && stderr)) yield l;
}
