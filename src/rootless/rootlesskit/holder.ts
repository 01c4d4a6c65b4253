/**
 * The holder: rootlesskit's child, a process that does nothing but keep the user, mount and
 * network namespaces alive, so that skiffd can die and restart while containers stay
 * (ARCHITECTURE.md "Why the holder"). Finding a live one lets a later `skiff daemon` join it.
 */
import { readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isInitialUserNamespace } from '../preflight/prerequisites.js';

/** The holder command: catatonit's pause mode when installed (≈ 100 KiB RSS), else sleep. */
export function holderCommand(find: (name: string) => string | undefined): string[] {
  const catatonit = find('catatonit');
  if (catatonit) return [catatonit, '-P'];
  const sleep = find('sleep');
  return [sleep ?? '/bin/sleep', 'infinity'];
}

export function childPidFile(stateDir: string): string {
  return join(stateDir, 'child_pid');
}

/**
 * The pid of a live holder started from `stateDir`, or undefined. "Live" means: the pid file
 * names a running process of ours that sits in a user namespace other than the initial one
 * (a recycled pid of some unrelated process does not qualify).
 */
export async function findLiveHolder(stateDir: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number((await readFile(childPidFile(stateDir), 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    const uidMap = await readFile(`/proc/${pid}/uid_map`, 'utf8');
    if (isInitialUserNamespace(uidMap)) return undefined;
    const own = await readlink('/proc/self/ns/user');
    const theirs = await readlink(`/proc/${pid}/ns/user`);
    return own === theirs ? undefined : pid;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
