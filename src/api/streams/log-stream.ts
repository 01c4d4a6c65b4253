/** Log lines as the client reads them: raw for a TTY container, stdcopy frames otherwise, optional timestamps. */
import type { LogLine } from '../../daemon/containers/dependencies.js';
import { STDERR, STDOUT, frame } from './stdcopy.js';

export async function* logStream(
  lines: AsyncIterable<LogLine>,
  o: { tty: boolean; timestamps: boolean },
): AsyncIterable<Buffer> {
  for await (const l of lines) {
    const payload = o.timestamps
      ? Buffer.concat([Buffer.from(`${rfc3339Nano(l.time)} `), l.line])
      : l.line;
    yield o.tty ? payload : frame(l.stream === 'stderr' ? STDERR : STDOUT, payload);
  }
}

/** Docker prints nanosecond timestamps; JS dates have milliseconds: pad with zeros. */
export function rfc3339Nano(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}
