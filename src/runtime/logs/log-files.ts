/** A container's log and its rotated predecessors (`<log>.1` is the newest rotated one). */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function logFilesOldestFirst(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  const rotated = (await readdir(dir).catch(() => []))
    .map((f) => ({ f, n: f.startsWith(`${base}.`) ? Number(f.slice(base.length + 1)) : NaN }))
    .filter((x) => Number.isInteger(x.n) && x.n > 0)
    .sort((a, b) => b.n - a.n)
    .map((x) => join(dir, x.f));
  return [...rotated, path];
}
