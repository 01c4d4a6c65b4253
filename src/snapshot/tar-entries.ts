/**
 * Writing entries into a tar-stream pack from held descriptors: shared by the layer diff
 * (`docker commit`) and the archive walk (`docker cp` out, export), which both read trees a
 * running container may change under them.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type tar from 'tar-stream';
import { confined, isFileMode, type RawStat } from '../confine/confined-fs.js';
import { exactChunks } from '../confine/confined-root.js';

export type EntryHeader = Partial<tar.Header> & { name: string };

/** An entry without a data stream; a file entry needs its (empty) body, or tar-stream waits for one. */
export function tarEntry(pack: tar.Pack, header: EntryHeader, body?: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => {
      if (err) reject(err);
      else resolve();
    };
    if (body) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}

/**
 * The content of the regular file open as `fd`, if it still is the file that was listed
 * (`listed`: its stat from the directory walk); false, and nothing packed, when it was swapped
 * for something else meanwhile.
 */
export async function packHeldFile(
  pack: tar.Pack,
  header: EntryHeader,
  fd: number,
  listed: RawStat,
): Promise<boolean> {
  const now = confined().lstatat(fd, '');
  if (!isFileMode(now.mode) || now.ino !== listed.ino || now.dev !== listed.dev) return false;
  await pipeline(
    Readable.from(exactChunks(fd, now.size)),
    pack.entry({ ...header, type: 'file', size: now.size }),
  );
  return true;
}
