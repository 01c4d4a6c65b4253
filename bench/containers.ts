/**
 * Container benchmark (issue 4): `docker run --rm busybox true` latency (median of 20), create+
 * start throughput for 50 containers, daemon RSS idle and with 50 running containers, monitor RSS
 * per container — for skiff, a bare `runc run` of an equivalent bundle (the floor), and the
 * reference engines of ../shared/reference-engines when they run here, in one run.
 *
 *   sudo npx tsx bench/containers.ts          (as root: engines run as their own users)
 */
import { mkdtempSync, chmodSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  DOCKER,
  emitFigure,
  fmt,
  median,
  ratio,
  referenceEngines,
  rssSample,
  runAs,
  runDetachedBurst,
  skiffCli,
  startSkiff,
  userEnv,
  USER,
  type Engine,
  BUSYBOX,
} from './bench-lib.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 20);
const MANY = Number(process.env['BENCH_MANY'] ?? 50);
const IMAGE = BUSYBOX;

interface Result {
  name: string;
  runMedianMs: number;
  runMinMs: number;
  /** Every run's time, for the one table of `npm run bench`. */
  runTimesMs: readonly number[];
  createStartPerSec?: number;
  idleRssMiB?: number;
  busyRssMiB?: number;
  monitorRssMiB?: number;
}

async function measure(e: Engine): Promise<Result> {
  const pull = await runAs(e.user, e.env, [DOCKER, 'pull', '-q', IMAGE]);
  if (pull.code !== 0) throw new Error(`${e.name}: pull failed: ${pull.stderr}`);
  for (let i = 0; i < 3; i++) await runAs(e.user, e.env, [DOCKER, 'run', '--rm', IMAGE, 'true']);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await runAs(e.user, e.env, [DOCKER, 'run', '--rm', IMAGE, 'true']);
    if (r.code !== 0) throw new Error(`${e.name}: run failed: ${r.stderr}`);
    times.push(r.ms);
  }
  // Every daemon process (bench-lib's rssSample), not only the main one: rootlesskit's pair and
  // slirp4netns are the daemon's memory too, on Rootless Docker as on skiff.
  const idle = rssSample(e).daemonMiB;
  const burst = await runDetachedBurst(e, MANY, IMAGE, 'skiff-bench=1');
  const ids = burst.ids;
  const perSec = MANY / (burst.ms / 1000);
  const sample = rssSample(e);
  const busy = sample.daemonMiB;
  const monitorRss = sample.monitors > 0 ? sample.monitorMiB / sample.monitors : undefined;
  await runAs(e.user, e.env, [DOCKER, 'rm', '-f', ...ids]);
  return {
    name: e.name,
    runMedianMs: median(times),
    runMinMs: Math.min(...times),
    runTimesMs: times,
    createStartPerSec: perSec,
    idleRssMiB: idle,
    busyRssMiB: busy,
    ...(monitorRss !== undefined ? { monitorRssMiB: monitorRss } : {}),
  };
}

type Spec = Record<string, unknown>;

/** The minimal bundle: /proc, a tmpfs /dev, fresh namespaces, no seccomp. The absolute floor. */
function minimalSpec(): Spec {
  return {
    ociVersion: '1.0.2',
    process: {
      user: { uid: 0, gid: 0 },
      args: ['/bin/true'],
      env: ['PATH=/bin'],
      cwd: '/',
      noNewPrivileges: true,
    },
    root: { path: 'rootfs' },
    hostname: 'bench',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
    ],
    linux: {
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'network' },
      ],
    },
  };
}

/**
 * The spec skiff really generates for `docker run busybox` (its mounts, masked paths, default
 * seccomp profile, capabilities), taken from a running skiff container, made standalone: the
 * process is /bin/true, namespaces are fresh, per-container files are bind-mounted from the
 * bench bundle. The equivalent bundle the issue asks to compare with.
 */
async function skiffSpec(e: Engine): Promise<Spec> {
  const run = await runAs(e.user, e.env, [DOCKER, 'run', '-d', IMAGE, 'sleep', '60']);
  const id = run.stdout.trim();
  const cfg = await runAs(e.user, e.env, [
    process.execPath,
    skiffCli,
    'nsenter',
    'sh',
    '-c',
    `cat "$XDG_RUNTIME_DIR/skiff/containers/${id}/config.json"`,
  ]);
  await runAs(e.user, e.env, [DOCKER, 'rm', '-f', id]);
  const spec = JSON.parse(cfg.stdout) as Spec & {
    process: Spec;
    linux: Spec & { namespaces?: { type: string }[] };
    mounts?: { destination: string; type?: string; source?: string; options?: string[] }[];
  };
  spec['root'] = { path: 'rootfs' };
  spec.process['args'] = ['/bin/true'];
  spec.process['terminal'] = false;
  spec.linux.namespaces = (spec.linux.namespaces ?? []).map((n) => ({ type: n.type }));
  spec.mounts = (spec.mounts ?? []).map((m) =>
    m.source?.includes(id) ? { ...m, source: `BUNDLE${m.destination.replace(/\//g, '_')}` } : m,
  );
  return spec;
}

/** `runc run` of a busybox bundle, N times, inside one rootlesskit (as the engines' runtime does). */
async function bareRunc(name: string, spec: Spec): Promise<Result> {
  const dir = mkdtempSync('/tmp/skiff-bench-runc-');
  chmodSync(dir, 0o755);
  const bundle = join(dir, 'bundle');
  mkdirSync(join(bundle, 'rootfs', 'bin'), { recursive: true });
  spawnSync('cp', ['/bin/busybox', join(bundle, 'rootfs', 'bin', 'busybox')]);
  for (const l of ['true', 'sh', 'sleep'])
    spawnSync('ln', ['-s', 'busybox', join(bundle, 'rootfs', 'bin', l)]);
  for (const d of ['proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(join(bundle, 'rootfs', d));
  // Per-container files skiff bind-mounts (hosts, resolv.conf, hostname) get stand-ins here.
  const text = JSON.stringify(spec).replace(/"BUNDLE([^"]*)"/g, (_m, file: string) => {
    writeFileSync(join(bundle, file), '');
    return JSON.stringify(join(bundle, file));
  });
  writeFileSync(join(bundle, 'config.json'), text);
  spawnSync('chown', ['-R', USER, dir]);
  const script = `cd ${bundle}; for i in $(seq 1 ${RUNS + 3}); do s=$(date +%s%N); runc --root ${dir}/state run b$i >/dev/null 2>${dir}/err || { echo FAIL; cat ${dir}/err >&2; }; e=$(date +%s%N); echo $(( (e - s) / 1000 )); done`;
  const r = await runAs(USER, userEnv(USER), ['rootlesskit', '--net=host', 'bash', '-c', script]);
  spawnSync('rm', ['-rf', dir]);
  if (r.stdout.includes('FAIL')) throw new Error(`bare runc (${name}) failed: ${r.stderr}`);
  const us = r.stdout.trim().split('\n').slice(3).map(Number);
  return {
    name,
    runMedianMs: median(us) / 1000,
    runMinMs: Math.min(...us) / 1000,
    runTimesMs: us.map((x) => x / 1000),
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: engines run as their own unprivileged users');
  const results: Result[] = [];
  results.push(await bareRunc('runc, minimal', minimalSpec()));
  const skiff = await startSkiff();
  try {
    results.push(await measure(skiff.engine));
    const spec = await skiffSpec(skiff.engine).catch((e: unknown) => {
      console.log(
        `# runc with skiff's spec: skipped (${e instanceof Error ? e.message : String(e)})`,
      );
      return undefined;
    });
    if (spec) results.push(await bareRunc("runc, skiff's spec", spec));
  } finally {
    await skiff.stop();
  }
  for (const e of referenceEngines()) {
    try {
      results.push(await measure(e));
    } catch (err) {
      console.log(`# ${e.name}: skipped (${err instanceof Error ? err.message : String(err)})`);
    }
  }
  const skiffR = results.find((r) => r.name === 'skiff');
  const floor =
    results.find((r) => r.name === "runc, skiff's spec") ??
    results.find((r) => r.name === 'runc, minimal');
  console.log(
    `# docker run --rm busybox true: median of ${RUNS}; ${MANY} containers for throughput and RSS`,
  );
  console.log(
    'engine                run median ms  run min ms  create+start/s  daemon RSS idle MiB  with 50 MiB  monitor MiB/ctr  skiff run ratio',
  );
  for (const r of results) {
    console.log(
      [
        r.name.padEnd(20),
        fmt(r.runMedianMs).padStart(14),
        fmt(r.runMinMs).padStart(11),
        (r.createStartPerSec !== undefined ? fmt(r.createStartPerSec) : '-').padStart(15),
        (r.idleRssMiB !== undefined ? fmt(r.idleRssMiB) : '-').padStart(20),
        (r.busyRssMiB !== undefined ? fmt(r.busyRssMiB) : '-').padStart(12),
        (r.monitorRssMiB !== undefined ? fmt(r.monitorRssMiB, 2) : '-').padStart(16),
        ratio(skiffR?.runMedianMs ?? 0, r.runMedianMs).padStart(16),
      ].join(' '),
    );
  }
  if (skiffR && floor)
    console.log(
      `# skiff run latency above the bare runtime (${floor.name}): ${fmt(skiffR.runMedianMs - floor.runMedianMs)} ms (aim: < 60 ms)`,
    );
  for (const r of results) {
    const engine = r === floor ? 'floor' : r.name;
    if (r.name.startsWith('runc') && r !== floor) continue;
    emitFigure({
      metric: `\`docker run --rm busybox true\`, default network (floor: bare \`runc run\`)`,
      engine,
      unit: 'ms',
      values: r.runTimesMs,
      better: 'lower',
      aim: '≤ today',
    });
    if (r.createStartPerSec !== undefined)
      emitFigure({
        metric: `create+start throughput, ${String(MANY)} × \`run -d\``,
        engine,
        unit: '/s',
        values: [r.createStartPerSec],
        better: 'higher',
      });
  }
  const docker = results.find((r) => r.name === 'rootless-docker');
  if (skiffR && docker)
    console.log(
      `# skiff / rootless docker run latency: ${ratio(skiffR.runMedianMs, docker.runMedianMs)} (aim: < 0.5x)`,
    );
}

await main();
