/**
 * Extracts a tar (from `docker cp` into a container) into a directory, never writing outside
 * it: `..` and absolute names are refused, and no entry may pass through a symlink (which could
 * point anywhere). Ownership is the tar's with `copyUIDGID`, else the container's root, as
 * dockerd does.
 */
import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, mkdir, rm, symlink, lutimes, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InvalidArgumentError, errnoCode } from '../../../errors.js';

export interface ExtractOptions {
  readonly noOverwriteDirNonDir: boolean;
  /** undefined: keep the tar's ids. */
  readonly owner?: { uid: number; gid: number };
}

export function safeRelative(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..'))
    throw new InvalidArgumentError(
      `refusing to extract ${name}: it leaves the destination directory`,
    );
  return parts.join('/');
}

async function checkParents(dir: string, rel: string): Promise<void> {
  const parts = rel.split('/').slice(0, -1);
  let cur = dir;
  for (const p of parts) {
    cur = join(cur, p);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) {
      await mkdir(cur, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink())
      throw new InvalidArgumentError(
        `refusing to extract through the symlink ${cur.slice(dir.length) || '/'}`,
      );
    if (!st.isDirectory())
      throw new InvalidArgumentError(
        `cannot extract into ${cur.slice(dir.length)}: not a directory`,
      );
  }
}

export async function extractInto(dir: string, input: Readable, o: ExtractOptions): Promise<void> {
  const ex = tar.extract();
  const dirTimes: { path: string; mtime: Date }[] = [];
  const done = pipeline(input, ex as unknown as NodeJS.WritableStream);
  // If we stop early (a refused entry), the pipeline fails with "premature close": the refusal is the error to report.
  done.catch(() => undefined);
  for await (const entry of ex) {
    const h = entry.header;
    const rel = safeRelative(h.name);
    if (rel === '') {
      entry.resume();
      continue;
    }
    await checkParents(dir, rel);
    const path = join(dir, rel);
    const existing = await lstat(path).catch(() => undefined);
    const isDir = h.type === 'directory';
    if (existing && o.noOverwriteDirNonDir && existing.isDirectory() !== isDir)
      throw new InvalidArgumentError(
        `cannot overwrite ${existing.isDirectory() ? 'directory' : 'non-directory'} ${rel} with ${isDir ? 'directory' : 'non-directory'}`,
      );
    if (existing && !(isDir && existing.isDirectory()))
      await rm(path, { recursive: true, force: true });
    const uid = o.owner?.uid ?? h.uid;
    const gid = o.owner?.gid ?? h.gid;
    switch (h.type) {
      case 'directory':
        if (!existing?.isDirectory()) await mkdir(path, { mode: h.mode });
        dirTimes.push({ path, mtime: h.mtime });
        entry.resume();
        break;
      case 'file':
      case 'contiguous-file':
        await pipeline(
          entry as unknown as NodeJS.ReadableStream,
          createWriteStream(path, { mode: h.mode }),
        );
        break;
      case 'symlink':
        await symlink(h.linkname, path);
        entry.resume();
        break;
      case 'link': {
        const target = join(dir, safeRelative(h.linkname));
        await link(target, path);
        entry.resume();
        continue;
      }
      case 'fifo':
      case 'character-device':
      case 'block-device':
        // Devices and fifos: not something `docker cp` should create; skip them.
        entry.resume();
        continue;
    }
    await lchown(path, uid, gid).catch((e: unknown) => {
      if (errnoCode(e) !== 'EINVAL') throw e;
      throw new InvalidArgumentError(
        `cannot set owner ${uid}:${gid} on ${rel}: the id is outside the user namespace`,
      );
    });
    if (h.type !== 'symlink') await chmod(path, h.mode);
    await (
      h.type === 'symlink' ? lutimes(path, h.mtime, h.mtime) : utimes(path, h.mtime, h.mtime)
    ).catch(() => undefined);
  }
  await done;
  for (const d of dirTimes.reverse()) await utimes(d.path, d.mtime, d.mtime).catch(() => undefined);
}
