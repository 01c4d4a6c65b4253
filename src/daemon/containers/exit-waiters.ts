/**
 * Waiters for `POST /containers/{id}/wait` and for the daemon's own stop logic: resolved when a
 * container's exit has been recorded (state saved, events sent) or when it has been removed.
 */
export interface ExitNotice {
  readonly code: number;
  readonly error?: string;
}

export class ExitWaiters {
  private readonly exits = new Map<string, Set<(n: ExitNotice) => void>>();
  private readonly removals = new Map<string, Set<(n: ExitNotice) => void>>();

  nextExit(id: string, signal?: AbortSignal): Promise<ExitNotice> {
    return this.add(this.exits, id, signal);
  }

  removed(id: string, signal?: AbortSignal): Promise<ExitNotice> {
    return this.add(this.removals, id, signal);
  }

  notifyExit(id: string, n: ExitNotice): void {
    this.fire(this.exits, id, n);
  }

  notifyRemoved(id: string, n: ExitNotice): void {
    this.fire(this.exits, id, n);
    this.fire(this.removals, id, n);
  }

  private add(
    map: Map<string, Set<(n: ExitNotice) => void>>,
    id: string,
    signal?: AbortSignal,
  ): Promise<ExitNotice> {
    return new Promise((resolve, reject) => {
      let set = map.get(id);
      if (!set) {
        set = new Set();
        map.set(id, set);
      }
      const waiter = (n: ExitNotice): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(n);
      };
      const onAbort = (): void => {
        set.delete(waiter);
        reject(new Error('wait aborted'));
      };
      set.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private fire(map: Map<string, Set<(n: ExitNotice) => void>>, id: string, n: ExitNotice): void {
    const set = map.get(id);
    if (!set) return;
    map.delete(id);
    for (const w of set) w(n);
  }
}
