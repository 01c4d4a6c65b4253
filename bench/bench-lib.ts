/**
 * Shared pieces of the benchmarks: running commands as the users the engines belong to, timing,
 * medians, RSS from /proc, and starting skiff as the unprivileged user. Benchmarks print figures
 * and ratios; they assert nothing (these machines are noisy: compare ratios from one run).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));
export const DOCKER = '/usr/local/bin/docker';
/** The local registry every bench pulls from (../shared/reference-engines starts it). */
export const REGISTRY = process.env['BENCH_REGISTRY'] ?? '127.0.0.1:5000';
/** The busybox image make-test-images pushes there. */
export const BUSYBOX = `${REGISTRY}/busybox:latest`;
/** The unprivileged user skiff runs as in benchmarks (created by scripts/ensure-rootless-user.sh). */
export const USER = process.env['SKIFF_TEST_USER'] ?? 'skiffci';

export interface Engine {
  readonly name: string;
  readonly user: string;
  readonly env: Record<string, string>;
  /**
   * When several daemons of one engine run as the same user (skiff with different flags): the
   * pid their process tree starts from, and a path only their conmons' argv contains.
   */
  readonly tree?: { readonly root: number; readonly dir: string };
}

export function userEnv(user: string, extra: Record<string, string> = {}): Record<string, string> {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim();
  const home =
    spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':')[5] ??
    `/home/${user}`;
  return {
    HOME: home,
    USER: user,
    XDG_RUNTIME_DIR: `/run/user/${uid}`,
    PATH: '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin',
    DOCKER_HOST: `unix:///run/user/${uid}/docker.sock`,
    ...extra,
  };
}

export function userExists(user: string): boolean {
  return spawnSync('id', [user]).status === 0;
}

/** Runs argv as `user` with env; resolves with exit code, output and wall time in ms. */
export function runAs(
  user: string,
  env: Record<string, string>,
  argv: readonly string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const start = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn('runuser', ['-u', user, '--', 'env', '-i', ...envArgs, ...argv], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => {
      resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - start) / 1e6 });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

export function rssKiB(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export function pidsOf(user: string, pattern: RegExp): number[] {
  const r = spawnSync('ps', ['-u', user, '-o', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => pattern.test(l))
    .map((l) => Number(l.split(/\s+/)[0]));
}

export function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export function ratio(a: number, b: number | undefined): string {
  return b === undefined || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`;
}

/** The reference engines of ../shared/reference-engines, when they run on this machine. */
export function referenceEngines(): Engine[] {
  const out: Engine[] = [];
  if (
    userExists('anchor') &&
    existsSync(
      `/run/user/${spawnSync('id', ['-u', 'anchor'], { encoding: 'utf8' }).stdout.trim()}/docker.sock`,
    )
  )
    out.push({ name: 'rootless-docker', user: 'anchor', env: userEnv('anchor') });
  if (userExists('anchorpod')) {
    const uid = spawnSync('id', ['-u', 'anchorpod'], { encoding: 'utf8' }).stdout.trim();
    if (existsSync(`/run/user/${uid}/podman/podman.sock`))
      out.push({
        name: 'podman-service',
        user: 'anchorpod',
        env: userEnv('anchorpod', { DOCKER_HOST: `unix:///run/user/${uid}/podman/podman.sock` }),
      });
  }
  return out;
}

export const skiffCli = join(repoRoot, 'dist', 'cli', 'main.js');

/**
 * Starts `skiff daemon` as the test user with its own runtime dir and data root under /tmp.
 * nodeFlags go to Node for the CLI and, through it, to skiffd (cli/daemon-command.ts), env to
 * the daemon's environment; name tells several such daemons apart in a bench's output.
 */
export async function startSkiff(
  opts: {
    readonly nodeFlags?: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
    readonly name?: string;
    /** Another build's dist/cli/main.js, to compare builds side by side. */
    readonly cli?: string;
  } = {},
): Promise<{
  engine: Engine;
  stop: () => Promise<void>;
  daemonPids: () => number[];
}> {
  spawnSync('bash', [join(process.cwd(), 'scripts/ensure-rootless-user.sh')], { stdio: 'ignore' });
  // In the user's home, where the reference engines keep their data too: on these machines the
  // same disk is several times slower to create files in under /tmp.
  const dir = mkdtempSync(join(userEnv(USER)['HOME'] ?? '/tmp', 'skiff-bench-'));
  chmodSync(dir, 0o755);
  spawnSync('chown', [USER, dir]);
  const env = userEnv(USER, {
    HOME: join(dir, 'home'),
    XDG_RUNTIME_DIR: join(dir, 'run'),
    DOCKER_HOST: `unix://${join(dir, 'run', 'docker.sock')}`,
  });
  const daemonEnv = { ...env, ...opts.env };
  await runAs(USER, env, ['mkdir', '-p', env['HOME'] ?? '', env['XDG_RUNTIME_DIR'] ?? '']);
  await runAs(USER, env, ['chmod', '700', env['XDG_RUNTIME_DIR'] ?? '']);
  const envArgs = Object.entries(daemonEnv).map(([k, v]) => `${k}=${v}`);
  const daemon = spawn(
    'runuser',
    [
      '-u',
      USER,
      '--',
      'env',
      '-i',
      ...envArgs,
      process.execPath,
      ...(opts.nodeFlags ?? []),
      opts.cli ?? skiffCli,
      'daemon',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  daemon.stderr.on('data', (b: Buffer) => (log += b.toString()));
  for (let i = 0; i < 300; i++) {
    if ((await runAs(USER, env, [DOCKER, 'version'])).code === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if ((await runAs(USER, env, [DOCKER, 'version'])).code !== 0)
    throw new Error(`skiff did not start:\n${log}`);
  const pidFile = join(env['XDG_RUNTIME_DIR'] ?? '', 'skiff', 'skiffd.pid');
  return {
    engine: {
      name: opts.name ?? 'skiff',
      user: USER,
      env,
      ...(daemon.pid !== undefined ? { tree: { root: daemon.pid, dir } } : {}),
    },
    daemonPids: () => [Number(readFileSync(pidFile, 'utf8').trim())],
    stop: async () => {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon.on('exit', r));
      spawnSync('runuser', ['-u', USER, '--', 'rootlesskit', '--net=host', 'rm', '-rf', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Engine names of the one table `npm run bench` prints, in its column order. */
export const TABLE_ENGINES = ['skiff', 'rootless-docker', 'podman-service', 'floor'] as const;

/** One figure of one engine: what `npm run bench` gathers from every bench into one table. */
export interface Figure {
  /** The row, e.g. "`docker exec <c> true`". Same text from every engine. */
  readonly metric: string;
  /** skiff, rootless-docker, podman-service, or floor (bare runc, a bare Node server...). */
  readonly engine: string;
  readonly unit: string;
  /** Every run's value (median, min and max are printed), or the single measurement. */
  readonly values: readonly number[];
  /** Whether lower numbers are better (times, memory) or higher (throughput). */
  readonly better: 'lower' | 'higher';
  /** The aim for skiff, as text ("≤ 35 ms"). */
  readonly aim?: string;
}

/**
 * Prints a figure as a `#figure {json}` line: scripts/run-bench.mjs collects these from every
 * bench and prints them as one table (and writes it into the README with --readme).
 */
export function emitFigure(f: Figure): void {
  if (f.values.length === 0) return;
  console.log(`#figure ${JSON.stringify(f)}`);
}

/**
 * `n` sequential `docker run -d <image> sleep 1000` (default bridge network), each labelled so
 * that a bench can clean up; resolves with the wall time of the whole burst and the ids.
 */
export async function runDetachedBurst(
  e: Engine,
  n: number,
  image: string,
  label: string,
): Promise<{ ms: number; ids: string[] }> {
  const ids: string[] = [];
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = await runAs(e.user, e.env, [
      DOCKER,
      'run',
      '-d',
      '--label',
      label,
      image,
      'sleep',
      '1000',
    ]);
    if (r.code !== 0) throw new Error(`${e.name}: run -d failed: ${r.stderr}`);
    ids.push(r.stdout.trim());
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, ids };
}

/** One process of an engine's user, as `ps` sees it. */
export interface Proc {
  readonly pid: number;
  readonly ppid: number;
  readonly rssKiB: number;
  readonly args: string;
}

export function processesOf(user: string): Proc[] {
  const r = spawnSync('ps', ['-u', user, '-o', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      rssKiB: Number(m[3]),
      args: m[4] ?? '',
    }));
}

/** The processes of engine.tree (all of the user's when the engine has none). */
function processesOfEngine(engine: Engine): Proc[] {
  const all = processesOf(engine.user);
  const tree = engine.tree;
  if (!tree) return all;
  const mine = new Set([tree.root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of all)
      if (!mine.has(p.pid) && mine.has(p.ppid)) {
        mine.add(p.pid);
        grew = true;
      }
  }
  return all.filter((p) => mine.has(p.pid) || p.args.includes(tree.dir));
}

/**
 * What a process is to its engine: one of the daemon's own processes (by a short label), a
 * per-container monitor, or neither (the containers' own processes, helpers, the registry bridge).
 */
export type Role =
  { readonly kind: 'daemon'; readonly label: string } | { readonly kind: 'monitor' };

const roles: Record<string, readonly (readonly [RegExp, Role])[]> = {
  skiff: [
    [/skiff-supervise/, { kind: 'daemon', label: 'skiff-supervise' }],
    [/^\S*rootlesskit /, { kind: 'daemon', label: 'rootlesskit parent' }],
    [/^\/proc\/self\/exe .*--net=/, { kind: 'daemon', label: 'rootlesskit child' }],
    [/^\S*slirp4netns /, { kind: 'daemon', label: 'slirp4netns' }],
    [/catatonit -P|^\S*sleep infinity$/, { kind: 'daemon', label: 'holder' }],
    [/skiffd\/(main\.js|main\.bundle\.mjs|start-bundle\.js)/, { kind: 'daemon', label: 'skiffd' }],
    [/^\S*aardvark-dns /, { kind: 'daemon', label: 'aardvark-dns' }],
    [/^\S*conmon /, { kind: 'monitor' }],
  ],
  'rootless-docker': [
    [/^\S*rootlesskit /, { kind: 'daemon', label: 'rootlesskit parent' }],
    [/^\/proc\/self\/exe .*--net=/, { kind: 'daemon', label: 'rootlesskit child' }],
    [/^\S*slirp4netns /, { kind: 'daemon', label: 'slirp4netns' }],
    [/^dockerd /, { kind: 'daemon', label: 'dockerd' }],
    [/^containerd /, { kind: 'daemon', label: 'containerd' }],
    [/containerd-shim/, { kind: 'monitor' }],
  ],
  'podman-service': [
    [/podman system service/, { kind: 'daemon', label: 'podman service' }],
    [/^catatonit -P/, { kind: 'daemon', label: 'pause' }],
    [/^\S*aardvark-dns /, { kind: 'daemon', label: 'aardvark-dns' }],
    [/^\S*conmon /, { kind: 'monitor' }],
  ],
};

export function roleOf(engine: string, args: string): Role | undefined {
  return roles[engine]?.find(([re]) => re.test(args))?.[1];
}

/** RSS of an engine's processes: each daemon process by label, the daemon's sum, the monitors. */
export interface RssSample {
  readonly daemon: ReadonlyMap<string, number>;
  readonly daemonMiB: number;
  readonly monitors: number;
  readonly monitorMiB: number;
}

export function rssSample(engine: Engine): RssSample {
  const daemon = new Map<string, number>();
  let daemonKiB = 0;
  let monitors = 0;
  let monitorKiB = 0;
  for (const p of processesOfEngine(engine)) {
    const role = roleOf(engine.tree ? 'skiff' : engine.name, p.args);
    if (role?.kind === 'daemon') {
      daemon.set(role.label, (daemon.get(role.label) ?? 0) + p.rssKiB / 1024);
      daemonKiB += p.rssKiB;
    } else if (role?.kind === 'monitor') {
      monitors++;
      monitorKiB += p.rssKiB;
    }
  }
  return { daemon, daemonMiB: daemonKiB / 1024, monitors, monitorMiB: monitorKiB / 1024 };
}
