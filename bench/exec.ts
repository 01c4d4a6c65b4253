/**
 * Exec and burst benchmark (issue 12), for skiff and the reference engines of
 * ../shared/reference-engines that run on this machine, engines interleaved round by round:
 *   1. `docker exec <c> true` into a running busybox container (median, min, max of BENCH_RUNS);
 *   2. its floors, measured in the same rounds: the docker CLI's own cost (`docker version`: one
 *      CLI process, a ping and one request) for each engine, and a bare `<runtime> exec <c> true`
 *      into skiff's container, run as skiff's user inside its namespaces (`skiff nsenter`) with
 *      skiff's runtime root, timed inside that shell (so nsenter's own start is not counted);
 *   3. 20 sequential `docker run -d busybox sleep 1000` on the default bridge (total seconds per
 *      burst, median of BENCH_BURST_ROUNDS bursts; the containers are removed between bursts,
 *      untimed).
 * Prints figures and ratios (skiff / engine), asserts nothing: compare ratios from one run.
 * BENCH_BASELINE=<a built checkout> adds skiff from that checkout as `skiff-baseline`, interleaved
 * with the others, for before/after figures from one run.
 *
 *   sudo npx tsx bench/exec.ts          (as root: engines run as their own users)
 */
import { join } from 'node:path';
import {
  DOCKER,
  emitFigure,
  fmt,
  median,
  ratio,
  referenceEngines,
  runAs,
  runDetachedBurst,
  skiffCli,
  startSkiff,
  type Engine,
  BUSYBOX,
} from './bench-lib.js';

const IMAGE = BUSYBOX;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 15);
const BURST = Number(process.env['BENCH_BURST'] ?? 20);
const BURST_ROUNDS = Number(process.env['BENCH_BURST_ROUNDS'] ?? 10);
const LABEL = 'skiff-bench-exec=1';

interface Series {
  readonly label: string;
  readonly ms: number[];
}

function series(label: string): Series {
  return { label, ms: [] };
}

async function must(e: Engine, argv: readonly string[]): Promise<{ stdout: string; ms: number }> {
  const r = await runAs(e.user, e.env, argv);
  if (r.code !== 0) throw new Error(`${e.name}: ${argv.slice(1).join(' ')} failed: ${r.stderr}`);
  return r;
}

/** A bare `<runtime> exec <id> true` in skiff's namespaces; the shell times the runtime alone. */
async function bareExecMs(skiff: Engine, runtime: string, id: string): Promise<number> {
  const root = `"$XDG_RUNTIME_DIR/skiff/runtime/${runtime}"`;
  const script = `s=$EPOCHREALTIME; ${runtime} --root ${root} exec ${id} true || echo FAIL; e=$EPOCHREALTIME; echo "$s $e"`;
  const r = await runAs(skiff.user, skiff.env, [
    process.execPath,
    skiffCli,
    'nsenter',
    'bash',
    '-c',
    script,
  ]);
  if (r.code !== 0 || r.stdout.includes('FAIL'))
    throw new Error(`bare ${runtime} exec failed: ${r.stdout}${r.stderr}`);
  const [s, e] = r.stdout.trim().split(/\s+/).map(Number);
  return ((e ?? 0) - (s ?? 0)) * 1000;
}

function row(label: string, ms: readonly number[], ref: number | undefined): string {
  return [
    label.padEnd(40),
    fmt(median(ms)).padStart(9),
    fmt(Math.min(...ms)).padStart(8),
    fmt(Math.max(...ms)).padStart(8),
    (ref === undefined ? '-' : ratio(ref, median(ms))).padStart(12),
  ].join(' ');
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: engines run as their own unprivileged users');
  const skiff = await startSkiff();
  const baselineDir = process.env['BENCH_BASELINE'];
  const baseline = baselineDir
    ? await startSkiff({ cli: join(baselineDir, 'dist', 'cli', 'main.js'), name: 'skiff-baseline' })
    : undefined;
  const engines: Engine[] = [skiff.engine];
  const containers = new Map<string, string>();
  try {
    if (baseline) engines.push(baseline.engine);
    for (const e of referenceEngines()) engines.push(e);
    const usable: Engine[] = [];
    for (const e of engines) {
      try {
        await must(e, [DOCKER, 'pull', '-q', IMAGE]);
        const id = (await must(e, [DOCKER, 'run', '-d', IMAGE, 'sleep', '100000'])).stdout.trim();
        containers.set(e.name, id);
        for (let i = 0; i < 3; i++) await must(e, [DOCKER, 'exec', id, 'true']);
        usable.push(e);
      } catch (err) {
        if (e === skiff.engine) throw err;
        console.log(`# ${e.name}: skipped (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    const runtime = (
      await must(skiff.engine, [DOCKER, 'info', '--format', '{{.DefaultRuntime}}'])
    ).stdout.trim();
    const skiffId = containers.get('skiff') ?? '';
    for (let i = 0; i < 3; i++) await bareExecMs(skiff.engine, runtime, skiffId);

    const exec = new Map(usable.map((e) => [e.name, series(`${e.name}: docker exec <c> true`)]));
    const cli = new Map(usable.map((e) => [e.name, series(`${e.name}: docker version (CLI)`)]));
    const bare = series(`floor: bare ${runtime} exec (skiff's ns)`);
    for (let round = 0; round < RUNS; round++) {
      for (const e of usable) {
        const id = containers.get(e.name) ?? '';
        exec.get(e.name)?.ms.push((await must(e, [DOCKER, 'exec', id, 'true'])).ms);
        cli.get(e.name)?.ms.push((await must(e, [DOCKER, 'version'])).ms);
        if (e === skiff.engine) bare.ms.push(await bareExecMs(e, runtime, id));
      }
    }

    const skiffExec = median(exec.get('skiff')?.ms ?? []);
    console.log(`# medians of ${RUNS} rounds, engines interleaved; ratio = skiff / row`);
    console.log(`${'ms'.padEnd(40)}    median      min      max  skiff ratio`);
    for (const e of usable) {
      const s = exec.get(e.name);
      if (s) console.log(row(s.label, s.ms, skiffExec));
    }
    console.log(row(bare.label, bare.ms, skiffExec));
    for (const e of usable) {
      const s = cli.get(e.name);
      if (s) console.log(row(s.label, s.ms, undefined));
    }
    for (const e of usable) {
      const m = '`docker exec <c> true`';
      emitFigure({
        metric: m,
        engine: e.name,
        unit: 'ms',
        values: exec.get(e.name)?.ms ?? [],
        better: 'lower',
        aim: '≤ 35 ms',
      });
    }
    emitFigure({
      metric: '`docker exec <c> true`',
      engine: 'floor',
      unit: 'ms',
      values: bare.ms,
      better: 'lower',
    });
    const skiffCliMs = median(cli.get('skiff')?.ms ?? []);
    console.log(
      `# skiff exec above the bare runtime: ${fmt(skiffExec - median(bare.ms))} ms; above the CLI's own cost: ${fmt(skiffExec - skiffCliMs)} ms; aim <= 35 ms`,
    );

    const burst = new Map(usable.map((e) => [e.name, series(`${e.name}: ${BURST} x run -d`)]));
    for (let round = 0; round < BURST_ROUNDS; round++) {
      for (const e of usable) {
        const b = await runDetachedBurst(e, BURST, IMAGE, LABEL);
        burst.get(e.name)?.ms.push(b.ms);
        await runAs(e.user, e.env, [DOCKER, 'rm', '-f', ...b.ids]);
      }
    }

    const skiffBurst = median(burst.get('skiff')?.ms ?? []);
    console.log(
      `# ${BURST} sequential run -d per burst, medians of ${BURST_ROUNDS} bursts; ratio = skiff / row`,
    );
    for (const e of usable) {
      const s = burst.get(e.name);
      if (s) console.log(row(s.label, s.ms, skiffBurst));
    }
    console.log(`# skiff ${BURST} x run -d: ${fmt(skiffBurst / 1000, 2)} s; aim <= 1.2 s`);
    for (const e of usable)
      emitFigure({
        metric: `${String(BURST)} × \`docker run -d busybox sleep\`, sequential`,
        engine: e.name,
        unit: 's',
        values: (burst.get(e.name)?.ms ?? []).map((x) => x / 1000),
        better: 'lower',
        aim: '≤ 1.2 s',
      });
  } finally {
    for (const e of engines) {
      const id = containers.get(e.name);
      if (id) await runAs(e.user, e.env, [DOCKER, 'rm', '-f', id]);
      const left = await runAs(e.user, e.env, [DOCKER, 'ps', '-aq', '--filter', `label=${LABEL}`]);
      const ids = left.stdout.split('\n').filter(Boolean);
      if (ids.length > 0) await runAs(e.user, e.env, [DOCKER, 'rm', '-f', ...ids]);
    }
    await skiff.stop();
    await baseline?.stop();
  }
}

await main();
