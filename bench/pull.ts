/**
 * Pull benchmark (issue 3): `docker pull` of a multi-layer image of ≥ 100 MB (the debian
 * minbase image that ../shared/reference-engines/make-test-images.sh pushes) from the local
 * registry, from an empty store each time, download + verify + unpack. Prints seconds and MB/s
 * (compressed bytes over the wire per second of wall time, and unpacked bytes per second) for
 * skiff and for the reference engines that run on this machine, with ratios, in one run.
 *
 *   sudo npx tsx bench/pull.ts          (as root: engines run as their own users)
 */
import {
  DOCKER,
  fmt,
  median,
  ratio,
  referenceEngines,
  runAs,
  startSkiff,
  type Engine,
} from './bench-lib.js';

const RUNS = Number(process.env['BENCH_PULL_RUNS'] ?? 3);
const REGISTRY = process.env['BENCH_REGISTRY'] ?? '127.0.0.1:5000';
const REPO = process.env['BENCH_PULL_REPO'] ?? 'debian';
const TAG = process.env['BENCH_PULL_TAG'] ?? 'bookworm';
const IMAGE = `${REGISTRY}/${REPO}:${TAG}`;

interface ManifestLayer {
  readonly size: number;
  readonly digest: string;
}

/** The compressed size and layer count of the image, straight from the registry. */
async function imageFacts(): Promise<{ compressed: number; layers: number }> {
  const accept = [
    'application/vnd.docker.distribution.manifest.v2+json',
    'application/vnd.oci.image.manifest.v1+json',
  ].join(', ');
  const res = await fetch(`http://${REGISTRY}/v2/${REPO}/manifests/${TAG}`, {
    headers: { Accept: accept },
  });
  if (!res.ok)
    throw new Error(`${IMAGE}: registry answered ${res.status}; run make-test-images.sh`);
  const m = (await res.json()) as { layers?: ManifestLayer[] };
  const layers = m.layers ?? [];
  if (layers.length === 0) throw new Error(`${IMAGE}: not a single-platform image manifest`);
  return { compressed: layers.reduce((n, l) => n + l.size, 0), layers: layers.length };
}

interface PullResult {
  readonly name: string;
  readonly medianS: number;
  readonly minS: number;
  readonly unpackedBytes: number;
}

async function removeImage(e: Engine): Promise<void> {
  await runAs(e.user, e.env, [DOCKER, 'rmi', '-f', IMAGE]);
  // Nothing of the image may stay behind (shared layers, cached blobs) or the next pull is not cold.
  await runAs(e.user, e.env, [DOCKER, 'image', 'prune', '-af']);
}

async function measure(e: Engine): Promise<PullResult> {
  const seconds: number[] = [];
  let unpackedBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    await removeImage(e);
    const r = await runAs(e.user, e.env, [DOCKER, 'pull', '-q', IMAGE]);
    if (r.code !== 0) throw new Error(`${e.name}: pull failed: ${r.stderr}`);
    seconds.push(r.ms / 1000);
    const size = await runAs(e.user, e.env, [DOCKER, 'image', 'inspect', '-f', '{{.Size}}', IMAGE]);
    unpackedBytes = Number(size.stdout.trim());
  }
  await removeImage(e);
  return { name: e.name, medianS: median(seconds), minS: Math.min(...seconds), unpackedBytes };
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: engines run as their own unprivileged users');
  const facts = await imageFacts();
  const results: PullResult[] = [];
  const skiff = await startSkiff();
  try {
    results.push(await measure(skiff.engine));
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
  const mb = (n: number): number => n / 1e6;
  console.log(
    `# docker pull ${IMAGE}: ${facts.layers} layers, ${fmt(mb(facts.compressed))} MB compressed; cold store, median of ${RUNS}`,
  );
  console.log('engine            median s   min s   MB/s wire   MB/s unpacked   skiff time ratio');
  const skiffR = results.find((r) => r.name === 'skiff');
  for (const r of results) {
    console.log(
      [
        r.name.padEnd(16),
        fmt(r.medianS, 2).padStart(9),
        fmt(r.minS, 2).padStart(7),
        fmt(mb(facts.compressed) / r.medianS).padStart(11),
        fmt(mb(r.unpackedBytes) / r.medianS).padStart(15),
        ratio(skiffR?.medianS ?? 0, r.medianS).padStart(18),
      ].join(' '),
    );
  }
  const docker = results.find((r) => r.name === 'rootless-docker');
  if (skiffR && docker)
    console.log(
      `# skiff / rootless docker pull time: ${ratio(skiffR.medianS, docker.medianS)} (aim: < 1x)`,
    );
}

await main();
