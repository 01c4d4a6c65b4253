/**
 * The classic builder's answer: JSON lines the docker CLI prints and SDKs parse —
 * `{"stream": text}` for step headers and RUN output, `{"status",...}` for FROM pulls,
 * `{"aux": {"ID": ...}}` for the result. Lines queue until the HTTP layer reads them, so a slow
 * client slows nothing but itself; RUN output is passed on as it comes.
 */
import type { ProgressMessage } from '../daemon/images/progress.js';

export class BuildOutput {
  private readonly queue: string[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  constructor(private readonly quiet: boolean) {}

  /** Text for the client's terminal (ignored with `q`, as dockerd). */
  say(text: string): void {
    if (!this.quiet) this.push({ stream: text });
  }

  progress(m: ProgressMessage): void {
    if (this.quiet) return;
    this.push({
      status: m.status,
      ...(m.progressDetail ? { progressDetail: m.progressDetail } : {}),
      ...(m.id !== undefined ? { id: m.id } : {}),
    });
  }

  aux(o: Record<string, unknown>): void {
    this.push({ aux: o });
  }

  /** Always sent, also with `q` (the image id of a quiet build). */
  sayAlways(text: string): void {
    this.push({ stream: text });
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  private push(o: Record<string, unknown>): void {
    this.queue.push(`${JSON.stringify(o)}\n`);
    this.wake?.();
  }

  async *lines(): AsyncIterable<string> {
    for (;;) {
      const next = this.queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}
