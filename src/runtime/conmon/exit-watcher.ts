/**
 * One watcher on conmon's exit directory for all containers: conmon writes `<exit-dir>/<id>`
 * with the exit status when a container exits. A wait registered after the fact (the exit
 * happened while skiffd was down) sees the file at once.
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export class ExitWatcher {
  private watcher: FSWatcher | undefined;
  private readonly waiters = new Map<string, Set<(code: number) => void>>();
  private poller: NodeJS.Timeout | undefined;

  constructor(readonly dir: string) {}

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    this.watcher = watch(this.dir, (_event, file) => {
      if (typeof file === 'string' && this.waiters.has(file)) void this.check(file);
    });
    this.watcher.on('error', () => undefined);
    // inotify can miss an event under load; a slow poll is the safety net.
    this.poller = setInterval(() => {
      for (const id of this.waiters.keys()) void this.check(id);
    }, 2000);
    this.poller.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.poller) clearInterval(this.poller);
  }

  path(id: string): string {
    return join(this.dir, id);
  }

  /** The exit status if the file exists, else undefined. */
  async read(id: string): Promise<number | undefined> {
    const text = await readFile(this.path(id), 'utf8').catch(() => undefined);
    if (text === undefined || text.trim() === '') return undefined;
    const n = Number(text.trim());
    return Number.isInteger(n) ? n : undefined;
  }

  /**
   * When the container exited: conmon writes the exit file at that moment, so its mtime is the
   * exit time even when skiffd learns of it later (an exit while skiffd was down).
   */
  async exitTime(id: string): Promise<Date> {
    return (await stat(this.path(id)).catch(() => undefined))?.mtime ?? new Date();
  }

  wait(id: string, signal?: AbortSignal): Promise<number> {
    return new Promise((resolve, reject) => {
      let set = this.waiters.get(id);
      if (!set) {
        set = new Set();
        this.waiters.set(id, set);
      }
      const w = (code: number): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(code);
      };
      const onAbort = (): void => {
        set.delete(w);
        reject(new Error('wait aborted'));
      };
      set.add(w);
      signal?.addEventListener('abort', onAbort, { once: true });
      void this.check(id);
    });
  }

  private async check(id: string): Promise<void> {
    const code = await this.read(id);
    if (code === undefined) return;
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const w of set) w(code);
  }
}
