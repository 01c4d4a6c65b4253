/**
 * A diff as an OCI layer tar: changed entries with their metadata, deletions as `.wh.<name>`
 * (the whiteout form of the image spec), for `docker commit`.
 */
import { createReadStream } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import type { DiffEntry } from './layer-diff.js';
import { WHITEOUT_PREFIX } from './layer-paths.js';

export function packDiff(entries: readonly DiffEntry[]): Readable {
  const pack = tar.pack();
  const add = async (): Promise<void> => {
    for (const e of entries) {
      if (e.kind === 'deleted' || !e.source) {
        const slash = e.rel.lastIndexOf('/');
        const name =
          slash < 0
            ? `${WHITEOUT_PREFIX}${e.rel}`
            : `${e.rel.slice(0, slash)}/${WHITEOUT_PREFIX}${e.rel.slice(slash + 1)}`;
        await entry(
          pack,
          { name, type: 'file', size: 0, mode: 0o600, mtime: new Date(0) },
          Buffer.alloc(0),
        );
        continue;
      }
      const st = await lstat(e.source).catch(() => undefined);
      if (!st) continue;
      const header = {
        name: e.rel,
        mode: st.mode & 0o7777,
        uid: st.uid,
        gid: st.gid,
        mtime: st.mtime,
      };
      if (st.isDirectory()) await entry(pack, { ...header, name: `${e.rel}/`, type: 'directory' });
      else if (st.isSymbolicLink())
        await entry(pack, { ...header, type: 'symlink', linkname: await readlink(e.source) });
      else if (st.isFile())
        await pipeline(
          createReadStream(e.source),
          pack.entry({ ...header, type: 'file', size: st.size }),
        );
      else if (st.isFIFO()) await entry(pack, { ...header, type: 'fifo' });
    }
  };
  add().then(
    () => {
      pack.finalize();
    },
    (err: unknown) => {
      pack.destroy(err instanceof Error ? err : new Error(String(err)));
    },
  );
  return Readable.from(pack as AsyncIterable<Buffer>);
}

/** An entry without a data stream; a file entry needs its (empty) body, or tar-stream waits for one. */
function entry(
  pack: tar.Pack,
  header: Partial<tar.Header> & { name: string },
  body?: Buffer,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cb = (err?: Error | null): void => {
      if (err) reject(err);
      else resolve();
    };
    if (body) pack.entry(header, body, cb);
    else pack.entry(header, cb);
  });
}
