/**
 * The JSON message stream of pull, push, load and import: an operation reports progress through
 * a sink; its messages come out as JSON lines, with Docker's rendered `progress` bar. An error
 * before the first message is a normal error reply (see StreamReply); after it, an
 * `errorDetail` line, as dockerd writes. Load and push report every error in the stream
 * (errorsInStream).
 */
import type { ProgressMessage, ProgressSink } from '../../daemon/images/progress.js';
import { progressBar, throttled } from '../../daemon/images/progress.js';
import { messageOf } from '../../errors.js';

export function progressJson(m: ProgressMessage): string {
  const d = m.progressDetail;
  const withBar =
    d &&
    d.current !== undefined &&
    (m.status === 'Downloading' ||
      m.status === 'Extracting' ||
      m.status === 'Pushing' ||
      m.status === 'Loading layer');
  return `${JSON.stringify({ status: m.status, ...(d ? { progressDetail: d } : {}), ...(withBar ? { progress: progressBar(d.current ?? 0, d.total) } : {}), ...(m.id !== undefined ? { id: m.id } : {}) })}\n`;
}

export function errorLine(err: unknown): string {
  const message = messageOf(err);
  return `${JSON.stringify({ errorDetail: { message }, error: message })}\n`;
}

/**
 * A stream whose errors all become an `errorDetail` line, even one raised before the first
 * message: the reply is then a 200 whatever happens. dockerd answers `POST /images/load` so
 * (moby api/server/router/image/image_routes.go postImagesLoad writes FormatError without
 * checking Flushed), and a push of an image it lacks after its first status line; SDKs turn the
 * line into their error (docker-py ImageLoadError, the CLI prints it and exits 1).
 */
export async function* errorsInStream(body: AsyncIterable<string>): AsyncIterable<string> {
  try {
    for await (const l of body) yield l;
  } catch (e) {
    yield errorLine(e);
  }
}

/** A JSON line as dockerd's stdout writer makes it: `{"stream": text}` (load's "Loaded image"). */
export function streamLine(text: string): string {
  return `${JSON.stringify({ stream: text })}\n`;
}

/**
 * Runs `op` with a sink; yields each message as it comes, then the lines of `final(result)`.
 * `raw` queues a line already formatted (a streamLine), in order with the messages.
 */
export async function* progressStream<T>(
  op: (sink: ProgressSink, raw: (line: string) => void) => Promise<T>,
  final?: (r: T) => readonly string[],
): AsyncIterable<string> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  // Set from the operation's callbacks (a state object: the compiler cannot see those writes).
  const st: { done: boolean; failed: boolean; failure: unknown; result: T | undefined } = {
    done: false,
    failed: false,
    failure: undefined,
    result: undefined,
  };
  const sink = throttled((m) => {
    queue.push(progressJson(m));
    wake?.();
  });
  const raw = (line: string): void => {
    queue.push(line);
    wake?.();
  };
  void op(sink, raw).then(
    (r) => {
      st.result = r;
      st.done = true;
      wake?.();
    },
    (e: unknown) => {
      st.failure = e;
      st.failed = true;
      st.done = true;
      wake?.();
    },
  );
  for (;;) {
    const next = queue.shift();
    if (next !== undefined) {
      yield next;
      continue;
    }
    if (st.done) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  if (st.failed) throw st.failure instanceof Error ? st.failure : new Error(messageOf(st.failure));
  if (final && st.result !== undefined) for (const l of final(st.result)) yield l;
}
