/**
 * Clients that attach to a container before it starts (`docker run` attaches, then starts):
 * they wait here, and the runner connects each of them to the new task after the runtime
 * created it and before it lets the process run, so no output is lost.
 */
import type { Task } from '../../runtime/runtime.js';

type Connector = (task: Task) => Promise<void>;

export class AttachHub {
  private readonly pending = new Map<string, Set<Connector>>();

  /** Resolves once `connect` ran against the task of the next start (or rejects on abort). */
  waitForStart(id: string, connect: Connector, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      let set = this.pending.get(id);
      if (!set) {
        set = new Set();
        this.pending.set(id, set);
      }
      const entry: Connector = async (task) => {
        signal?.removeEventListener('abort', onAbort);
        try {
          await connect(task);
          resolve();
        } catch (e) {
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      };
      const onAbort = (): void => {
        set.delete(entry);
        reject(new Error('attach aborted'));
      };
      set.add(entry);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async connectAll(id: string, task: Task): Promise<void> {
    const set = this.pending.get(id);
    if (!set) return;
    this.pending.delete(id);
    await Promise.all([...set].map((c) => c(task).catch(() => undefined)));
  }

  /** Clients waiting for a container that will never start (removed). */
  cancel(id: string): void {
    this.pending.delete(id);
  }
}
