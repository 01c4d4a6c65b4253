/**
 * Starting containers and living with them: mount the rootfs, write the /etc files, build the
 * OCI spec, hand the bundle to the runtime (conmon + runc/crun), connect waiting attach
 * clients, let the process run; then, on exit, record it, clean up, apply the restart policy
 * and --rm. Every state change is saved before it is announced.
 */
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, InvalidArgumentError, UnavailableError, messageOf } from '../../errors.js';
import type { Exit, Task, TaskIO } from '../../runtime/runtime.js';
import type { SpecInput } from '../../runtime/spec/spec-input.js';
import { byteSizeOrUndefined } from './log-options.js';
import type { ContainerContext } from './container-context.js';
import type {
  ContainerRecord,
  ContainerState,
  NetworkState,
  PublishedPort,
} from './container-record.js';
import { portRequests, publishPorts, unpublishPorts } from './publish-ports.js';
import { AttachHub } from './attach-hub.js';
import { ExitWaiters } from './exit-waiters.js';
import { writeEtcFiles } from './container-etc-files.js';
import { refreshLinkers } from './link-updates.js';
import { withLinkEnv } from './legacy-links.js';
import { networkModeKind } from './network-mode.js';
import { containerNamespaces, notRunning } from './namespaces.js';
import { populateVolume } from './populate-volume.js';
import { mountSubpaths, unmountSubpaths } from './volume-subpath.js';
import { decideRestart } from './restart-policy.js';
import { containerRootfs, mountContainerRootfs } from './container-rootfs.js';
import { sharedShmSource, unmountRootfsAndShm } from './shared-shm.js';
import { containerUserns, keepIdNamespace } from './container-userns.js';
import type { AttachingNetwork } from './container-networking.js';
import { seccompFor } from './seccomp-option.js';
import { startError } from './start-error.js';
import { cdiSpecInput } from './device-requests.js';

export type StartResult = 'started' | 'already-running';

export interface ExitHooks {
  /** Called (outside the container's lock) after an exit was recorded, to apply --rm. */
  autoRemove(id: string): Promise<void>;
  /** Health checks: started with the container, stopped on exit. */
  onStarted(rec: ContainerRecord, task: Task): void;
  onStopped(id: string): void;
}

export class ContainerRunner {
  readonly attachHub = new AttachHub();
  readonly waiters = new ExitWaiters();
  private readonly tasks = new Map<string, Task>();
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly restartDelays = new Map<string, number>();
  private hooks: ExitHooks = {
    autoRemove: () => Promise.resolve(),
    onStarted: () => undefined,
    onStopped: () => undefined,
  };

  constructor(private readonly ctx: ContainerContext) {}

  setHooks(h: ExitHooks): void {
    this.hooks = h;
  }

  task(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  bundle(id: string): string {
    return join(this.ctx.bundleRoot, id);
  }

  readonly rootfs = (id: string): string => containerRootfs(this.ctx, id);

  async start(ref: string): Promise<StartResult> {
    const id = this.ctx.store.find(ref).id;
    try {
      return await this.ctx.locks.with(`container:${id}`, async () => {
        const rec = this.ctx.store.find(id);
        if (rec.state.status === 'running') return 'already-running';
        if (rec.state.status === 'paused')
          throw new ConflictError('cannot start a paused container, try unpause instead');
        if (rec.state.status === 'removing')
          throw new ConflictError(`container is marked for removal and cannot be started`);
        this.cancelRestart(id);
        await this.startLocked(rec, false);
        return 'started' as const;
      });
    } catch (e) {
      // As dockerd: a --rm container that fails to start is removed (`docker run --rm` waits for that).
      const rec = this.ctx.store.get(id);
      if (rec?.hostConfig.autoRemove && rec.state.status !== 'running')
        await this.hooks.autoRemove(id).catch((err: unknown) => {
          this.ctx.log.warn({ id, err: messageOf(err) }, 'auto-remove after a failed start failed');
        });
      throw e;
    }
  }

  /** Requires the container's lock. */
  private async startLocked(rec: ContainerRecord, isRestart: boolean): Promise<void> {
    const runtime = this.ctx.runtime;
    if (!runtime)
      throw new UnavailableError(
        `no OCI runtime can run containers on this host: ${this.ctx.host.warnings.join('; ')}`,
      );
    const id = rec.id;
    const bundle = this.bundle(id);
    const t0 = performance.now();
    const phases: Record<string, number> = {};
    const mark = (name: string): void => {
      phases[name] = Math.round(performance.now() - t0);
    };
    // A bridge container's namespace is made while its rootfs is mounted, and wired (netavark
    // with iptables: 0.1-0.3 s) while the runtime creates the container in it: its process only
    // runs at task.start(), after the wiring is awaited.
    const attaching = this.attachNetwork(rec);
    attaching.catch(() => undefined); // awaited below; this keeps an early failure handled
    const detachAttaching = async (): Promise<void> => {
      const a = await attaching.catch(() => undefined);
      // A failed wiring has undone itself (ContainerNetworking.attach).
      const wired = await a?.wired.catch(() => undefined);
      await this.detachNetwork(rec, wired);
    };
    let rootfs: string;
    try {
      rootfs = await mountContainerRootfs(this.ctx, id);
    } catch (e) {
      await detachAttaching();
      throw e;
    }
    mark('mounted');
    let task: Task;
    let network: NetworkState | undefined;
    const held: string[] = [];
    try {
      const planned = await attaching;
      // A network sysctl may name an interface the runtime must find when it creates the
      // container (net.ipv4.conf.eth0.*): then the wiring comes first, as with dockerd.
      if (planned && Object.keys(rec.hostConfig.sysctls).some((k) => k.startsWith('net.')))
        await planned.wired;
      mark('netns');
      const input = await this.specInput(rec, rootfs, planned?.state, held);
      const { spec } = this.ctx.spec.build(input);
      await writeFile(join(bundle, 'config.json'), JSON.stringify(spec));
      mark('spec');
      task = await runtime.create({ id, name: rec.name, bundle, io: this.taskIO(rec) });
      mark('runtime');
      // The runtime has mounted the volume subpaths: skiffd's own mounts of them can go.
      await unmountSubpaths(this.ctx, held.splice(0));
    } catch (e) {
      await unmountSubpaths(this.ctx, held.splice(0));
      await unmountRootfsAndShm(this.ctx, id, this.bundle(id)).catch(() => undefined);
      await detachAttaching();
      const err = startError(e);
      await this.save({
        ...rec,
        state: { ...rec.state, exitCode: err.exitCode, error: err.error.message },
      });
      throw err.error;
    }
    this.tasks.set(id, task);
    let ports: PublishedPort[] = [];
    let wiring = true;
    try {
      network = await (await attaching)?.wired;
      wiring = false;
      mark('network');
      ports = await this.publish(rec, network);
    } catch (e) {
      this.tasks.delete(id);
      await task.delete(true).catch(() => undefined);
      await unmountRootfsAndShm(this.ctx, id, this.bundle(id)).catch(() => undefined);
      await this.detachNetwork(rec, network);
      if (!wiring) throw e; // a port that cannot be published: the request's error, as before
      const err = startError(e);
      await this.save({
        ...rec,
        state: { ...rec.state, exitCode: err.exitCode, error: err.error.message },
      });
      throw err.error;
    }
    mark('created');
    await this.attachHub.connectAll(id, task);
    mark('attached');
    try {
      await task.start();
      mark('task-started');
    } catch (e) {
      if (this.ctx.ports) await unpublishPorts(this.ctx.ports, ports);
      this.tasks.delete(id);
      await task.delete(true).catch(() => undefined);
      await unmountRootfsAndShm(this.ctx, id, this.bundle(id)).catch(() => undefined);
      await this.detachNetwork(rec, network);
      const err = startError(e);
      await this.save({
        ...rec,
        state: { ...rec.state, exitCode: err.exitCode, error: err.error.message },
      });
      throw err.error;
    }
    const state: ContainerState = {
      ...rec.state,
      status: 'running',
      pid: task.pid,
      exitCode: 0,
      oomKilled: false,
      error: '',
      startedAt: new Date().toISOString(),
      manuallyStopped: false,
      ports,
      ...(network ? { network } : {}),
      ...(rec.config.healthcheck && rec.config.healthcheck.test[0] !== 'NONE'
        ? { health: { status: 'starting', failingStreak: 0, log: [] } }
        : {}),
    };
    const started = await this.save({
      ...rec,
      state,
      restartCount: isRestart ? rec.restartCount + 1 : rec.restartCount,
    });
    mark('started');
    // Where a start's time goes (ms since it began), for `--debug` and the run-latency benchmark.
    this.ctx.log.debug({ id, phases }, 'container started');
    this.ctx.events.publish('container', 'start', id, { image: rec.config.image, name: rec.name });
    // Containers linking to this one reach it at its new address (dockerd updates their hosts).
    await refreshLinkers(this.ctx, started);
    this.hooks.onStarted(started, task);
    this.monitor(id, task);
  }

  /** Takes over a task that outlived a skiffd restart. */
  adopt(rec: ContainerRecord, task: Task): void {
    this.monitor(rec.id, task);
    this.hooks.onStarted(rec, task);
  }

  /** Watches a task's exit (also used for tasks adopted after a daemon restart). */
  monitor(id: string, task: Task): void {
    this.tasks.set(id, task);
    task.wait().then(
      (exit) => void this.onExit(id, task, exit),
      (e: unknown) => {
        this.ctx.log.error(
          { id, err: messageOf(e) },
          'lost track of a container; marking it exited',
        );
        void this.onExit(id, task, { code: 255, oomKilled: false, finishedAt: new Date() });
      },
    );
  }

  private async onExit(id: string, task: Task, exit: Exit): Promise<void> {
    const after = { remove: false };
    let code = exit.code;
    await this.ctx.locks.with(`container:${id}`, async () => {
      if (this.tasks.get(id) === task) this.tasks.delete(id);
      this.hooks.onStopped(id);
      // Independent: the runtime's state and the rootfs mount go at the same time.
      await Promise.all([
        task.delete(true).catch((e: unknown) => {
          this.ctx.log.warn({ id, err: messageOf(e) }, 'runtime delete failed');
        }),
        unmountRootfsAndShm(this.ctx, id, this.bundle(id)).catch((e: unknown) => {
          this.ctx.log.warn({ id, err: messageOf(e) }, 'unmount failed');
        }),
      ]);
      const rec = this.ctx.store.get(id);
      if (!rec) return;
      if (this.ctx.ports && rec.state.ports) await unpublishPorts(this.ctx.ports, rec.state.ports);
      // In the background: the namespace is empty now, and its addresses stay reserved until done.
      if (rec.state.network) this.ctx.networking?.detachLater(rec, rec.state.network);
      code = exit.code;
      const ranFor = Date.now() - Date.parse(rec.state.startedAt);
      const decision = decideRestart({
        policy: rec.hostConfig.restartPolicy,
        exitCode: exit.code,
        manuallyStopped: rec.state.manuallyStopped,
        restartCount: rec.restartCount,
        previousDelayMs: this.restartDelays.get(id) ?? 0,
        ranForMs: Number.isFinite(ranFor) ? ranFor : 0,
      });
      const state: ContainerState = {
        ...rec.state,
        status: decision.restart ? 'restarting' : 'exited',
        pid: 0,
        ports: [],
        exitCode: exit.code,
        oomKilled: exit.oomKilled,
        finishedAt: exit.finishedAt.toISOString(),
      };
      const { health: _health, network: _network, ...withoutHealth } = state;
      await this.save({
        ...rec,
        state:
          decision.restart && state.health
            ? { ...withoutHealth, health: state.health }
            : withoutHealth,
      });
      if (exit.oomKilled)
        this.ctx.events.publish('container', 'oom', id, {
          image: rec.config.image,
          name: rec.name,
        });
      this.ctx.events.publish('container', 'die', id, {
        image: rec.config.image,
        name: rec.name,
        exitCode: String(exit.code),
      });
      this.waiters.notifyExit(id, { code: exit.code });
      if (decision.restart) {
        this.restartDelays.set(id, decision.delayMs);
        this.scheduleRestart(id, decision.delayMs);
      } else {
        this.restartDelays.delete(id);
        after.remove = rec.hostConfig.autoRemove;
      }
    });
    if (after.remove) {
      await this.hooks.autoRemove(id).catch((e: unknown) => {
        this.ctx.log.warn({ id, err: messageOf(e) }, 'auto-remove failed');
        this.waiters.notifyRemoved(id, { code, error: messageOf(e) });
      });
    }
  }

  private scheduleRestart(id: string, delayMs: number): void {
    this.cancelRestart(id);
    const timer = setTimeout(() => {
      this.restartTimers.delete(id);
      void this.ctx.locks
        .with(`container:${id}`, async () => {
          const rec = this.ctx.store.get(id);
          if (rec?.state.status !== 'restarting') return;
          await this.startLocked(rec, true);
        })
        .catch(async (e: unknown) => {
          this.ctx.log.warn({ id, err: messageOf(e) }, 'restart failed');
          const rec = this.ctx.store.get(id);
          if (rec?.state.status === 'restarting')
            await this.save({
              ...rec,
              state: { ...rec.state, status: 'exited', error: messageOf(e) },
            });
        });
    }, delayMs);
    timer.unref();
    this.restartTimers.set(id, timer);
  }

  /** Stops a pending restart; true when there was one. */
  cancelRestart(id: string): boolean {
    const t = this.restartTimers.get(id);
    if (!t) return false;
    clearTimeout(t);
    this.restartTimers.delete(id);
    return true;
  }

  async save(rec: ContainerRecord): Promise<ContainerRecord> {
    return this.ctx.store.save(rec);
  }

  private async publish(rec: ContainerRecord, network?: NetworkState): Promise<PublishedPort[]> {
    const reqs = portRequests(rec.hostConfig, rec.config.exposedPorts);
    if (reqs.length === 0 || networkModeKind(rec.hostConfig.networkMode).kind !== 'holder')
      return [];
    if (!this.ctx.ports)
      throw new UnavailableError(
        'publishing ports needs rootlesskit with a port driver (SKIFF_ROOTLESSKIT_PORT_DRIVER=builtin)',
      );
    // On a bridge, rootlesskit forwards to the container's address on its first network.
    return publishPorts(this.ctx.ports, reqs, primaryIpv4(network));
  }

  /** A bridge container's own network namespace, made before the container exists. */
  private async attachNetwork(rec: ContainerRecord): Promise<AttachingNetwork | undefined> {
    const net = this.ctx.networking;
    if (!net || networkModeKind(rec.hostConfig.networkMode).kind !== 'holder') return undefined;
    if (Object.keys(rec.endpoints).length === 0) return undefined;
    return net.attach(rec, this.ctx.store.all(), containerUserns(rec.hostConfig, this.ctx.host));
  }

  /** Undoes attachNetwork; never throws (what fails is logged by the networking module). */
  async detachNetwork(rec: ContainerRecord, network: NetworkState | undefined): Promise<void> {
    if (!network || !this.ctx.networking) return;
    await this.ctx.networking.detach(rec, network).catch((e: unknown) => {
      this.ctx.log.warn({ id: rec.id, err: messageOf(e) }, 'network detach failed');
    });
  }

  private taskIO(rec: ContainerRecord): TaskIO {
    const opts = rec.hostConfig.logConfig.config;
    const maxSize = byteSizeOrUndefined(opts['max-size']);
    const maxFiles = opts['max-file'] !== undefined ? Number(opts['max-file']) : undefined;
    return {
      tty: rec.config.tty,
      stdin: rec.config.openStdin,
      leaveStdinOpen: rec.config.openStdin && !rec.config.stdinOnce,
      log:
        rec.hostConfig.logConfig.type === 'none' || rec.logPath === ''
          ? { kind: 'none' }
          : {
              kind: 'file',
              path: rec.logPath,
              ...(maxSize !== undefined ? { maxSize } : {}),
              ...(maxFiles !== undefined ? { maxFiles } : {}),
            },
    };
  }

  private async specInput(
    rec: ContainerRecord,
    rootfs: string,
    network: NetworkState | undefined,
    held: string[],
  ): Promise<SpecInput> {
    const subpaths = await mountSubpaths(this.ctx, rec, this.bundle(rec.id), held);
    const hc = rec.hostConfig;
    const pidOf = (ref: string): number => {
      const other = this.ctx.store.find(ref);
      const t = this.tasks.get(other.id);
      if (!t || other.state.status !== 'running') throw notRunning(ref, 'namespace');
      return t.pid;
    };
    const namespaces = containerNamespaces(hc, this.ctx.host, pidOf, network?.sandboxKey);
    const shmSource = await sharedShmSource(this.ctx, rec, (id) => this.bundle(id));
    const { hostname, links } = await writeEtcFiles(this.ctx, rec, network);
    for (const m of rec.mountPoints)
      if (m.type === 'volume' && !m.noCopy && !m.populated && m.subpath === undefined)
        await populateVolume(rootfs, m.destination, m.source).catch((e: unknown) => {
          this.ctx.log.warn({ err: messageOf(e) }, 'volume copy-up failed');
        });
    const user = await this.ctx.spec.resolveUser(rootfs, rec.config.user, hc.groupAdd);
    const useInit = hc.init ?? this.ctx.defaults.init;
    const initBinary = useInit
      ? (this.ctx.defaults.initPath ??
        this.ctx.host.binaries.tini ??
        this.ctx.host.binaries.catatonit)
      : undefined;
    if (useInit && !initBinary)
      throw new InvalidArgumentError(
        '--init: no init binary found (apt-get install tini or catatonit)',
      );
    const seccomp = seccompFor(hc.securityOpt, this.ctx.spec.defaultSeccomp);
    return {
      id: rec.id,
      config: { ...rec.config, hostname, env: withLinkEnv(links.env, rec.config.env) },
      hostConfig: hc,
      rootfs,
      mounts: rec.mountPoints.map((m) =>
        m.type === 'tmpfs'
          ? {
              destination: m.destination,
              type: 'tmpfs',
              source: 'tmpfs',
              options: tmpfsOptions(rec, m.destination),
            }
          : {
              destination: m.destination,
              type: 'bind',
              source: subpaths.get(m) ?? m.source,
              options: bindOptions(m.rw, m.propagation),
            },
      ),
      etcFiles: {
        hosts: rec.hostsPath,
        hostname: rec.hostnamePath,
        resolvConf: rec.resolvConfPath,
      },
      namespaces,
      ...(shmSource ? { shmSource } : {}),
      user,
      userns: await keepIdNamespace(rec, rootfs, user, this.ctx.host, network),
      ...(initBinary ? { initBinary } : {}),
      ...(seccomp ? { seccomp } : {}),
      ...(await cdiSpecInput(hc.deviceRequests, this.ctx.defaults.cdiSpecDirs)),
      defaults: {
        noNewPrivileges: this.ctx.defaults.noNewPrivileges,
        shmSize: this.ctx.defaults.shmSize,
        ulimits: this.ctx.defaults.ulimits,
      },
      host: this.ctx.host,
    };
  }

  /** After the bundle's runtime state is gone: remove the bundle directory. */
  async removeBundle(id: string): Promise<void> {
    await unmountRootfsAndShm(this.ctx, id, this.bundle(id)).catch(() => undefined);
    await rm(this.bundle(id), { recursive: true, force: true });
  }
}

function primaryIpv4(network: NetworkState | undefined): string | undefined {
  return network?.endpoints[0]?.ipv4Address || undefined;
}

function bindOptions(rw: boolean, propagation: string): string[] {
  return ['rbind', rw ? 'rw' : 'ro', ...(propagation ? [propagation] : ['rprivate'])];
}

function tmpfsOptions(rec: ContainerRecord, destination: string): string[] {
  const spec = rec.hostConfig.mounts.find((m) => m.type === 'tmpfs' && m.target === destination);
  const opts = ['nosuid', 'nodev', 'noexec', ...(spec?.options ?? [])];
  if (spec?.readOnly) opts.push('ro');
  if (spec?.tmpfsSize) opts.push(`size=${spec.tmpfsSize}`);
  if (spec?.tmpfsMode !== undefined) opts.push(`mode=${spec.tmpfsMode.toString(8)}`);
  return [...new Set(opts)];
}
