/**
 * Gives skiffd's freed memory back to the kernel once a burst of API requests is over.
 *
 * After a pull, a build or a burst of runs, skiffd's live JS heap is back where it started
 * (~11 MiB in a heap snapshot), but its RSS is not: glibc keeps the pages that Buffers, zlib
 * and the HTTP parser freed, and V8 keeps garbage until its next full collection. So, once no
 * request has ended for `quietMs`, this runs a full GC when Node exposes one (skiffd starts with
 * `--expose-gc`, see cli/daemon-command.ts) and then the release (malloc_trim). Nothing runs
 * while the daemon stays idle, and once per burst, not per request.
 */
export class MemoryRelease {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly release: () => void,
    private readonly quietMs: number,
    private readonly gc: (() => void) | undefined = exposedGc(),
  ) {}

  /** A request ended: (re)arm the timer. */
  activity(): void {
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.gc?.();
      this.release();
    }, this.quietMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** `gc()` when Node runs with --expose-gc. */
function exposedGc(): (() => void) | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  return typeof gc === 'function' ? () => void (gc as () => unknown)() : undefined;
}
