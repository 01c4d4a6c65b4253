/**
 * Daemon start benchmark (issue 12): the time from starting a daemon to its first answer to
 * `GET /info`, for `skiff daemon` and the reference engines of ../shared/reference-engines that
 * run on this machine (Rootless Docker through Debian's dockerd-rootless.sh, Podman's `podman
 * system service`), started interleaved, each as its own user, each with its own socket so the
 * running reference daemons are left alone. Each engine is started once before the measured
 * rounds (its first start fills caches and data directories) and that time is printed apart.
 *
 * skiff is also started with `--debug`, whose `start phases` log lines (src/start-marks.ts)
 * give the per-phase table: the marks of `skiff daemon` and of skiffd on one time line from
 * the moment the bench spawned the command.
 *
 *   sudo SKIFF_TEST_USER=someuser npx tsx bench/daemon-start.ts
 *
 * BENCH_RUNS (10): measured starts per engine. BENCH_BASELINE: other builds' dist/cli/main.js,
 * a comma list of paths or LABEL=path, started interleaved as "skiff (LABEL)" ("baseline"
 * without a label; a LABEL ending in --debug starts it with --debug, for its phases). BENCH_ENGINES: a comma list of engine names to run (default: all). Prints
 * figures and ratios, asserts nothing.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import {
  emitFigure,
  fmt,
  median,
  ratio,
  referenceEngines,
  skiffCli,
  userEnv,
  USER,
} from './bench-lib.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 10);
const BASELINE = process.env['BENCH_BASELINE'];
const ONLY = process.env['BENCH_ENGINES']?.split(',');
const POLL_MS = 5;
const DOCKERD_ROOTLESS = '/usr/share/docker.io/contrib/dockerd-rootless.sh';

interface Started {
  readonly child: ChildProcess;
  /** ms since the epoch when the command was spawned. */
  readonly t0: number;
  readonly stderr: () => string;
  /** Exited and its stderr read to the end ('close': 'exit' can come before the last data). */
  readonly closed: Promise<void>;
}

interface Starter {
  readonly name: string;
  readonly socket: string;
  /** Whether `start phases` lines are expected on stderr. */
  readonly phases: boolean;
  start(): Started;
  stop(s: Started): Promise<void>;
  cleanup(): void;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A directory owned by `user` in its home (the reference engines keep their data there too). */
function userDir(user: string, prefix: string): string {
  const home = userEnv(user)['HOME'] ?? '/tmp';
  const dir = mkdtempSync(join(home, prefix));
  chmodSync(dir, 0o700);
  spawnSync('chown', [user, dir]);
  return dir;
}

function spawnAs(user: string, env: Record<string, string>, argv: readonly string[]): Started {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const t0 = now();
  // Own process group, so that a stop can reach every process the command left in it.
  const child = spawn('runuser', ['-u', user, '--', 'env', '-i', ...envArgs, ...argv], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stderr?.on('data', (b: Buffer) => {
    log += b.toString();
  });
  const closed = new Promise<void>((resolve) => {
    child.once('close', () => {
      resolve();
    });
  });
  return { child, t0, stderr: () => log, closed };
}

async function stopWith(s: Started, group: boolean, timeoutMs = 20_000): Promise<void> {
  const pid = s.child.pid ?? 0;
  const kill = (sig: NodeJS.Signals): void => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      // gone already
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => {
    kill('SIGKILL');
  }, timeoutMs);
  await s.closed;
  clearTimeout(timer);
  await sleep(300); // what the daemon left to end on its own (rootlesskit, slirp4netns)
}

function skiffStarter(name: string, cli: string, extraArgs: readonly string[]): Starter {
  const dir = userDir(USER, 'skiff-start-');
  const env = userEnv(USER, {
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
  });
  for (const d of [env['HOME'] ?? '', env['XDG_RUNTIME_DIR'] ?? '']) {
    mkdirSync(d, { mode: 0o700 });
    spawnSync('chown', [USER, d]);
  }
  return {
    name,
    socket: join(dir, 'run', 'docker.sock'),
    phases: extraArgs.includes('--debug'),
    start: () => spawnAs(USER, env, [process.execPath, cli, 'daemon', ...extraArgs]),
    stop: (s) => stopWith(s, false),
    cleanup: () => {
      spawnSync('runuser', ['-u', USER, '--', 'rootlesskit', '--net=host', 'rm', '-rf', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function dockerStarter(user: string): Starter {
  const dir = userDir(user, 'docker-start-');
  const home = userEnv(user)['HOME'] ?? '';
  const env = userEnv(user, {
    XDG_RUNTIME_DIR: join(dir, 'run'),
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin',
    DOCKERD_ROOTLESS_ROOTLESSKIT_NET: 'slirp4netns',
    DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER: 'builtin',
    DOCKERD_ROOTLESS_ROOTLESSKIT_MTU: '65520',
  });
  mkdirSync(join(dir, 'run'), { mode: 0o700 });
  spawnSync('chown', [user, join(dir, 'run')]);
  return {
    name: 'rootless-docker',
    socket: join(dir, 'run', 'docker.sock'),
    phases: false,
    start: () =>
      spawnAs(user, env, [
        DOCKERD_ROOTLESS,
        `--config-file=${join(home, '.config', 'docker', 'daemon.json')}`,
        `--data-root=${join(dir, 'data')}`,
      ]),
    stop: (s) => stopWith(s, false),
    cleanup: () => {
      spawnSync('runuser', ['-u', user, '--', 'rootlesskit', '--net=host', 'rm', '-rf', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function podmanStarter(user: string, env: Record<string, string>): Starter {
  const dir = userDir(user, 'podman-start-');
  const socket = join(dir, 'podman.sock');
  return {
    name: 'podman-service',
    socket,
    phases: false,
    start: () =>
      spawnAs(user, env, ['podman', 'system', 'service', '--time=0', `unix://${socket}`]),
    // The outer podman does not pass SIGTERM on to the one it re-executed: signal the group.
    stop: (s) => stopWith(s, true),
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function infoAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/v1.41/info', timeout: 5_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode === 200);
      });
    });
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

interface Run {
  readonly ms: number;
  readonly marks?: [string, number][];
}

async function startOnce(s: Starter): Promise<Run> {
  const started = s.start();
  const deadline = started.t0 + 60_000;
  let answered: number | undefined;
  while (now() < deadline) {
    if (await infoAnswers(s.socket)) {
      answered = now();
      break;
    }
    if (started.child.exitCode !== null) break;
    await sleep(POLL_MS);
  }
  await s.stop(started);
  if (answered === undefined)
    throw new Error(`${s.name} did not answer /info:\n${started.stderr().slice(-3000)}`);
  const ms = answered - started.t0;
  if (!s.phases) return { ms };
  const marks = phaseMarks(started.stderr(), started.t0);
  if (!marks.some(([label]) => label.startsWith('skiffd:')))
    console.error(`${s.name}: no phases from skiffd in this start:\n${started.stderr()}`);
  marks.push(['/info answered', ms]);
  return { ms, marks: marks.sort((a, b) => a[1] - b[1]) };
}

/** The `start phases` lines of `skiff daemon` (cli:) and skiffd (skiffd:) on one time line. */
function phaseMarks(stderr: string, t0: number): [string, number][] {
  const out: [string, number][] = [];
  for (const line of stderr.split('\n')) {
    if (!line.includes('"start phases"')) continue;
    let parsed: { processStart?: number; phases?: Record<string, number> };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      continue;
    }
    const { processStart, phases } = parsed;
    if (processStart === undefined || phases === undefined) continue;
    const who = 'cli-loaded' in phases ? 'cli' : 'skiffd';
    out.push([`${who}: process started`, processStart - t0]);
    for (const [name, at] of Object.entries(phases))
      out.push([`${who}: ${name}`, processStart + at - t0]);
  }
  return out;
}

function stats(xs: readonly number[]): string {
  if (xs.length === 0) return 'n/a';
  return `${fmt(median(xs), 0)} (${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)})`;
}

function printPhases(name: string, runs: readonly Run[]): void {
  const withMarks = runs.filter((r) => r.marks !== undefined && r.marks.length > 1);
  if (withMarks.length === 0) return;
  const durations = new Map<string, number[]>();
  const ends = new Map<string, number[]>();
  for (const r of withMarks) {
    let prev = 0;
    for (const [label, at] of r.marks ?? []) {
      const d = durations.get(label) ?? [];
      d.push(at - prev);
      durations.set(label, d);
      const e = ends.get(label) ?? [];
      e.push(at);
      ends.set(label, e);
      prev = at;
    }
  }
  const rows = [...ends.entries()].sort((a, b) => median(a[1]) - median(b[1]));
  console.log(`\n${name}: phases of a start (${withMarks.length} starts), ms`);
  console.log('| phase (ends when) | took, median (min–max) | ends at, median |');
  console.log('| --- | --- | --- |');
  for (const [label, e] of rows)
    console.log(`| ${label} | ${stats(durations.get(label) ?? [])} | ${fmt(median(e), 0)} |`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: each engine runs as its own user');
  spawnSync('bash', [join(process.cwd(), 'scripts/ensure-rootless-user.sh')], { stdio: 'ignore' });
  const starters: Starter[] = [
    skiffStarter('skiff', skiffCli, []),
    skiffStarter('skiff --debug', skiffCli, ['--debug']),
  ];
  for (const b of BASELINE?.split(',') ?? []) {
    const [label, path] = b.includes('=') ? b.split('=', 2) : ['baseline', b];
    const debug = label?.endsWith('--debug') === true;
    starters.push(skiffStarter(`skiff (${label ?? ''})`, path ?? '', debug ? ['--debug'] : []));
  }
  for (const e of referenceEngines()) {
    if (e.name === 'rootless-docker') starters.push(dockerStarter(e.user));
    if (e.name === 'podman-service') starters.push(podmanStarter(e.user, e.env));
  }
  const chosen = starters.filter((s) => !ONLY || ONLY.includes(s.name));
  const load0 = loadavg();
  const first = new Map<string, number>();
  const runs = new Map<string, Run[]>(chosen.map((s) => [s.name, []]));
  try {
    for (const s of chosen) first.set(s.name, (await startOnce(s)).ms);
    for (let i = 0; i < RUNS; i++)
      for (const s of chosen) runs.get(s.name)?.push(await startOnce(s));
  } finally {
    for (const s of starters) s.cleanup();
  }
  const load1 = loadavg();
  const skiffMedian = median((runs.get('skiff') ?? []).map((r) => r.ms));
  console.log(
    `daemon start → first GET /info answered, ${RUNS} starts each, interleaved; load ${load0.map((l) => fmt(l, 2)).join(' ')} → ${load1.map((l) => fmt(l, 2)).join(' ')}`,
  );
  console.log('| engine | median (min–max) ms | first start ms | skiff / engine |');
  console.log('| --- | --- | --- | --- |');
  for (const s of chosen) {
    const xs = (runs.get(s.name) ?? []).map((r) => r.ms);
    console.log(
      `| ${s.name} | ${stats(xs)} | ${fmt(first.get(s.name) ?? 0, 0)} | ${ratio(skiffMedian, median(xs))} |`,
    );
  }
  for (const s of chosen)
    emitFigure({
      metric: 'daemon start → first `GET /info` answered',
      engine: s.name,
      unit: 'ms',
      values: (runs.get(s.name) ?? []).map((r) => r.ms),
      better: 'lower',
      aim: '≤ 300 ms',
    });
  for (const s of chosen) if (s.phases) printPhases(s.name, runs.get(s.name) ?? []);
}

await main();
