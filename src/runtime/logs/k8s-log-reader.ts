/**
 * Reads a container's logs for `docker logs` / attach --logs: since/until, the last N lines
 * (reading the files backwards, never the whole of a large log), and follow (fs.watch on the
 * file, across rotations, until the container is done and the file drained).
 */
import { watch } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { LineAssembler, parseRecord } from './k8s-log-format.js';
import { logFilesOldestFirst } from './log-files.js';

export interface LogLine {
  readonly time: Date;
  readonly stream: 'stdout' | 'stderr';
  readonly line: Buffer;
}

export interface ReadOptions {
  readonly follow: boolean;
  readonly since?: Date;
  readonly until?: Date;
  readonly tail?: number;
  readonly signal: AbortSignal;
  readonly done?: Promise<void>;
}

const CHUNK = 64 * 1024;

export class K8sLogReader {
  async *read(path: string, o: ReadOptions): AsyncIterable<LogLine> {
    const files = await logFilesOldestFirst(path);
    const want = (l: LogLine): boolean =>
      (!o.since || l.time >= o.since) && (!o.until || l.time <= o.until);
    // History: from the start, or just enough of the end for `tail`.
    const startOffsets =
      o.tail !== undefined && o.tail >= 0
        ? await tailStart(files, o.tail)
        : { index: 0, offset: 0 };
    let position = 0;
    for (let i = startOffsets.index; i < files.length; i++) {
      const file = files[i] ?? path;
      const from = i === startOffsets.index ? startOffsets.offset : 0;
      const isCurrent = i === files.length - 1;
      const asm = new LineAssembler();
      const end = await readRecords(file, from, (l) => l, asm, o.signal);
      for (const l of end.lines) if (want(l)) yield l;
      if (isCurrent) position = end.offset;
      else {
        const tail = asm.flush();
        if (tail && want(tail)) yield tail;
      }
    }
    if (!o.follow || o.signal.aborted) return;
    yield* follow(path, position, o, want);
  }
}

async function readRecords(
  path: string,
  from: number,
  map: (l: LogLine) => LogLine,
  asm: LineAssembler,
  signal: AbortSignal,
): Promise<{ lines: LogLine[]; offset: number }> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return { lines: [], offset: from };
  }
  const lines: LogLine[] = [];
  let offset = from;
  let rest: Buffer = Buffer.alloc(0);
  try {
    for (;;) {
      if (signal.aborted) break;
      const buf = Buffer.alloc(CHUNK);
      const { bytesRead } = await fh.read(buf, 0, CHUNK, offset + rest.length);
      if (bytesRead === 0) break;
      let data = Buffer.concat([rest, buf.subarray(0, bytesRead)]);
      let nl: number;
      while ((nl = data.indexOf(0x0a)) >= 0) {
        const rec = parseRecord(data.subarray(0, nl));
        offset += nl + 1;
        data = data.subarray(nl + 1);
        if (!rec) continue;
        const line = asm.push(rec);
        if (line) lines.push(map(line));
      }
      rest = data;
    }
  } finally {
    await fh.close();
  }
  return { lines, offset };
}

/** Where to start reading so that the last `n` lines come out. */
async function tailStart(
  files: readonly string[],
  n: number,
): Promise<{ index: number; offset: number }> {
  if (n === 0) {
    const last = files[files.length - 1] ?? '';
    return { index: files.length - 1, offset: (await stat(last).catch(() => ({ size: 0 }))).size };
  }
  let remaining = n;
  for (let i = files.length - 1; i >= 0; i--) {
    const file = files[i] ?? '';
    const size = (await stat(file).catch(() => ({ size: 0 }))).size;
    const fh = await open(file, 'r').catch(() => undefined);
    if (!fh) continue;
    try {
      let pos = size;
      let skippedTrailing = false;
      while (pos > 0) {
        const len = Math.min(CHUNK, pos);
        pos -= len;
        const buf = Buffer.alloc(len);
        await fh.read(buf, 0, len, pos);
        for (let j = len - 1; j >= 0; j--) {
          if (buf[j] !== 0x0a) continue;
          if (!skippedTrailing && pos + j === size - 1) {
            skippedTrailing = true;
            continue;
          }
          // Each record is one line of output (partial records, rare, count as lines too).
          remaining--;
          if (remaining === 0) return { index: i, offset: pos + j + 1 };
        }
      }
      // The file's first record starts at offset 0, with no newline before it.
      if (size > 0) {
        remaining--;
        if (remaining === 0) return { index: i, offset: 0 };
      }
    } finally {
      await fh.close();
    }
  }
  return { index: 0, offset: 0 };
}

async function* follow(
  path: string,
  from: number,
  o: ReadOptions,
  want: (l: LogLine) => boolean,
): AsyncIterable<LogLine> {
  let offset = from;
  let inode = (await stat(path).catch(() => undefined))?.ino;
  const state = { finished: false };
  void o.done?.then(() => {
    state.finished = true;
    wake();
  });
  let notify: (() => void) | undefined;
  const wake = (): void => {
    notify?.();
  };
  const watcher = watch(path, wake);
  watcher.on('error', () => undefined);
  const timer = setInterval(wake, 1000);
  o.signal.addEventListener('abort', wake, { once: true });
  const asm = new LineAssembler();
  try {
    for (;;) {
      const st = await stat(path).catch(() => undefined);
      if (st && inode !== undefined && st.ino !== inode) {
        // Rotated: finish the old file (now `<path>.1`), then start the new one from 0.
        const old = await readRecords(`${path}.1`, offset, (l) => l, asm, o.signal);
        for (const l of old.lines) if (want(l)) yield l;
        offset = 0;
        inode = st.ino;
      }
      const r = await readRecords(path, offset, (l) => l, asm, o.signal);
      offset = r.offset;
      for (const l of r.lines) if (want(l)) yield l;
      if (o.signal.aborted) return;
      if (state.finished) {
        const last = await readRecords(path, offset, (l) => l, asm, o.signal);
        for (const l of last.lines) if (want(l)) yield l;
        const tail = asm.flush();
        if (tail && want(tail)) yield tail;
        return;
      }
      if (o.until && Date.now() > o.until.getTime()) return;
      await new Promise<void>((resolve) => (notify = resolve));
    }
  } finally {
    watcher.close();
    clearInterval(timer);
  }
}
