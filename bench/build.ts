/**
 * Build benchmark: `docker build` (the classic builder, POST /build, DOCKER_BUILDKIT=0) of a
 * six-step Dockerfile whose context holds ~2,000 small files (200 dirs x 10 files of 100-2000
 * bytes), for skiff and for Rootless Docker when ../shared/reference-engines runs it here:
 *
 *   - cold build: the image removed and `docker builder prune -af` first (the base image stays
 *     pulled, so no registry time is counted);
 *   - fully cached rebuild of the unchanged context;
 *   - context upload: wall time from the start of `docker build` to the first `Step 1/` line
 *     (the CLI tars and sends the context, the daemon receives it and parses the Dockerfile),
 *     for the 2,000-file context and for a one-file context (`FROM scratch` + `COPY small /`).
 *
 * Medians of BENCH_BUILD_RUNS (5) runs, engines round-robin so the disk's good and bad moments
 * fall on each alike. Asserts nothing; compare ratios from one run.
 *
 *   sudo npx tsx bench/build.ts          (as root: engines run as their own users)
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DOCKER,
  emitFigure,
  fmt,
  median,
  ratio,
  referenceEngines,
  runAs,
  startSkiff,
  type Engine,
  BUSYBOX,
} from './bench-lib.js';

const RUNS = Number(process.env['BENCH_BUILD_RUNS'] ?? 5);
const IMAGE = BUSYBOX;
const DIRS = 200;
const FILES_PER_DIR = 10;
const TAG = 'skiff-bench-build:latest';
const SMALL_TAG = 'skiff-bench-build-small:latest';
const STEPS = 6;

interface Timed {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** Milliseconds until stdout first showed `Step 1/`, or undefined if it never did. */
  readonly firstStepMs: number | undefined;
}

/** Like runAs, but also notes when the first `Step 1/` line arrives on stdout. */
function timedAs(
  user: string,
  env: Record<string, string>,
  argv: readonly string[],
): Promise<Timed> {
  const envArgs = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  const start = process.hrtime.bigint();
  const since = (): number => Number(process.hrtime.bigint() - start) / 1e6;
  return new Promise((resolve) => {
    const child = spawn('runuser', ['-u', user, '--', 'env', '-i', ...envArgs, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let firstStepMs: number | undefined;
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
      if (firstStepMs === undefined && stdout.includes('Step 1/')) firstStepMs = since();
    });
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => {
      resolve({ code, stdout, stderr, ms: since(), firstStepMs });
    });
  });
}

/** Deterministic sizes in [100, 2000] (a linear congruential generator; no Math.random). */
function sizes(): () => number {
  let x = 12345;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return 100 + (x % 1901);
  };
}

/** Writes the two build contexts into a directory every engine user can read. */
function makeContexts(): { dir: string; big: string; small: string; bytes: number } {
  const dir = mkdtempSync('/tmp/skiff-bench-build-');
  const big = join(dir, 'big');
  const small = join(dir, 'small');
  let bytes = 0;
  const nextSize = sizes();
  for (let i = 0; i < DIRS; i++) {
    const sub = join(big, 'app', `d${String(i).padStart(3, '0')}`);
    mkdirSync(sub, { recursive: true });
    for (let j = 0; j < FILES_PER_DIR; j++) {
      const n = nextSize();
      bytes += n;
      writeFileSync(join(sub, `f${String(j)}.txt`), `${String(i)}/${String(j)} `.padEnd(n, 'x'));
    }
  }
  writeFileSync(join(big, 'one.txt'), 'one file\n');
  writeFileSync(
    join(big, 'Dockerfile'),
    [
      `FROM ${IMAGE}`,
      'COPY app/ /app/',
      'RUN find /app | wc -l > /count',
      'ENV BENCH=build',
      'COPY one.txt /one.txt',
      'CMD ["cat", "/count"]',
      '',
    ].join('\n'),
  );
  mkdirSync(small);
  writeFileSync(join(small, 'small'), 'small\n');
  writeFileSync(join(small, 'Dockerfile'), 'FROM scratch\nCOPY small /\n');
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  chmodSync(dir, 0o755);
  return { dir, big, small, bytes };
}

interface Figures {
  cold: number[];
  cached: number[];
  uploadBig: number[];
  uploadSmall: number[];
  /** Cold builds that printed `Using cache` (the prune did not empty the cache). */
  coldHits: number;
}

function classic(e: Engine): Record<string, string> {
  return { ...e.env, DOCKER_BUILDKIT: '0' };
}

async function build(e: Engine, ctx: string, tag: string): Promise<Timed> {
  const r = await timedAs(e.user, classic(e), [DOCKER, 'build', '-t', tag, ctx]);
  if (r.code !== 0) {
    // Without its deprecation notice, which the CLI prints for every classic build.
    const err = r.stderr.replace(/^DEPRECATED:[\s\S]*?environment-variable\.\n/, '').trim();
    throw new Error(`build failed: ${err || r.stdout}`);
  }
  return r;
}

async function coldOnce(e: Engine, ctx: string, f: Figures): Promise<void> {
  await runAs(e.user, e.env, [DOCKER, 'rmi', '-f', TAG]);
  await runAs(e.user, e.env, [DOCKER, 'builder', 'prune', '-af']);
  const r = await build(e, ctx, TAG);
  const steps = (r.stdout.match(/^Step \d+\/\d+ :/gm) ?? []).length;
  if (steps !== STEPS) throw new Error(`expected ${String(STEPS)} steps:\n${r.stdout}`);
  if (r.stdout.includes('Using cache')) f.coldHits++;
  f.cold.push(r.ms);
}

async function cachedOnce(e: Engine, ctx: string, f: Figures): Promise<void> {
  const r = await build(e, ctx, TAG);
  const hits = (r.stdout.match(/---> Using cache/g) ?? []).length;
  if (hits !== STEPS - 1)
    throw new Error(`cached rebuild hit ${String(hits)} of ${String(STEPS - 1)}`);
  f.cached.push(r.ms);
  if (r.firstStepMs !== undefined) f.uploadBig.push(r.firstStepMs);
}

async function smallOnce(e: Engine, ctx: string, f: Figures): Promise<void> {
  const r = await build(e, ctx, SMALL_TAG);
  if (r.firstStepMs !== undefined) f.uploadSmall.push(r.firstStepMs);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: engines run as their own unprivileged users');
  const ctx = makeContexts();
  const skiff = await startSkiff();
  const figures = new Map<string, Figures>();
  try {
    const refs = referenceEngines().filter((e) => e.name === 'rootless-docker');
    if (refs.length === 0)
      console.log('# Rootless Docker is not running here: skiff figures only, no ratios');
    const engines: Engine[] = [];
    for (const e of [skiff.engine, ...refs]) {
      const pull = await runAs(e.user, e.env, [DOCKER, 'pull', '-q', IMAGE]);
      if (pull.code !== 0) {
        console.log(`# ${e.name}: skipped (pull failed: ${pull.stderr.trim()})`);
        continue;
      }
      engines.push(e);
      figures.set(e.name, { cold: [], cached: [], uploadBig: [], uploadSmall: [], coldHits: 0 });
    }
    for (let i = 0; i < RUNS; i++) {
      for (const e of engines) {
        const f = figures.get(e.name);
        if (!f) continue;
        try {
          await coldOnce(e, ctx.big, f);
          await cachedOnce(e, ctx.big, f);
          await smallOnce(e, ctx.small, f);
        } catch (err) {
          console.log(`# ${e.name}: ${err instanceof Error ? err.message : String(err)}`);
          figures.delete(e.name);
        }
      }
    }
    for (const e of engines) {
      await runAs(e.user, e.env, [DOCKER, 'rmi', '-f', TAG, SMALL_TAG]);
      await runAs(e.user, e.env, [DOCKER, 'builder', 'prune', '-af']);
    }
  } finally {
    await skiff.stop();
    rmSync(ctx.dir, { recursive: true, force: true });
  }
  report(figures, ctx.bytes);
}

function report(figures: Map<string, Figures>, bytes: number): void {
  const med = (xs: readonly number[]): number | undefined => (xs.length ? median(xs) : undefined);
  const show = (n: number | undefined, digits = 0): string =>
    n === undefined ? '-' : fmt(n, digits);
  console.log(
    `# docker build, classic builder; context ${String(DIRS * FILES_PER_DIR)} files, ${fmt(bytes / 1024, 0)} KiB; median of ${String(RUNS)}`,
  );
  console.log(
    'engine             cold ms  cached ms  to Step 1 (2k files) ms  to Step 1 (1 file) ms  cold with cache hits',
  );
  for (const [name, f] of figures)
    console.log(
      [
        name.padEnd(16),
        show(med(f.cold)).padStart(9),
        show(med(f.cached)).padStart(10),
        show(med(f.uploadBig)).padStart(24),
        show(med(f.uploadSmall)).padStart(22),
        `${String(f.coldHits)}/${String(f.cold.length)}`.padStart(21),
      ].join(' '),
    );
  for (const [engine, f] of figures) {
    const ctx = `${String(DIRS * FILES_PER_DIR)}-file context`;
    emitFigure({
      metric: `\`docker build\`, 6 steps, ${ctx}, cold`,
      engine,
      unit: 'ms',
      values: f.cold,
      better: 'lower',
    });
    emitFigure({
      metric: `\`docker build\`, same, fully cached`,
      engine,
      unit: 'ms',
      values: f.cached,
      better: 'lower',
    });
    emitFigure({
      metric: `\`docker build\`: ${ctx} upload to "Step 1"`,
      engine,
      unit: 'ms',
      values: f.uploadBig,
      better: 'lower',
    });
  }
  const s = figures.get('skiff');
  const dk = figures.get('rootless-docker');
  if (s && dk) {
    const r = (a: readonly number[], b: readonly number[]): string => ratio(med(a) ?? 0, med(b));
    console.log(
      `# skiff / rootless docker: cold ${r(s.cold, dk.cold)}, cached ${r(s.cached, dk.cached)}, context upload (2k files) ${r(s.uploadBig, dk.uploadBig)}, (1 file) ${r(s.uploadSmall, dk.uploadSmall)}`,
    );
  } else if (s) {
    console.log('# no Rootless Docker figures: no ratios');
  }
}

await main();
