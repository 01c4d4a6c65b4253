/**
 * `runc start` without a runc process. A container runc has created waits in `runc init` to open
 * `<state root>/<id>/exec.fifo` for writing; `runc start` opens it for reading, reads the "0"
 * runc init writes before it execs the container's process, and removes the fifo (its absence is
 * what makes `runc state` say "running"). Doing those three steps here saves a Go process start
 * (15-40 ms on the bench machines) on every container start. Only for runc: crun's start writes
 * to its fifo instead. When the fifo is not there (the container is not in the created state, or
 * a runc that keeps it elsewhere), the caller runs `runc start` and reports its error.
 */
import { constants, open, readFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { isNotFound } from '../../errors.js';

/** Where runc keeps a created container's exec fifo. */
export function runcExecFifo(stateRoot: string, id: string): string {
  return join(stateRoot, id, 'exec.fifo');
}

/** How often a start checks that the container's init is still there (runc's own interval). */
const ALIVE_CHECK_MS = 100;

/**
 * Lets the created container whose init is `initPid` run. Resolves false when there is no fifo
 * (nothing was done); rejects when the init died before it got to exec.
 */
export async function startThroughExecFifo(fifo: string, initPid: number): Promise<boolean> {
  // Read-write and non-blocking: the open returns at once whether or not runc init has opened
  // its end yet, and a reader that is also a writer never sees end-of-file before the byte
  // arrives, whichever side comes first.
  let fd: number;
  try {
    fd = await new Promise<number>((resolve, reject) => {
      open(fifo, constants.O_RDWR | constants.O_NONBLOCK, (err, n) => {
        if (err) reject(err);
        else resolve(n);
      });
    });
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  const pipe = new Socket({ fd, readable: true, writable: false });
  try {
    const byte = await new Promise<string>((resolve, reject) => {
      const check = setInterval(() => {
        if (!isAlive(initPid)) {
          clearInterval(check);
          // It may have written the byte and exited within one interval: the byte is still in
          // the pipe, which we hold open; give the read a last turn of the event loop.
          setImmediate(() => {
            reject(new Error('container process is already dead'));
          });
        }
      }, ALIVE_CHECK_MS);
      pipe.once('data', (b: Buffer) => {
        clearInterval(check);
        resolve(b.toString('latin1', 0, 1));
      });
      pipe.once('error', (e) => {
        clearInterval(check);
        reject(e);
      });
    });
    if (byte !== '0') throw new Error(`unexpected data in ${fifo}: ${JSON.stringify(byte)}`);
  } finally {
    pipe.destroy();
  }
  await unlink(fifo).catch((e: unknown) => {
    if (!isNotFound(e)) throw e;
  });
  return true;
}

/** Whether `pid` exists and is not a zombie. */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The state letter follows the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
