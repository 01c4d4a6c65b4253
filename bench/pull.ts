/**
 * Pull benchmark (issue 3): `docker pull` of a multi-layer image of ≥ 100 MB (the debian
 * minbase image that ../shared/reference-engines/make-test-images.sh pushes, cut into four
 * layers by bench/split-image.ts) from the local registry, from an empty store each time:
 * download + verify + unpack. Prints seconds and MB/s
 * (compressed bytes over the wire per second of wall time, and unpacked bytes per second) for
 * skiff and for the reference engines that run on this machine, with ratios, in one run.
 *
 *   sudo npx tsx bench/pull.ts          (as root: engines run as their own users)
 */
import { ensureSplitImage } from './split-image.js';
import { spawnSync } from 'node:child_process';
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
  REGISTRY,
} from './bench-lib.js';

const RUNS = Number(process.env['BENCH_PULL_RUNS'] ?? 5);
let IMAGE = '';

interface ManifestLayer {
  readonly size: number;
  readonly digest: string;
}

/** The compressed size and layer count of the image, straight from the registry. */
async function imageFacts(): Promise<{ compressed: number; layers: number }> {
  const [, repo = '', tag = 'latest'] = /^[^/]+\/(.+?)(?::([^:/]+))?$/.exec(IMAGE) ?? [];
  const accept = [
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
  ].join(', ');
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: accept },
  });
  if (!res.ok)
    throw new Error(`${IMAGE}: registry answered ${res.status}; run make-test-images.sh`);
  const m = (await res.json()) as { layers?: ManifestLayer[] };
  const layers = m.layers ?? [];
  if (layers.length === 0) throw new Error(`${IMAGE}: not a single-platform image manifest`);
  return { compressed: layers.reduce((n, l) => n + l.size, 0), layers: layers.length };
}

async function removeImage(e: Engine): Promise<void> {
  await runAs(e.user, e.env, [DOCKER, 'rmi', '-f', IMAGE]);
  // Nothing of the image may stay behind (shared layers, cached blobs) or the next pull is not cold.
  await runAs(e.user, e.env, [DOCKER, 'image', 'prune', '-af']);
}

/** Where each engine keeps its images (all of its data root: blobs, layers, metadata). */
function dataRoot(e: Engine): string {
  const home = e.env['HOME'] ?? '';
  if (e.name === 'rootless-docker') return join(home, '.local/share/docker');
  if (e.name === 'podman-service') return join(home, '.local/share/containers/storage');
  return join(home, '.local/share/skiff');
}

/** Bytes under a directory (apparent sizes, hard links once), read as root. */
function duBytes(dir: string): number {
  const r = spawnSync('du', ['-sb', dir], { encoding: 'utf8' });
  return Number(r.stdout.split('\t')[0] ?? 0);
}

interface PullResult {
  readonly seconds: number;
  readonly unpackedBytes: number;
  /** What the pull added to the data root. */
  readonly diskBytes: number;
}

/** One cold pull: nothing of the image in the store before. */
async function pullOnce(e: Engine): Promise<PullResult> {
  await removeImage(e);
  const before = duBytes(dataRoot(e));
  const r = await runAs(e.user, e.env, [DOCKER, 'pull', '-q', IMAGE]);
  if (r.code !== 0) throw new Error(`pull failed: ${r.stderr.trim()}`);
  const size = await runAs(e.user, e.env, [DOCKER, 'image', 'inspect', '-f', '{{.Size}}', IMAGE]);
  return {
    seconds: r.ms / 1000,
    unpackedBytes: Number(size.stdout.trim()),
    diskBytes: duBytes(dataRoot(e)) - before,
  };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: engines run as their own unprivileged users');
  IMAGE =
    process.env['BENCH_PULL_IMAGE'] ?? (await ensureSplitImage(REGISTRY, 'debian', 'bookworm'));
  const facts = await imageFacts();
  const skiff = await startSkiff();
  try {
    const engines = [skiff.engine, ...referenceEngines()];
    const seconds = new Map<string, number[]>(engines.map((e) => [e.name, []]));
    const unpacked = new Map<string, number>();
    const disk = new Map<string, number[]>(engines.map((e) => [e.name, []]));
    // Round-robin, so that the disk's good and bad moments fall on every engine alike.
    for (let i = 0; i < RUNS; i++) {
      for (const e of engines) {
        if (!seconds.has(e.name)) continue;
        try {
          const r = await pullOnce(e);
          seconds.get(e.name)?.push(r.seconds);
          unpacked.set(e.name, r.unpackedBytes);
          disk.get(e.name)?.push(r.diskBytes / r.unpackedBytes);
        } catch (err) {
          console.log(`# ${e.name}: skipped (${err instanceof Error ? err.message : String(err)})`);
          seconds.delete(e.name);
        }
      }
    }
    for (const e of engines) if (seconds.has(e.name)) await removeImage(e);
    report(facts, seconds, unpacked, disk);
  } finally {
    await skiff.stop();
  }
}

function report(
  facts: { compressed: number; layers: number },
  seconds: ReadonlyMap<string, readonly number[]>,
  unpacked: ReadonlyMap<string, number>,
  disk: ReadonlyMap<string, readonly number[]>,
): void {
  const mb = (n: number): number => n / 1e6;
  console.log(
    `# docker pull ${IMAGE}: ${facts.layers} layers, ${fmt(mb(facts.compressed))} MB compressed; cold store, median of ${RUNS}, engines interleaved`,
  );
  console.log('engine            median s   min s   MB/s wire   MB/s unpacked   skiff time ratio');
  const skiffMedian = median(seconds.get('skiff') ?? []);
  for (const [name, xs] of seconds) {
    const m = median(xs);
    console.log(
      [
        name.padEnd(16),
        fmt(m, 2).padStart(9),
        fmt(Math.min(...xs), 2).padStart(7),
        fmt(mb(facts.compressed) / m).padStart(11),
        fmt(mb(unpacked.get(name) ?? 0) / m).padStart(15),
        ratio(skiffMedian, m).padStart(18),
      ].join(' '),
    );
  }
  for (const [name, xs] of seconds) {
    const bytes = unpacked.get(name) ?? 0;
    emitFigure({
      metric: `cold pull of the ${facts.layers}-layer bench image (${fmt(mb(facts.compressed))} MB gz)`,
      engine: name,
      unit: 's',
      values: xs,
      better: 'lower',
    });
    emitFigure({
      metric: 'pull: MB unpacked per second of wall time',
      engine: name,
      unit: 'MB/s',
      values: xs.map((x) => mb(bytes) / x),
      better: 'higher',
      aim: '≥ 200 MB/s',
    });
    emitFigure({
      metric: "pulled image's disk footprint / its unpacked size",
      engine: name,
      unit: 'x',
      values: disk.get(name) ?? [],
      better: 'lower',
      aim: '≤ 1.1x',
    });
    console.log(
      `# ${name} disk footprint / unpacked size: ${(disk.get(name) ?? []).map((x) => fmt(x, 2)).join(' ')}`,
    );
  }
  // Every run, in order: the disk of these machines has slow spells; this shows whose they were.
  for (const [name, xs] of seconds)
    console.log(`# ${name} runs (s): ${xs.map((x) => fmt(x, 2)).join(' ')}`);
  const docker = seconds.get('rootless-docker');
  if (docker)
    console.log(
      `# skiff / rootless docker pull time: ${ratio(skiffMedian, median(docker))} (aim: < 1x)`,
    );
}

await main();
