/**
 * A tar built entry by entry, exactly as given — including the hostile ones (`..`, symlinks
 * to escape through, duplicates) that a real archiver would refuse to write.
 */
import tar from 'tar-stream';

export interface RawEntry {
  readonly name: string;
  readonly type?: 'file' | 'symlink' | 'link' | 'directory';
  readonly body?: string;
  readonly linkname?: string;
  /** Default 0644 for files, 0755 for directories. */
  readonly mode?: number;
  /** Default: now. */
  readonly mtime?: Date;
}

export async function rawTar(entries: readonly RawEntry[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) =>
    p.on('end', () => {
      r();
    }),
  );
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => {
        if (err) reject(err);
        else resolve();
      };
      const type = e.type ?? 'file';
      const mtime = e.mtime ? { mtime: e.mtime } : {};
      if (type === 'file')
        p.entry({ name: e.name, mode: e.mode ?? 0o644, ...mtime }, e.body ?? '', cb);
      else
        p.entry(
          {
            name: e.name,
            type,
            mode: e.mode ?? 0o755,
            ...mtime,
            ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
          },
          cb,
        );
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
