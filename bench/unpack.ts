/**
 * Unpack benchmark (issue 12): the four gzip layers of the pull bench's image, already
 * downloaded, unpacked side by side into fresh overlay-form directories (as a pull does where
 * layers are independent), by the Node extractor (gunzip in Node + apply-layer.ts) and by
 * skiff-untar (native-apply.ts), runs interleaved. Prints unpacked MB/s (uncompressed tar
 * bytes over wall time): the unpack part of a pull, without the download.
 *
 *   npx tsx bench/unpack.ts      (BENCH_UNPACK_RUNS, default 10; as root or in a user namespace)
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { applyLayer } from '../src/snapshot/apply-layer.js';
import { applyLayerNative } from '../src/snapshot/native-apply.js';
import { spreadSubdirectories } from '../src/snapshot/spread-directories.js';
import type { ApplyResult } from '../src/snapshot/snapshotter.js';
import { silentLogger } from '../src/log.js';
import { emitFigure, fmt, median, ratio, repoRoot, REGISTRY } from './bench-lib.js';
import { ensureSplitImage } from './split-image.js';

const RUNS = Number(process.env['BENCH_UNPACK_RUNS'] ?? 10);
const native = join(repoRoot, 'native', 'build');
const whiteouts = { kind: 'overlay', opaqueXattr: 'user.overlay.opaque' } as const;

async function layerBlobs(): Promise<Buffer[]> {
  const image = await ensureSplitImage(REGISTRY, 'debian', 'bookworm');
  const [, repo = '', tag = 'latest'] = /^[^/]+\/(.+?)(?::([^:/]+))?$/.exec(image) ?? [];
  const res = await fetch(`http://${REGISTRY}/v2/${repo}/manifests/${tag}`, {
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
  });
  const m = (await res.json()) as { layers?: { digest: string }[] };
  return Promise.all(
    (m.layers ?? []).map(async (l) => {
      const b = await fetch(`http://${REGISTRY}/v2/${repo}/blobs/${l.digest}`);
      return Buffer.from(await b.arrayBuffer());
    }),
  );
}

type Unpacker = (dir: string, blob: Buffer) => Promise<ApplyResult>;

const unpackers: Record<string, Unpacker> = {
  node: (dir, blob) =>
    applyLayer(dir, Readable.from([blob]).pipe(createGunzip()), {
      whiteouts,
      lowerDirs: [],
      fsops: join(native, 'skiff-fsops'),
      log: silentLogger(),
    }),
  'skiff-untar': (dir, blob) =>
    applyLayerNative(dir, Readable.from([blob]), {
      whiteouts,
      lowerDirs: [],
      untar: join(native, 'skiff-untar'),
      compression: 'gzip',
      tarSplit: `${dir}.tar-split.gz`,
      log: silentLogger(),
    }),
};

async function main(): Promise<void> {
  const blobs = await layerBlobs();
  const base = await mkdtemp(join(process.env['BENCH_UNPACK_DIR'] ?? tmpdir(), 'skiff-unpack-'));
  // As the snapshot store does: each run creates and removes ~4 trees, and without the flag
  // ext4 makes every later run walk past the removed inodes (see FsopsBatch.topdir).
  await spreadSubdirectories(base, join(native, 'skiff-fsops'), silentLogger());
  const seconds = new Map<string, number[]>(Object.keys(unpackers).map((k) => [k, []]));
  let bytes = 0;
  try {
    for (let i = 0; i < RUNS; i++)
      for (const [name, unpack] of Object.entries(unpackers)) {
        const run = join(base, `${name}-${i}`);
        const dirs = blobs.map((_, j) => join(run, String(j)));
        await Promise.all(dirs.map((d) => mkdir(d, { recursive: true })));
        const t0 = performance.now();
        const results = await Promise.all(blobs.map((b, j) => unpack(dirs[j] ?? '', b)));
        seconds.get(name)?.push((performance.now() - t0) / 1000);
        bytes = results.reduce((n, r) => n + r.size, 0);
        await rm(run, { recursive: true, force: true });
      }
  } finally {
    await rm(base, { recursive: true, force: true });
  }
  const compressed = blobs.reduce((n, b) => n + b.length, 0);
  console.log(
    `# unpack of ${blobs.length} layers side by side: ${fmt(compressed / 1e6)} MB gzip, ${fmt(bytes / 1e6)} MB tar; median of ${RUNS}, interleaved`,
  );
  console.log('unpacker        median s   min s   max s   MB/s unpacked   time vs node');
  const nodeMedian = median(seconds.get('node') ?? []);
  for (const [name, xs] of seconds) {
    const m = median(xs);
    console.log(
      [
        name.padEnd(14),
        fmt(m, 3).padStart(9),
        fmt(Math.min(...xs), 3).padStart(7),
        fmt(Math.max(...xs), 3).padStart(7),
        fmt(bytes / 1e6 / m).padStart(15),
        ratio(m, nodeMedian).padStart(14),
      ].join(' '),
    );
  }
  // skiff's unpacker in the skiff column, the Node extractor it replaced as the floor to beat.
  for (const [name, xs] of seconds)
    emitFigure({
      metric: `unpack of the ${String(blobs.length)} downloaded layers side by side (skiff-untar; floor column: the Node extractor)`,
      engine: name === 'skiff-untar' ? 'skiff' : 'floor',
      unit: 'MB/s',
      values: xs.map((x) => bytes / 1e6 / x),
      better: 'higher',
      aim: '≥ 200 MB/s',
    });
}

await main();
