/**
 * Bounded set of file writes in flight while extraction reads on: the tar parser (main thread)
 * and the writes (libuv's pool) then overlap instead of taking turns. Bounded by count and by
 * buffered bytes, so a layer of large files does not pile up in memory.
 */
export class PendingWrites {
  private readonly inFlight = new Set<Promise<void>>();
  private bytes = 0;
  private failure: unknown;
  private failed = false;

  constructor(
    private readonly maxCount = 32,
    private readonly maxBytes = 32 * 1024 * 1024,
  ) {}

  /** Starts `write`; waits first while the bounds are reached. Throws an earlier write's error. */
  async add(bytes: number, write: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    while (
      this.inFlight.size >= this.maxCount ||
      (this.bytes + bytes > this.maxBytes && this.inFlight.size > 0)
    )
      await Promise.race(this.inFlight);
    this.throwIfFailed();
    this.bytes += bytes;
    const p: Promise<void> = write().then(
      () => {
        this.inFlight.delete(p);
        this.bytes -= bytes;
      },
      (e: unknown) => {
        this.inFlight.delete(p);
        this.bytes -= bytes;
        if (!this.failed) {
          this.failed = true;
          this.failure = e;
        }
      },
    );
    this.inFlight.add(p);
  }

  /** Waits for every write; throws the first failure. */
  async flush(): Promise<void> {
    await Promise.all(this.inFlight);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failure;
  }
}
