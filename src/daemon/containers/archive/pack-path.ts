/**
 * Packs a file or directory tree into a tar stream, keeping numeric ownership, modes, mtimes,
 * symlinks and hardlinks (for `docker cp` out of a container and `docker export`). Entries are
 * named `<name>/...`; sockets are skipped (tar has no form for them).
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface PackOptions {
  /** Name of the top entry ("" = the contents of `hostPath` at the archive root). */
  readonly name: string;
  /** Paths (host) not to descend into. */
  readonly exclude?: ReadonlySet<string>;
  readonly signal?: AbortSignal;
}

export function packPath(hostPath: string, o: PackOptions): Readable {
  const pack = tar.pack();
  const links = new Map<string, string>();
  const add = async (path: string, name: string): Promise<void> => {
    if (o.signal?.aborted) return;
    const st = await lstat(path);
    const header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      if (name !== '') await entry(pack, { ...header, name: `${name}/`, type: 'directory' });
      if (o.exclude?.has(path)) return;
      for (const child of (await readdir(path)).sort())
        await add(join(path, child), name === '' ? child : `${name}/${child}`);
      return;
    }
    if (st.isSymbolicLink()) {
      await entry(pack, { ...header, type: 'symlink', linkname: await readlink(path) });
      return;
    }
    if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        await entry(pack, { ...header, type: 'link', linkname: first });
        return;
      }
      if (st.nlink > 1) links.set(key, name);
      const sink = pack.entry({ ...header, type: 'file', size: st.size });
      await pipeline(createReadStream(path), sink);
      return;
    }
    if (st.isFIFO()) await entry(pack, { ...header, type: 'fifo' });
    else if (st.isCharacterDevice() || st.isBlockDevice())
      await entry(pack, {
        ...header,
        type: st.isCharacterDevice() ? 'character-device' : 'block-device',
        devmajor: Math.floor(st.rdev / 256),
        devminor: st.rdev % 256,
      });
  };
  add(hostPath, o.name).then(
    () => {
      pack.finalize();
    },
    (e: unknown) => {
      pack.destroy(e instanceof Error ? e : new Error(String(e)));
    },
  );
  // tar-stream's pack is a streamx stream: hand out a Node Readable.
  return Readable.from(pack as AsyncIterable<Buffer>);
}

function entry(pack: tar.Pack, header: Partial<tar.Header> & { name: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => {
      if (err) reject(err);
      else resolve();
    });
  });
}
