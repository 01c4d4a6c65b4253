/**
 * conmon's k8s-file log format: one record per line, `<RFC3339Nano time> <stdout|stderr> <P|F>
 * <content>`; P marks a partial line (the container wrote no newline yet) to be joined with the
 * records that follow up to the next F.
 */
export interface LogRecord {
  readonly time: Date;
  readonly stream: 'stdout' | 'stderr';
  readonly partial: boolean;
  readonly content: Buffer;
}

export function parseRecord(line: Buffer): LogRecord | undefined {
  const s1 = line.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(0x20, s2 + 1);
  if (s3 < 0) return undefined;
  const time = parseTime(line.subarray(0, s1).toString('latin1'));
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  const tag = line.subarray(s2 + 1, s3).toString('latin1');
  if (!time || (stream !== 'stdout' && stream !== 'stderr') || (tag !== 'P' && tag !== 'F'))
    return undefined;
  return { time, stream, partial: tag === 'P', content: line.subarray(s3 + 1) };
}

/** JS dates take milliseconds: cut the nanoseconds, keep the offset. */
export function parseTime(text: string): Date | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(text);
  if (!m?.[1]) return undefined;
  const ms = (m[2] ?? '').padEnd(3, '0').slice(0, 3);
  const d = new Date(`${m[1]}.${ms}${m[3] ?? 'Z'}`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * Joins partial records into whole lines: feed records, get lines (content with its newline
 * when the line was complete, as the container wrote it).
 */
export class LineAssembler {
  private pending: { time: Date; stream: 'stdout' | 'stderr'; parts: Buffer[] } | undefined;

  push(r: LogRecord): { time: Date; stream: 'stdout' | 'stderr'; line: Buffer } | undefined {
    if (r.partial) {
      if (this.pending && this.pending.stream === r.stream) this.pending.parts.push(r.content);
      else this.pending = { time: r.time, stream: r.stream, parts: [r.content] };
      return undefined;
    }
    const parts =
      this.pending && this.pending.stream === r.stream
        ? [...this.pending.parts, r.content]
        : [r.content];
    const time = this.pending && this.pending.stream === r.stream ? this.pending.time : r.time;
    this.pending = undefined;
    return { time, stream: r.stream, line: Buffer.concat([...parts, Buffer.from('\n')]) };
  }

  /** A partial line still open at the end (the container's last output had no newline). */
  flush(): { time: Date; stream: 'stdout' | 'stderr'; line: Buffer } | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p ? { time: p.time, stream: p.stream, line: Buffer.concat(p.parts) } : undefined;
  }
}
