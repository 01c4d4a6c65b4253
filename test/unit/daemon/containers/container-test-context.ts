/**
 * A ContainerContext for unit tests of the containers service: the real ContainerStore, locks,
 * event bus and ContainerRunner over temp directories; in-memory stand-ins for what needs a
 * user namespace (snapshots, mounts, the OCI runtime) and for rootlesskit's port API.
 */
import type { OciResources } from '../../../../src/runtime/spec/oci-spec.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostProfile } from '../../../../src/host.js';
import { silentLogger } from '../../../../src/log.js';
import type {
  PortForwarder,
  PortSpec,
  PortStatus,
} from '../../../../src/network/port-forwarder.js';
import type {
  CreateTaskRequest,
  ExecProcess,
  Exit,
  Runtime,
  Task,
  TaskState,
} from '../../../../src/runtime/runtime.js';
import { parseCreateBody } from '../../../../src/api/wire/container-create.js';
import type { ContainerContext } from '../../../../src/daemon/containers/container-context.js';
import { ContainerRunner } from '../../../../src/daemon/containers/container-runner.js';
import { ContainerStore } from '../../../../src/daemon/containers/container-store.js';
import { createContainer } from '../../../../src/daemon/containers/create-container.js';
import { EventBus } from '../../../../src/daemon/events/event-bus.js';
import { KeyLock } from '../../../../src/store/key-lock.js';

export interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

export function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** A task whose process exits when killed (or when the test says). */
export class FakeTask implements Task {
  readonly conmonPid = 0;
  deleted = false;
  private settle!: (e: Exit) => void;
  private readonly exited = new Promise<Exit>((resolve) => {
    this.settle = resolve;
  });
  /** What exec() does; the tests replace it. */
  onExec: (execId: string) => Promise<ExecProcess> = () =>
    Promise.resolve(fakeExecProcess(Promise.resolve(0)));

  constructor(
    readonly id: string,
    readonly pid: number,
  ) {}

  exit(code: number): void {
    this.settle({ code, oomKilled: false, finishedAt: new Date() });
  }

  start(): Promise<void> {
    return Promise.resolve();
  }
  attach(): Promise<never> {
    return Promise.reject(new Error('no attach in unit tests'));
  }
  kill(signal: string | number): Promise<void> {
    if (signal === 'SIGKILL' || signal === 9) this.exit(137);
    return Promise.resolve();
  }
  resize(): Promise<void> {
    return Promise.resolve();
  }
  /** The limits the last update asked for (as with a delegated cgroup). */
  updated: OciResources | undefined;
  update(resources: OciResources): Promise<boolean> {
    this.updated = resources;
    return Promise.resolve(true);
  }
  wait(): Promise<Exit> {
    return this.exited;
  }
  exec(execId: string): Promise<ExecProcess> {
    return this.onExec(execId);
  }
  pause(): Promise<void> {
    return Promise.resolve();
  }
  resume(): Promise<void> {
    return Promise.resolve();
  }
  processes(): Promise<readonly number[]> {
    return Promise.resolve([this.pid]);
  }
  state(): Promise<TaskState> {
    return Promise.resolve({ id: this.id, status: 'running', pid: this.pid, conmonPid: 0 });
  }
  delete(force?: boolean): Promise<void> {
    this.deleted = true;
    if (force) this.exit(137);
    return Promise.resolve();
  }
}

export function fakeExecProcess(code: Promise<number>): ExecProcess {
  return {
    pid: 4242,
    resize: () => Promise.resolve(),
    kill: () => Promise.resolve(),
    wait: async () => ({ code: await code, oomKilled: false, finishedAt: new Date() }),
  };
}

export class FakeRuntime implements Runtime {
  readonly name = 'fake';
  readonly version = '0';
  readonly tasks: FakeTask[] = [];
  /** When set, create() waits for it: a start that is under way. */
  hold: Gate | undefined;
  /** Resolves each time create() is entered. */
  entered = gate();

  async create(req: CreateTaskRequest): Promise<Task> {
    this.entered.open();
    if (this.hold) await this.hold.opened;
    const t = new FakeTask(req.id, 1000 + this.tasks.length);
    this.tasks.push(t);
    return t;
  }
  get(): Promise<Task | undefined> {
    return Promise.resolve(undefined);
  }
}

/** rootlesskit's port API in memory: what is published right now. */
export class FakePorts implements PortForwarder {
  readonly live = new Map<number, PortSpec>();
  private next = 1;
  add(p: PortSpec): Promise<number> {
    const id = this.next++;
    this.live.set(id, p);
    return Promise.resolve(id);
  }
  remove(id: number): Promise<void> {
    this.live.delete(id);
    return Promise.resolve();
  }
  list(): Promise<PortStatus[]> {
    return Promise.resolve([...this.live].map(([id, spec]) => ({ id, spec })));
  }
}

export interface TestContext {
  readonly ctx: ContainerContext;
  readonly store: ContainerStore;
  readonly runner: ContainerRunner;
  readonly runtime: FakeRuntime;
  readonly ports: FakePorts;
  /** Snapshot keys that exist. */
  readonly snapshots: Set<string>;
  /** Every mount and unmount of a rootfs, in order. */
  readonly mountLog: string[];
  /** When set, the next mount waits for it. */
  holdMount: Gate | undefined;
  readonly dir: string;
  /** `docker create` with a Docker JSON body. */
  create(body: Record<string, unknown>, name?: string): Promise<string>;
  cleanup(): Promise<void>;
}

export async function testContext(o: { storeRoot?: string } = {}): Promise<TestContext> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-ctx-'));
  const log = silentLogger();
  const store = new ContainerStore(o.storeRoot ?? join(dir, 'containers'), log);
  await store.load().catch(() => undefined);
  const runtime = new FakeRuntime();
  const ports = new FakePorts();
  const snapshots = new Set<string>();
  const mountLog: string[] = [];
  const hooks: { holdMount: Gate | undefined } = { holdMount: undefined };
  const host = {
    hostname: 'testhost',
    holderPid: undefined,
    warnings: [],
    cgroup: { version: 2 },
    storage: { driver: 'vfs' },
    binaries: {},
  } as unknown as HostProfile;
  const ctx = {
    store,
    locks: new KeyLock(),
    images: {
      resolve: () =>
        Promise.resolve({
          id: `sha256:${'a'.repeat(64)}`,
          chainIds: ['sha256:top'],
          size: 0,
          config: {
            env: [],
            cmd: ['sh'],
            workingDir: '',
            user: '',
            volumes: [],
            exposedPorts: [],
            labels: {},
          },
        }),
    },
    snapshots: {
      prepare: (key: string) => {
        snapshots.add(key);
        return Promise.resolve([]);
      },
      mounts: () => Promise.resolve([]),
      remove: (key: string) => {
        snapshots.delete(key);
        return Promise.resolve();
      },
    },
    mounter: {
      mount: async () => {
        const hold = hooks.holdMount;
        hooks.holdMount = undefined;
        mountLog.push('mount');
        if (hold) await hold.opened;
      },
      unmount: () => {
        mountLog.push('unmount');
        return Promise.resolve();
      },
    },
    volumes: { removeIfUnused: () => Promise.resolve() },
    spec: {
      build: () => ({ spec: {}, warnings: [] }),
      resolveUser: () => Promise.resolve({ uid: 0, gid: 0, additionalGids: [], home: '/root' }),
      execProcess: () => ({
        args: ['true'],
        env: [],
        cwd: '/',
        user: { uid: 0, gid: 0 },
        tty: false,
      }),
      resourceWarnings: () => [],
    },
    runtime,
    logs: {},
    events: new EventBus(),
    ports,
    host,
    defaults: {
      logDriver: 'json-file',
      logOpts: {},
      init: false,
      noNewPrivileges: false,
      shmSize: 64 * 1024 * 1024,
      ulimits: [],
      dns: [],
      dnsSearch: [],
      dnsOptions: [],
      shutdownTimeout: 10,
      usernsMode: '',
      cdiSpecDirs: ['/etc/cdi', '/var/run/cdi'],
    },
    bundleRoot: join(dir, 'bundles'),
    log,
  } as unknown as ContainerContext;
  const runner = new ContainerRunner(ctx);
  return {
    ctx,
    store,
    runner,
    runtime,
    ports,
    snapshots,
    mountLog,
    get holdMount() {
      return hooks.holdMount;
    },
    set holdMount(g: Gate | undefined) {
      hooks.holdMount = g;
    },
    dir,
    create: async (body, name) =>
      (await createContainer(ctx, parseCreateBody(body, name ?? null, null))).id,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Lets queued promise callbacks and I/O run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
