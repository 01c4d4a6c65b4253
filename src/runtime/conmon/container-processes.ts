/**
 * The processes of a container without cgroups: every process whose pid namespace is the one of
 * the container's init (exec'd processes included). `docker top` and `docker stats` use it.
 */
import { readdir, readlink } from 'node:fs/promises';

export async function processesInPidNamespaceOf(initPid: number): Promise<number[]> {
  const ns = await readlink(`/proc/${initPid}/ns/pid`).catch(() => undefined);
  if (!ns) return [];
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const theirs = await readlink(`/proc/${entry}/ns/pid`).catch(() => undefined);
    if (theirs === ns) pids.push(Number(entry));
  }
  return pids.sort((a, b) => a - b);
}
