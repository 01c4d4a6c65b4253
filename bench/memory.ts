/**
 * Memory benchmark (issue 12): the summed `ps` RSS of every daemon process of each engine
 * (skiff: skiff-supervise, rootlesskit's pair, slirp4netns, the holder, skiffd; Rootless Docker:
 * rootlesskit's pair, slirp4netns, dockerd, containerd; Podman: the service and its pause
 * process) — idle, after 5 cold pulls of the 116 MB 4-layer bench image (bench/split-image.ts),
 * with 10 `busybox sleep` containers running, and 30 s after they are removed. Per-container
 * monitors (conmon, containerd-shim) are counted apart. Pull time and `docker run --rm busybox
 * true` latency are printed beside, so that a Node flag's RSS gain can be weighed against them.
 *
 *   sudo npx tsx bench/memory.ts
 *
 * BENCH_SKIFF_VARIANTS="default=;small=--max-old-space-size=32 MALLOC_ARENA_MAX=2" runs several
 * skiff daemons side by side, each with its own Node flags (given to the CLI and, through it, to
 * skiffd) and environment, with every step interleaved among them. BENCH_REFERENCE=0 leaves the reference engines out.
 */
import { ensureSplitImage } from './split-image.js';
import {
  DOCKER,
  emitFigure,
  fmt,
  median,
  ratio,
  referenceEngines,
  rssSample,
  runAs,
  startSkiff,
  type Engine,
  type RssSample,
  REGISTRY,
  BUSYBOX,
} from './bench-lib.js';

const PULLS = Number(process.env['BENCH_PULL_RUNS'] ?? 5);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 10);
const CONTAINERS = Number(process.env['BENCH_CONTAINERS'] ?? 10);
const SETTLE_S = Number(process.env['BENCH_SETTLE_S'] ?? 30);
const STAGES = ['idle', `after ${PULLS} pulls`, `${CONTAINERS} running`, `${SETTLE_S} s after rm`];

/**
 * BENCH_SKIFF_VARIANTS: `name=words;...`; a word NAME=value is the daemon's environment, a path
 * ending in cli/main.js another build to start (e.g. main's, built elsewhere), others are Node
 * flags.
 */
function variants(): {
  name: string;
  flags: string[];
  env: Record<string, string>;
  cli?: string;
}[] {
  const spec = process.env['BENCH_SKIFF_VARIANTS'];
  if (!spec) return [{ name: 'skiff', flags: [], env: {} }];
  const isEnv = (w: string): boolean => /^[A-Z_]+=/.test(w);
  const isCli = (w: string): boolean => w.endsWith('cli/main.js');
  return spec
    .split(';')
    .filter((v) => v.trim() !== '')
    .map((v) => {
      const [name = '', rest = ''] = v.split(/=(.*)/s);
      const words = rest.split(/\s+/).filter((f) => f !== '');
      const env = Object.fromEntries(
        words.filter(isEnv).map((w) => w.split(/=(.*)/s).slice(0, 2)),
      ) as Record<string, string>;
      const cli = words.find(isCli);
      return {
        name: `skiff ${name.trim()}`,
        flags: words.filter((w) => !isEnv(w) && !isCli(w)),
        env,
        ...(cli !== undefined ? { cli } : {}),
      };
    });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function must(e: Engine, argv: readonly string[]): Promise<string> {
  const r = await runAs(e.user, e.env, argv);
  if (r.code !== 0) throw new Error(`${e.name}: ${argv.slice(1).join(' ')}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function removeImage(e: Engine, image: string): Promise<void> {
  await runAs(e.user, e.env, [DOCKER, 'rmi', '-f', image]);
  await runAs(e.user, e.env, [DOCKER, 'image', 'prune', '-af']);
}

interface Figures {
  samples: RssSample[];
  pullS: number[];
  runMs: number[];
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: engines run as their own unprivileged users');
  const image = await ensureSplitImage(REGISTRY, 'debian', 'bookworm');
  const skiffs = [];
  try {
    for (const v of variants()) skiffs.push(await startSkiff({ nodeFlags: v.flags, name: v.name }));
    const engines = [
      ...skiffs.map((s) => s.engine),
      ...(process.env['BENCH_REFERENCE'] === '0' ? [] : referenceEngines()),
    ];
    const figures = new Map<Engine, Figures>(
      engines.map((e) => [e, { samples: [], pullS: [], runMs: [] }]),
    );
    const sampleAll = (): void => {
      for (const [e, f] of figures) f.samples.push(rssSample(e));
    };
    // Each step interleaved across engines, the first one rotating from round to round: the
    // machine's slow spells, and whatever going first costs, fall on all alike.
    let round = 0;
    const each = async (step: (e: Engine, f: Figures) => Promise<void>): Promise<void> => {
      const all = [...figures];
      const start = round++ % all.length;
      for (const [e, f] of [...all.slice(start), ...all.slice(0, start)]) await step(e, f);
    };

    // A fresh skiffd settles for ~20 s (V8 collects its start-up garbage): 5 s after the start two
    // identical builds differed by 2.5 MiB, 30 s after by 0.04.
    await sleep(SETTLE_S * 1000);
    sampleAll();
    for (let i = 0; i < PULLS; i++)
      await each(async (e, f) => {
        await removeImage(e, image);
        const r = await runAs(e.user, e.env, [DOCKER, 'pull', '-q', image]);
        if (r.code !== 0) throw new Error(`${e.name}: pull: ${r.stderr.trim()}`);
        f.pullS.push(r.ms / 1000);
      });
    await sleep(2000);
    sampleAll();
    await each(async (e) => {
      await must(e, [DOCKER, 'pull', '-q', BUSYBOX]);
      await runAs(e.user, e.env, [DOCKER, 'run', '--rm', BUSYBOX, 'true']);
    });
    for (let i = 0; i < RUNS; i++)
      await each(async (e, f) => {
        const r = await runAs(e.user, e.env, [DOCKER, 'run', '--rm', BUSYBOX, 'true']);
        if (r.code !== 0) throw new Error(`${e.name}: run: ${r.stderr.trim()}`);
        f.runMs.push(r.ms);
      });
    const ids = new Map<Engine, string[]>();
    for (let i = 0; i < CONTAINERS; i++)
      await each(async (e) => {
        const id = await must(e, [
          DOCKER,
          'run',
          '-d',
          '--label',
          'skiff-bench=memory',
          BUSYBOX,
          'sleep',
          '3600',
        ]);
        ids.set(e, [...(ids.get(e) ?? []), id.trim()]);
      });
    await sleep(2000);
    sampleAll();
    await each(async (e) => {
      await must(e, [DOCKER, 'rm', '-f', ...(ids.get(e) ?? [])]);
    });
    await sleep(SETTLE_S * 1000);
    sampleAll();
    await each(async (e) => removeImage(e, image));
    report(image, figures);
  } finally {
    for (const s of skiffs) await s.stop();
  }
}

function report(image: string, figures: ReadonlyMap<Engine, Figures>): void {
  console.log(
    `# daemon RSS (ps, MiB, all daemon processes; monitors apart); ${PULLS} cold pulls of ${image}; ` +
      `${CONTAINERS} × busybox sleep; docker run --rm true: median of ${RUNS} (min–max); engines interleaved`,
  );
  console.log(
    `engine                ${STAGES.map((s) => s.padStart(14)).join(' ')}  monitor MiB/ctr  pull s (min-max)    run ms (min-max)`,
  );
  const first = [...figures.values()][0];
  for (const [e, f] of figures) {
    const busy = f.samples[2];
    const perMonitor = busy && busy.monitors > 0 ? busy.monitorMiB / busy.monitors : undefined;
    console.log(
      [
        e.name.padEnd(21),
        ...f.samples.map((s) => fmt(s.daemonMiB).padStart(14)),
        ' ' + (perMonitor !== undefined ? fmt(perMonitor, 2) : '-').padStart(15),
        `${fmt(median(f.pullS), 2)} (${fmt(Math.min(...f.pullS), 2)}-${fmt(Math.max(...f.pullS), 2)})`.padStart(
          18,
        ),
        `${fmt(median(f.runMs), 0)} (${fmt(Math.min(...f.runMs), 0)}-${fmt(Math.max(...f.runMs), 0)})`.padStart(
          19,
        ),
      ].join(' '),
    );
  }
  if (first)
    for (const [e, f] of figures)
      console.log(
        `# ${e.name} / ${[...figures.keys()][0]?.name}: RSS ${f.samples
          .map((s, i) => ratio(s.daemonMiB, first.samples[i]?.daemonMiB))
          .join(
            ' ',
          )}; run ${ratio(median(f.runMs), median(first.runMs))}; pull ${ratio(median(f.pullS), median(first.pullS))}`,
      );
  for (const [e, f] of figures) {
    console.log(`# ${e.name}, per process (MiB): ${STAGES.join(' / ')}`);
    const labels = new Set(f.samples.flatMap((s) => [...s.daemon.keys()]));
    for (const l of labels)
      console.log(
        `#   ${l.padEnd(20)} ${f.samples.map((s) => fmt(s.daemon.get(l) ?? 0).padStart(7)).join(' ')}`,
      );
    console.log(`#   pulls (s): ${f.pullS.map((x) => fmt(x, 2)).join(' ')}`);
  }
  const aims = ['≤ 80 MiB', undefined, '≤ 100 MiB', undefined];
  for (const [e, f] of figures) {
    f.samples.forEach((sample, i) => {
      const aim = aims[i];
      emitFigure({
        metric: `daemon RSS, all its processes: ${STAGES[i] ?? ''}`,
        engine: e.name,
        unit: 'MiB',
        values: [sample.daemonMiB],
        better: 'lower',
        ...(aim ? { aim } : {}),
      });
    });
    const busy = f.samples[2];
    if (busy && busy.monitors > 0)
      emitFigure({
        metric: 'RSS of one container monitor (conmon, shim)',
        engine: e.name,
        unit: 'MiB',
        values: [busy.monitorMiB / busy.monitors],
        better: 'lower',
      });
  }
}

await main();
