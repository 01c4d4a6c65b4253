/**
 * Network benchmark (issue 9): for skiff and the reference engines of ../shared/reference-engines
 * that run on this machine, in one run:
 *   1. host → container throughput through a published port: busybox httpd serves a 100 MiB file
 *      from the container's /tmp, curl fetches it from the host (median of 3, MB/s = 10^6 B/s);
 *   2. container → container throughput on a user-defined network, same server, busybox wget in a
 *      second container (by IP, so a missing DNS plugin does not hide the data path); the
 *      client times itself with /proc/uptime (10 ms ticks; busybox `date` has no %N), so each
 *      round fetches the file 5 times (500 MiB);
 *   3. small requests through the published port: sequential GETs of a tiny file from the host,
 *      one connection each (httpd closes it anyway), requests/s and median latency;
 *   4. `docker run --rm busybox true` on the default bridge, median of 10 with min and max, beside
 *      `--network none`, the same run without any networking (the floor).
 * Prints figures and ratios (skiff / engine), asserts nothing: compare ratios from one run.
 *
 *   sudo npx tsx bench/network.ts          (as root: engines run as their own users)
 */
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
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

const IMAGE = BUSYBOX;
const RUNS = Number(process.env['BENCH_RUNS'] ?? 10);
const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 2000);
const BIG_MIB = 100;
const BIG_BYTES = BIG_MIB * 1024 * 1024;
const C2C_FETCHES = 5;
const ROUNDS = 3;
const NET = 'skiff-bench-net';

/** The server: writes /tmp/big (100 MiB) and /tmp/small, then busybox httpd on 8080 from /tmp. */
const SERVE = [
  'sh',
  '-c',
  `dd if=/dev/zero of=/tmp/big bs=1048576 count=${BIG_MIB} 2>/dev/null && echo ok > /tmp/small && exec httpd -f -p 8080 -h /tmp`,
];

interface Stats {
  median: number;
  min: number;
  max: number;
  values: readonly number[];
}

interface Result {
  name: string;
  hostMBs?: Stats;
  c2cMBs?: Stats;
  reqPerSec?: number;
  reqMedianMs?: number;
  runBridge?: Stats;
  runNone?: Stats;
}

async function dk(e: Engine, args: readonly string[]): Promise<string> {
  const r = await runAs(e.user, e.env, [DOCKER, ...args]);
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

function stats(xs: readonly number[]): Stats {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs), values: xs };
}

/** One GET with its own connection; resolves with the status and the body's length. */
function get(port: number, path: string): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: false,
        headers: { Connection: 'close' },
        timeout: 5000,
      },
      (res) => {
        let bytes = 0;
        res.on('data', (b: Buffer) => (bytes += b.length));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, bytes });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => {
      req.destroy(new Error('timeout'));
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitHttp(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await get(port, '/small').catch(() => undefined);
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`nothing answers on 127.0.0.1:${port}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function publishedPort(e: Engine, container: string): Promise<number> {
  const out = await dk(e, ['port', container, '8080/tcp']);
  const m = /:(\d+)\s*$/m.exec(out);
  if (!m) throw new Error(`docker port ${container}: ${out}`);
  return Number(m[1]);
}

/** curl of the big file from the host; MB/s from curl's own transfer time. */
function curlMBs(port: number): number {
  const r = spawnSync(
    'curl',
    [
      '-sS',
      '--fail',
      '-o',
      '/dev/null',
      '-w',
      '%{size_download} %{time_total}',
      `http://127.0.0.1:${port}/big`,
    ],
    { encoding: 'utf8' },
  );
  const [size = 0, seconds = 0] = r.stdout.trim().split(' ').map(Number);
  if (r.status !== 0 || size !== BIG_BYTES)
    throw new Error(`curl: status ${r.status}, ${size} bytes: ${r.stderr}`);
  return size / seconds / 1e6;
}

async function hostThroughput(e: Engine, port: number): Promise<Stats> {
  curlMBs(port); // warm-up: the file into the page cache, the forwarder's first connection
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) xs.push(curlMBs(port));
  return stats(xs);
}

async function containerThroughput(e: Engine, serverIp: string): Promise<Stats> {
  const url = `http://${serverIp}:8080/big`;
  // First line: the size of one fetch (checks the whole file arrives); then per round the
  // /proc/uptime before and after C2C_FETCHES fetches.
  const script = [
    `wget -qO- ${url} | wc -c`,
    `for r in $(seq ${ROUNDS}); do`,
    '  read a x < /proc/uptime',
    `  for i in $(seq ${C2C_FETCHES}); do wget -qO /dev/null ${url} || exit 1; done`,
    '  read b x < /proc/uptime',
    '  echo "$a $b"',
    'done',
  ].join('\n');
  const out = await dk(e, ['run', '--rm', '--network', NET, IMAGE, 'sh', '-c', script]);
  const [size, ...rounds] = out.split('\n');
  if (Number(size) !== BIG_BYTES) throw new Error(`container wget got ${size} bytes`);
  const xs = rounds.map((l) => {
    const [a = 0, b = 0] = l.split(' ').map(Number);
    return (BIG_BYTES * C2C_FETCHES) / (b - a) / 1e6;
  });
  return stats(xs);
}

async function smallRequests(port: number): Promise<{ perSec: number; medianMs: number }> {
  for (let i = 0; i < 20; i++) await get(port, '/small');
  const ms: number[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const s = process.hrtime.bigint();
    const r = await get(port, '/small');
    if (r.status !== 200) throw new Error(`GET /small answered ${r.status}`);
    ms.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { perSec: REQUESTS / seconds, medianMs: median(ms) };
}

async function runLatency(e: Engine, network: string[]): Promise<Stats> {
  const argv = [DOCKER, 'run', '--rm', ...network, IMAGE, 'true'];
  for (let i = 0; i < 3; i++) await runAs(e.user, e.env, argv);
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await runAs(e.user, e.env, argv);
    if (r.code !== 0) throw new Error(`docker run ${network.join(' ')}: ${r.stderr.trim()}`);
    ms.push(r.ms);
  }
  return stats(ms);
}

/** Runs one measurement; a failure is printed and leaves that figure empty. */
async function attempt<T>(e: Engine, what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    console.log(
      `# ${e.name}: ${what} skipped (${err instanceof Error ? err.message : String(err)})`,
    );
    return undefined;
  }
}

async function measure(e: Engine): Promise<Result> {
  await dk(e, ['pull', '-q', IMAGE]);
  const result: Result = { name: e.name };
  const ids: string[] = [];
  try {
    // Host → container and small requests: a server on the default bridge with -p.
    await attempt(e, 'published port', async () => {
      const id = await dk(e, ['run', '-d', '-p', '8080', IMAGE, ...SERVE]);
      ids.push(id);
      const port = await publishedPort(e, id);
      await waitHttp(port);
      result.hostMBs = await hostThroughput(e, port);
      const small = await smallRequests(port);
      result.reqPerSec = small.perSec;
      result.reqMedianMs = small.medianMs;
    });
    // Container → container: a server and a client on one user network.
    await attempt(e, 'container to container', async () => {
      await dk(e, ['network', 'create', NET]);
      const id = await dk(e, ['run', '-d', '--network', NET, IMAGE, ...SERVE]);
      ids.push(id);
      const ip = await dk(e, [
        'inspect',
        '-f',
        '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}',
        id,
      ]);
      // Ready when the client can fetch the small file (the dd of the big one comes first).
      await dk(e, [
        'run',
        '--rm',
        '--network',
        NET,
        IMAGE,
        'sh',
        '-c',
        `for i in $(seq 100); do wget -qO /dev/null http://${ip}:8080/small && exit 0; sleep 0.2; done; exit 1`,
      ]);
      result.c2cMBs = await containerThroughput(e, ip);
    });
  } finally {
    if (ids.length > 0) await runAs(e.user, e.env, [DOCKER, 'rm', '-f', ...ids]);
    await runAs(e.user, e.env, [DOCKER, 'network', 'rm', NET]);
  }
  const bridge = await attempt(e, 'run on the bridge', () => runLatency(e, []));
  if (bridge) result.runBridge = bridge;
  const none = await attempt(e, 'run --network none', () => runLatency(e, ['--network', 'none']));
  if (none) result.runNone = none;
  return result;
}

const REFERENCE = ['rootless-docker', 'podman-service'] as const;

function printTable(results: readonly Result[]): void {
  const skiff = results.find((r) => r.name === 'skiff');
  const byName = (n: string): Result | undefined => results.find((r) => r.name === n);
  const rows: { label: string; pick: (r: Result) => number | undefined; digits: number }[] = [
    {
      label: `host → container MB/s (-p, ${BIG_MIB} MiB)`,
      pick: (r) => r.hostMBs?.median,
      digits: 0,
    },
    {
      label: `container → container MB/s (user net)`,
      pick: (r) => r.c2cMBs?.median,
      digits: 0,
    },
    { label: `small GETs via -p, requests/s`, pick: (r) => r.reqPerSec, digits: 0 },
    { label: `small GETs via -p, median ms`, pick: (r) => r.reqMedianMs, digits: 2 },
    { label: `run --rm true, bridge, median ms`, pick: (r) => r.runBridge?.median, digits: 0 },
    { label: `run --rm true, bridge, min ms`, pick: (r) => r.runBridge?.min, digits: 0 },
    { label: `run --rm true, bridge, max ms`, pick: (r) => r.runBridge?.max, digits: 0 },
    { label: `run --rm true, none, median ms`, pick: (r) => r.runNone?.median, digits: 0 },
    { label: `run --rm true, none, min ms`, pick: (r) => r.runNone?.min, digits: 0 },
    { label: `run --rm true, none, max ms`, pick: (r) => r.runNone?.max, digits: 0 },
    {
      label: `bridge cost (median bridge − none) ms`,
      pick: (r) => (r.runBridge && r.runNone ? r.runBridge.median - r.runNone.median : undefined),
      digits: 0,
    },
  ];
  const cell = (v: number | undefined, digits: number): string =>
    v === undefined ? '-' : fmt(v, digits);
  console.log(
    `# ${BIG_MIB} MiB per fetch, median of ${ROUNDS} (container → container: ${C2C_FETCHES} fetches per round); ${REQUESTS} sequential GETs; ${RUNS} runs`,
  );
  console.log(
    [
      'metric'.padEnd(40),
      'skiff'.padStart(9),
      ...REFERENCE.map((n) => n.padStart(16)),
      ...REFERENCE.map((n) => `skiff/${n}`.padStart(22)),
    ].join(' '),
  );
  for (const row of rows) {
    const s = skiff ? row.pick(skiff) : undefined;
    const refs = REFERENCE.map((n) => {
      const r = byName(n);
      return r ? row.pick(r) : undefined;
    });
    console.log(
      [
        row.label.padEnd(40),
        cell(s, row.digits).padStart(9),
        ...refs.map((v) => cell(v, row.digits).padStart(16)),
        ...refs.map((v) => (s === undefined ? 'n/a' : ratio(s, v)).padStart(22)),
      ].join(' '),
    );
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error('run as root: engines run as their own unprivileged users');
  const results: Result[] = [];
  const skiff = await startSkiff();
  try {
    results.push(await measure(skiff.engine));
  } finally {
    await skiff.stop();
  }
  const refs = referenceEngines();
  if (refs.length === 0)
    console.log('# no reference engine runs here (../shared/reference-engines): ratios are n/a');
  for (const e of refs) {
    const r = await attempt(e, 'all figures', () => measure(e));
    if (r) results.push(r);
  }
  printTable(results);
  for (const r of results) emitFigures(r);
}

/** This bench's figures for the one table of `npm run bench`. */
function emitFigures(r: Result): void {
  const engine = r.name;
  const emit = (
    metric: string,
    unit: string,
    values: readonly number[] | undefined,
    better: 'lower' | 'higher',
    aim?: string,
  ): void => {
    if (values) emitFigure({ metric, engine, unit, values, better, ...(aim ? { aim } : {}) });
  };
  emit(
    `host → container through \`-p\`, ${String(BIG_MIB)} MiB over HTTP`,
    'MB/s',
    r.hostMBs?.values,
    'higher',
    '≥ 1.2x Docker',
  );
  emit('container → container on a user network', 'MB/s', r.c2cMBs?.values, 'higher');
  emit(
    'small GET through `-p`, median latency',
    'ms',
    r.reqMedianMs === undefined ? undefined : [r.reqMedianMs],
    'lower',
    '≤ 1x Docker',
  );
  emit(
    '`docker run --rm busybox true`, default bridge',
    'ms',
    r.runBridge?.values,
    'lower',
    '< 0.5x Docker',
  );
  emit('`docker run --rm --network none busybox true`', 'ms', r.runNone?.values, 'lower');
}

await main();
