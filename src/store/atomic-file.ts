/**
 * Atomic file writes (STYLE R9): write a temp file in the same directory, fsync it, rename it
 * over the target, fsync the directory. A daemon killed at any moment leaves either the old or
 * the new content, never half of one.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNotFound } from '../errors.js';

export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const fh = await open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  await fsyncDir(dirname(path));
}

export async function writeJsonAtomic(path: string, value: unknown, mode = 0o600): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value), mode);
}

/** Reads and parses a JSON file; undefined when it does not exist. The result is untyped: parse it. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
  return JSON.parse(text) as unknown;
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on directories (EINVAL); the rename is still atomic there.
  } finally {
    await fh.close();
  }
}
