/** Bytes (allocated blocks) and inodes under a directory, hardlinks counted once. */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from './snapshotter.js';

export async function directorySize(dir: string): Promise<Usage> {
  let bytes = 0;
  let inodes = 0;
  const seen = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    const names = await readdir(d).catch(() => [] as string[]);
    for (const n of names) {
      const p = join(d, n);
      const st = await lstat(p).catch(() => undefined);
      if (!st) continue;
      const k = `${st.dev}:${st.ino}`;
      if (seen.has(k)) continue;
      seen.add(k);
      inodes++;
      bytes += st.blocks * 512;
      if (st.isDirectory()) await walk(p);
    }
  };
  await walk(dir);
  return { bytes, inodes };
}
