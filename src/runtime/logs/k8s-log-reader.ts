/**
 * Reads a container's logs for `docker logs` / attach --logs: since/until, the last N lines
 * (reading the files backwards, never the whole of a large log), and follow (fs.watch on the
 * file, across rotations, until the container is done and the file drained).
 *
 * Memory stays bounded whatever the container wrote: files are read a chunk at a time and each
 * line handed out as soon as it is complete; a line joined from partial records comes out in
 * pieces of at most MAX_LINE_BYTES, as Docker's log copier hands its drivers a long line.
 */
import { watch } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { LineAssembler, parseRecord, type LogRecord } from './k8s-log-format.js';
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
/** Docker's copier buffer: a longer line goes to the log driver in pieces of this size. */
export const MAX_LINE_BYTES = 16 * 1024;
/**
 * conmon writes records of at most its 8 KiB buffer plus the header: a record line longer than
 * this is damage, skipped up to its newline rather than buffered.
 */
const MAX_RECORD_BYTES = 64 * 1024;

/**
 * LineAssembler with a bound: when the joined line reaches MAX_LINE_BYTES, that much comes out
 * as a piece without a newline and joining goes on with the rest.
 */
class BoundedAssembler {
  private readonly asm = new LineAssembler();
  private pendingBytes = 0;
  private pendingStream: LogRecord['stream'] | undefined;

  *push(r: LogRecord): Generator<LogLine> {
    // LineAssembler keeps one pending line: a record of the other stream replaces it.
    if (r.stream !== this.pendingStream) this.pendingBytes = 0;
    this.pendingStream = r.stream;
    let content = r.content;
    while (this.pendingBytes + content.length > MAX_LINE_BYTES) {
      const room = MAX_LINE_BYTES - this.pendingBytes;
      this.asm.push({ ...r, partial: true, content: content.subarray(0, room) });
      const piece = this.asm.flush();
      if (piece) yield piece;
      this.pendingBytes = 0;
      content = content.subarray(room);
    }
    const line = this.asm.push({ ...r, content });
    if (line) {
      this.pendingBytes = 0;
      yield line;
    } else this.pendingBytes += content.length;
  }

  /** The partial line still open at the end, if any. */
  flush(): LogLine | undefined {
    this.pendingBytes = 0;
    return this.asm.flush();
  }
}

/** What to do with a line: hand it out, pass over it, or end the read (it is past `until`). */
export type WindowVerdict = 'emit' | 'skip' | 'stop';

/**
 * dockerd's since/until window (moby daemon/logger/loggerutils/logfile.go, forwarder.Do): both
 * bounds inclusive; lines before `since` are skipped only until the first line at or after it
 * (timestamps need not be monotonic: later lines are not filtered again); the first line after
 * `until` ends the read, following included. Stateful: one per read.
 */
export function logWindow(since?: Date, until?: Date): (l: { time: Date }) => WindowVerdict {
  let from = since?.getTime();
  const to = until?.getTime();
  return (l) => {
    const t = l.time.getTime();
    if (from !== undefined) {
      if (t < from) return 'skip';
      from = undefined;
    }
    return to !== undefined && t > to ? 'stop' : 'emit';
  };
}

/** Where the next unread record of a file starts; advanced as records are read. */
interface Cursor {
  offset: number;
}

export class K8sLogReader {
  async *read(path: string, o: ReadOptions): AsyncIterable<LogLine> {
    const files = await logFilesOldestFirst(path);
    const want = logWindow(o.since, o.until);
    // History: from the start, or just enough of the end for `tail`.
    const startOffsets =
      o.tail !== undefined && o.tail >= 0
        ? await tailStart(files, o.tail)
        : { index: 0, offset: 0 };
    let position = 0;
    for (let i = startOffsets.index; i < files.length; i++) {
      const file = files[i] ?? path;
      const cursor = { offset: i === startOffsets.index ? startOffsets.offset : 0 };
      const isCurrent = i === files.length - 1;
      const asm = new BoundedAssembler();
      for await (const l of readRecords(file, cursor, asm, o.signal)) {
        const w = want(l);
        if (w === 'stop') return;
        if (w === 'emit') yield l;
      }
      if (isCurrent) position = cursor.offset;
      else {
        const tail = asm.flush();
        const w = tail ? want(tail) : 'skip';
        if (w === 'stop') return;
        if (tail && w === 'emit') yield tail;
      }
    }
    if (!o.follow || o.signal.aborted) return;
    yield* follow(path, position, o, want);
  }
}

/** The lines of `path` from `cursor.offset` on, each as soon as its record is read. */
async function* readRecords(
  path: string,
  cursor: Cursor,
  asm: BoundedAssembler,
  signal: AbortSignal,
): AsyncGenerator<LogLine> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return;
  }
  // `rest` holds the bytes from cursor.offset on that do not end a record yet.
  let rest: Buffer = Buffer.alloc(0);
  let skipping = false;
  const buf = Buffer.alloc(CHUNK);
  try {
    for (;;) {
      if (signal.aborted) break;
      const { bytesRead } = await fh.read(buf, 0, CHUNK, cursor.offset + rest.length);
      if (bytesRead === 0) break;
      let data = Buffer.concat([rest, buf.subarray(0, bytesRead)]);
      let nl: number;
      while ((nl = data.indexOf(0x0a)) >= 0) {
        const rec = skipping ? undefined : parseRecord(data.subarray(0, nl));
        skipping = false;
        cursor.offset += nl + 1;
        data = data.subarray(nl + 1);
        if (rec) yield* asm.push(rec);
      }
      if (data.length > MAX_RECORD_BYTES) {
        cursor.offset += data.length;
        data = Buffer.alloc(0);
        skipping = true;
      }
      rest = data;
    }
  } finally {
    await fh.close();
  }
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
  want: (l: LogLine) => WindowVerdict,
): AsyncIterable<LogLine> {
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
  const asm = new BoundedAssembler();
  const cursor = { offset: from };
  try {
    for (;;) {
      const st = await stat(path).catch(() => undefined);
      if (st && inode !== undefined && st.ino !== inode) {
        // Rotated: finish the old file (now `<path>.1`), then start the new one from 0.
        for await (const l of readRecords(`${path}.1`, cursor, asm, o.signal)) {
          const w = want(l);
          if (w === 'stop') return;
          if (w === 'emit') yield l;
        }
        cursor.offset = 0;
        inode = st.ino;
      }
      for await (const l of readRecords(path, cursor, asm, o.signal)) {
        const w = want(l);
        if (w === 'stop') return;
        if (w === 'emit') yield l;
      }
      if (o.signal.aborted) return;
      if (state.finished) {
        for await (const l of readRecords(path, cursor, asm, o.signal)) {
          const w = want(l);
          if (w === 'stop') return;
          if (w === 'emit') yield l;
        }
        const tail = asm.flush();
        if (tail && want(tail) === 'emit') yield tail;
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
