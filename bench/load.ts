/**
 * Load and leak benchmark (issue 8): 50 parallel `docker run --rm`, 1,000 create/start/wait/rm
 * cycles over the API, 20 parallel creates of one name. Prints skiffd's open descriptors, the
 * mounts in its namespace, the user's processes, the data root's entries and skiffd's RSS
 * before and after: a leak shows as a difference. Asserts nothing (bench rule); the closing
 * line says whether the figures came back.
 *
 *   sudo npx tsx bench/load.ts     (needs the registry of ../shared/reference-engines with busybox)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { DOCKER, fmt, rssKiB, runAs, startSkiff, USER, BUSYBOX } from './bench-lib.js';

const IMAGE = BUSYBOX;
const PARALLEL = Number(process.env['BENCH_PARALLEL'] ?? 50);
const CYCLES = Number(process.env['BENCH_CYCLES'] ?? 1000);
const SAME_NAME = 20;

interface Figures {
  fds: number;
  mounts: number;
  processes: number;
  dataRootEntries: number;
  rssMiB: number;
}

function api(
  socket: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socket,
        // No keep-alive: an idle pooled connection would read as a leaked descriptor.
        agent: false,
        method,
        path,
        headers: data ? { 'Content-Type': 'application/json' } : {},
      },
      (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: b });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

function countTree(dir: string): number {
  let n = 0;
  const walk = (d: string): void => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      n++;
      if (e.isDirectory()) walk(join(d, e.name));
    }
  };
  walk(dir);
  return n;
}

function figures(skiffdPid: number, dataRoot: string): Figures {
  const ps = spawnSync('ps', ['-u', USER, '-o', 'pid='], { encoding: 'utf8' }).stdout;
  return {
    fds: readdirSync(`/proc/${skiffdPid}/fd`).length,
    mounts: readFileSync(`/proc/${skiffdPid}/mountinfo`, 'utf8').trim().split('\n').length,
    processes: ps
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '').length,
    dataRootEntries: countTree(dataRoot),
    rssMiB: rssKiB(skiffdPid) / 1024,
  };
}

async function main(): Promise<void> {
  const skiff = await startSkiff();
  const env = skiff.engine.env;
  const socket = (env['DOCKER_HOST'] ?? '').replace(/^unix:\/\//, '');
  const dataRoot = join(env['HOME'] ?? '', '.local', 'share', 'skiff');
  try {
    const pull = await runAs(USER, env, [DOCKER, 'pull', '-q', IMAGE]);
    if (pull.code !== 0) throw new Error(`pull failed: ${pull.stderr}`);
    // One warm-up run so that first-use caches count in "before", not as a leak.
    await runAs(USER, env, [DOCKER, 'run', '--rm', IMAGE, 'true']);
    const pid = skiff.daemonPids()[0] ?? 0;
    global.gc?.();
    const before = figures(pid, dataRoot);

    const t0 = Date.now();
    const runs = await Promise.all(
      Array.from({ length: PARALLEL }, () =>
        runAs(USER, env, [DOCKER, 'run', '--rm', IMAGE, 'true']),
      ),
    );
    const parallelMs = Date.now() - t0;
    const parallelFailed = runs.filter((r) => r.code !== 0);

    const t1 = Date.now();
    let cycleFailures = 0;
    for (let i = 0; i < CYCLES; i++) {
      const c = await api(socket, 'POST', '/containers/create', { Image: IMAGE, Cmd: ['true'] });
      if (c.status !== 201) {
        cycleFailures++;
        continue;
      }
      const id = (JSON.parse(c.body) as { Id: string }).Id;
      const s = await api(socket, 'POST', `/containers/${id}/start`);
      const w = await api(socket, 'POST', `/containers/${id}/wait`);
      const r = await api(socket, 'DELETE', `/containers/${id}?force=1`);
      if (s.status !== 204 || w.status !== 200 || r.status !== 204) cycleFailures++;
    }
    const cyclesMs = Date.now() - t1;

    const creates = await Promise.all(
      Array.from({ length: SAME_NAME }, () =>
        api(socket, 'POST', '/containers/create?name=contested', { Image: IMAGE, Cmd: ['true'] }),
      ),
    );
    const won = creates.filter((c) => c.status === 201).length;
    const conflicts = creates.filter((c) => c.status === 409).length;
    await api(socket, 'DELETE', '/containers/contested?force=1');

    // Let exits and removals settle before the second reading.
    await new Promise((r) => setTimeout(r, 2000));
    const after = figures(pid, dataRoot);

    console.log(
      `${PARALLEL} parallel docker run --rm: ${fmt(parallelMs / 1000, 2)} s, ${parallelFailed.length} failed`,
    );
    for (const f of parallelFailed.slice(0, 3)) console.log(`  failure: ${f.stderr.trim()}`);
    console.log(
      `${CYCLES} create/start/wait/rm cycles over the API: ${fmt(cyclesMs / 1000, 1)} s (${fmt(cyclesMs / CYCLES, 1)} ms each), ${cycleFailures} failed`,
    );
    console.log(
      `${SAME_NAME} parallel creates of one name: ${won} created, ${conflicts} answered 409, ${SAME_NAME - won - conflicts} other`,
    );
    console.log('\n| figure | before | after |\n| --- | --- | --- |');
    for (const k of Object.keys(before) as (keyof Figures)[])
      console.log(
        `| ${k} | ${k === 'rssMiB' ? fmt(before[k]) : before[k]} | ${k === 'rssMiB' ? fmt(after[k]) : after[k]} |`,
      );
    const leaked = (['fds', 'mounts', 'processes', 'dataRootEntries'] as const).filter(
      (k) => after[k] > before[k],
    );
    console.log(
      leaked.length === 0
        ? '\nno leak: descriptors, mounts, processes and data-root entries came back'
        : `\nLEAK: ${leaked.join(', ')} grew`,
    );
  } finally {
    await skiff.stop();
  }
}

await main();
