/**
 * The runtime seam: runs an OCI bundle under a per-container monitor (conmon) with the OCI
 * runtime chosen at startup (runc or crun), and gives the containers service what it needs —
 * start, attach, signals, exit status, exec, pause — with nothing of HTTP or Docker in it.
 *
 * Ownership: the containers service creates the bundle directory, writes `config.json` and
 * mounts the rootfs at the spec's `root.path`; the runtime owns every other file it needs
 * (conmon pid file, attach socket, ctl fifo, exit files, runtime state under its own root) and
 * MUST be able to find a task again from those files after skiffd restarts (live restore).
 */
import type { Readable, Writable } from 'node:stream';
import { InternalError } from '../errors.js';
import type { OciResources } from './spec/oci-spec.js';

/**
 * The OCI runtime refused to start an exec'd process (missing or non-executable command, bad
 * user...). The message is the runtime's own; the containers service words it as Docker does.
 */
export class ExecStartFailed extends InternalError {}

/** Where the container's output is persisted (what `docker logs` reads). */
export type LogTarget =
  | {
      readonly kind: 'file';
      readonly path: string;
      readonly maxSize?: number;
      readonly maxFiles?: number;
    }
  | { readonly kind: 'none' };

export interface TaskIO {
  /** Allocate a pseudo-terminal for the process. */
  readonly tty: boolean;
  /** Keep a pipe to the process's stdin (docker run -i); closed when the first attached client ends it. */
  readonly stdin: boolean;
  /** docker run -i without --attach-once semantics: keep stdin open when a client detaches. */
  readonly leaveStdinOpen?: boolean;
  readonly log: LogTarget;
}

export interface CreateTaskRequest {
  /** Container id (64 hex). */
  readonly id: string;
  /** Container name, for conmon's logs. */
  readonly name: string;
  /** Directory holding config.json; the rootfs is already mounted where the spec says. */
  readonly bundle: string;
  readonly io: TaskIO;
}

export interface Exit {
  /** Exit status; 128+N when killed by signal N, as Docker reports. */
  readonly code: number;
  readonly oomKilled: boolean;
  readonly finishedAt: Date;
}

/**
 * A live connection to a process's stdio. `output` carries Docker stdcopy frames: an 8-byte
 * header (stream byte 1 = stdout, 2 = stderr, three zero bytes, big-endian uint32 length) then
 * the payload — with a TTY everything arrives as stream 1. Writing to `input` feeds stdin;
 * `input.end()` closes the process's stdin (EOF). `output` ends when the process's output is
 * over (it exited) or `close()` was called.
 */
export interface AttachSession {
  readonly output: Readable;
  readonly input: Writable;
  close(): void;
}

export type RuntimeStatus = 'created' | 'running' | 'paused' | 'stopped' | 'unknown';

export interface TaskState {
  readonly id: string;
  readonly status: RuntimeStatus;
  /** Container init pid, 0 when not running. */
  readonly pid: number;
  readonly conmonPid: number;
  /** Set when the process has exited (from conmon's exit file). */
  readonly exit?: Exit;
}

export interface ProcessSpec {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly cwd: string;
  readonly user: {
    readonly uid: number;
    readonly gid: number;
    readonly additionalGids?: readonly number[];
  };
  readonly tty: boolean;
  readonly capabilities?: readonly string[];
  readonly noNewPrivileges?: boolean;
  readonly consoleSize?: { readonly height: number; readonly width: number };
}

export interface ExecIO {
  readonly tty: boolean;
  readonly stdin: boolean;
  /** Detached exec (docker exec -d): output is discarded, nobody attaches. */
  readonly detach: boolean;
}

export interface ExecProcess {
  readonly pid: number;
  /** The exec's stdio; undefined for a detached exec. Available before the process runs, so nothing is lost. */
  readonly session?: AttachSession;
  resize(height: number, width: number): Promise<void>;
  kill(signal: NodeJS.Signals | number): Promise<void>;
  /** Resolves when the exec'd process has exited (and, when attached, its output is drained). */
  wait(): Promise<Exit>;
}

export interface Task {
  readonly id: string;
  /** Container init pid (as seen from skiffd). */
  readonly pid: number;
  readonly conmonPid: number;
  /** `runtime start`: lets the created process exec its command. */
  start(): Promise<void>;
  /** Connects to the process's stdio; several sessions may be attached at once. */
  attach(): Promise<AttachSession>;
  /** Signal by name ("SIGTERM", "TERM") or number; `all` signals every process of the container. */
  kill(signal: string | number, all?: boolean): Promise<void>;
  resize(height: number, width: number): Promise<void>;
  /** Resolves with the exit once the container has exited (immediately if it already has). */
  wait(signal?: AbortSignal): Promise<Exit>;
  exec(execId: string, spec: ProcessSpec, io: ExecIO): Promise<ExecProcess>;
  /** Needs a usable freezer; otherwise rejects with UnavailableError naming the reason. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /**
   * New cgroup limits for the running container (`docker update`). False when the container has
   * no cgroup of its own to change (no delegated cgroup v2): nothing was done.
   */
  update(resources: OciResources): Promise<boolean>;
  /** Processes of the container as `ps` would list them (pid, user, command) — for docker top. */
  processes(): Promise<readonly number[]>;
  state(): Promise<TaskState>;
  /** Removes runtime state and monitor files; the process must have exited (or `force` kills it). */
  delete(force?: boolean): Promise<void>;
}

export interface Runtime {
  readonly name: string;
  readonly version: string;
  /** Starts conmon, which runs `runtime create`; resolves once the container's pid is known. */
  create(req: CreateTaskRequest): Promise<Task>;
  /** Finds a task again from its files (after a skiffd restart); undefined if there is none. */
  get(id: string, bundle: string): Promise<Task | undefined>;
}
