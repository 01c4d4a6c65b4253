/** What every conmon-run task needs to know, built once by ConmonRuntime. */
import type { ExitWatcher } from './exit-watcher.js';

export interface ConmonContext {
  readonly conmon: string;
  readonly runtimePath: string;
  readonly runtimeName: string;
  /** Global runtime flags (--root, crun's --cgroup-manager=disabled). */
  readonly globalArgs: readonly string[];
  /** The runtime's state directory (its --root). */
  readonly stateRoot: string;
  readonly exitDir: string;
  readonly socketDir: string;
  readonly exits: ExitWatcher;
  readonly bridge?: string;
  /** Whether pause/unpause can work (a freezer), and if not, why. */
  readonly freezer: { readonly usable: boolean; readonly reason: string };
  /** Whether containers have their own cgroup (then `kill --all` works). */
  readonly cgroups: boolean;
  readonly env: NodeJS.ProcessEnv;
}

/** The attach-socket symlink name under socketDir (short: socket paths are limited to 108 bytes). */
export function cuuidOf(id: string): string {
  return id.slice(0, 12);
}
