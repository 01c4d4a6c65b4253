/**
 * HEALTHCHECK / --health-*: runs the test command in the container every interval (the start
 * interval during the start period), records the last 5 results and the status (starting →
 * healthy / unhealthy after `retries` consecutive failures), publishes `health_status` events.
 * Defaults as Docker: 30 s interval, 30 s timeout, 0 start period, 5 s start interval, 3 retries.
 */
import { messageOf } from '../../errors.js';
import type { Task } from '../../runtime/runtime.js';
import type { ContainerContext } from './container-context.js';
import type { HealthcheckConfig } from './container-config.js';
import type { ContainerRecord, HealthLogEntry, HealthState } from './container-record.js';
import type { ContainerRunner } from './container-runner.js';
import { FrameReader } from './frame-reader.js';

const NS = 1_000_000;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

export function healthTimings(h: HealthcheckConfig): {
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
} {
  return {
    interval: (h.interval || 30_000 * NS) / NS,
    timeout: (h.timeout || 30_000 * NS) / NS,
    startPeriod: h.startPeriod / NS,
    startInterval: (h.startInterval || 5_000 * NS) / NS,
    retries: h.retries || 3,
  };
}

/** The argv of a check: CMD args as is, CMD-SHELL through the container's shell. */
export function healthCommand(
  h: HealthcheckConfig,
  shell: readonly string[] | undefined,
): string[] | undefined {
  const [kind, ...rest] = h.test;
  if (kind === 'CMD') return rest;
  if (kind === 'CMD-SHELL')
    return [...(shell && shell.length > 0 ? shell : ['/bin/sh', '-c']), rest.join(' ')];
  return undefined;
}

export class HealthMonitor {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly ctx: ContainerContext,
    private readonly runner: ContainerRunner,
  ) {}

  start(rec: ContainerRecord, task: Task): void {
    const h = rec.config.healthcheck;
    if (!h) return;
    const argv = healthCommand(h, rec.config.shell);
    if (!argv) return;
    const t = healthTimings(h);
    const startedAt = Date.now();
    const schedule = (): void => {
      const inStart = Date.now() - startedAt < t.startPeriod;
      const timer = setTimeout(() => void probe(), inStart ? t.startInterval : t.interval);
      timer.unref();
      this.timers.set(rec.id, timer);
    };
    const probe = async (): Promise<void> => {
      const started = new Date();
      let exitCode: number;
      let output: string;
      try {
        ({ exitCode, output } = await this.runCheck(task, rec, argv, t.timeout));
      } catch (e) {
        exitCode = -1;
        output = messageOf(e);
      }
      if (!this.timers.has(rec.id)) return;
      await this.record(
        rec.id,
        { start: started.toISOString(), end: new Date().toISOString(), exitCode, output },
        Date.now() - startedAt < t.startPeriod,
        t.retries,
      );
      if (this.timers.has(rec.id)) schedule();
    };
    schedule();
  }

  stop(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private async runCheck(
    task: Task,
    rec: ContainerRecord,
    argv: string[],
    timeoutMs: number,
  ): Promise<{ exitCode: number; output: string }> {
    const user = await this.ctx.spec.resolveUser(
      this.runner.rootfs(rec.id),
      rec.config.user,
      rec.hostConfig.groupAdd,
    );
    const spec = this.ctx.spec.execProcess(
      {},
      {
        cmd: argv,
        env: rec.config.env,
        user,
        workingDir: rec.config.workingDir || '/',
        tty: false,
        privileged: false,
      },
    );
    const proc = await task.exec(`health-${Date.now().toString(36)}`, spec, {
      tty: false,
      stdin: false,
      detach: false,
    });
    const reader = new FrameReader(MAX_OUTPUT);
    proc.session?.output.on('data', (b: Buffer) => {
      reader.push(b);
    });
    proc.session?.input.end();
    const timeout = new Promise<'timeout'>((resolve) =>
      setTimeout(() => {
        resolve('timeout');
      }, timeoutMs).unref(),
    );
    const result = await Promise.race([proc.wait(), timeout]);
    if (result === 'timeout') {
      await proc.kill('SIGKILL').catch(() => undefined);
      return { exitCode: -1, output: `Health check exceeded timeout (${timeoutMs / 1000}s)` };
    }
    return { exitCode: result.code, output: reader.text() };
  }

  private async record(
    id: string,
    entry: HealthLogEntry,
    inStartPeriod: boolean,
    retries: number,
  ): Promise<void> {
    let changed: string | undefined;
    await this.ctx.locks.with(`container:${id}`, async () => {
      const rec = this.ctx.store.get(id);
      if (rec?.state.status !== 'running') return;
      const prev: HealthState = rec.state.health ?? {
        status: 'starting',
        failingStreak: 0,
        log: [],
      };
      const log = [...prev.log, entry].slice(-MAX_LOG);
      let next: HealthState;
      if (entry.exitCode === 0) next = { status: 'healthy', failingStreak: 0, log };
      else if (inStartPeriod && prev.status === 'starting') next = { ...prev, log };
      else {
        const streak = prev.failingStreak + 1;
        next = {
          status: streak >= retries ? 'unhealthy' : prev.status,
          failingStreak: streak,
          log,
        };
      }
      if (next.status !== prev.status) changed = next.status;
      await this.runner.save({ ...rec, state: { ...rec.state, health: next } });
      if (changed)
        this.ctx.events.publish('container', `health_status: ${changed}`, id, {
          image: rec.config.image,
          name: rec.name,
        });
    });
  }
}
