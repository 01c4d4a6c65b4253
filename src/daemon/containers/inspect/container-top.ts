/**
 * `docker top`: the container's processes in `ps` format. Rootless Docker cannot do this (it
 * needs the cgroup of the container); skiff asks the runtime for the container's pids and runs
 * `ps` here, keeping the rows of those pids (as dockerd filters `ps` output by PID).
 */
import { ConflictError, InvalidArgumentError } from '../../../errors.js';
import { spawnCollect } from '../../../proc/run.js';

export interface TopResult {
  readonly titles: string[];
  readonly processes: string[][];
}

export async function containerTop(
  pids: readonly number[],
  psArgs: string,
  psBinary = '/bin/ps',
): Promise<TopResult> {
  const args = psArgs.trim() === '' ? ['-ef'] : psArgs.trim().split(/\s+/);
  const r = await spawnCollect(psBinary, args, { timeoutMs: 10_000 });
  if (r.code !== 0)
    throw new InvalidArgumentError(
      `Error running ps: ${r.stderr.trim() || `exit status ${r.code ?? '?'}`}`,
    );
  return parsePs(r.stdout, new Set(pids));
}

export function parsePs(output: string, pids: ReadonlySet<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const header = lines[0];
  if (header === undefined) throw new InvalidArgumentError('ps printed nothing');
  const titles = header.trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new ConflictError(`Couldn't find PID field in ps output`);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    // The last column (the command) may contain spaces: join what is left.
    const row = [...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')];
    const pid = Number(row[pidIndex]);
    if (pids.has(pid)) processes.push(row);
  }
  return { titles, processes };
}
