// Issue 8: concurrency on the stores (shared layers, tags), rm during start, and what failed or
// interrupted operations used to leave behind (short links, attach-socket links, mounts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestDaemon } from '../../helpers/daemon.js';
import { startDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { freePort } from '../../helpers/registry.js';
import { sharedRegistry } from '../../helpers/test-registry-env.js';
import { buildImage, busyboxRootfs, pushImage } from '../../helpers/image-builder.js';

async function entries(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}

/** True when this process can listen on the port: nobody (no leaked forward) holds it. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => {
      resolve(false);
    });
    s.listen(port, '0.0.0.0', () => {
      s.close(() => {
        resolve(true);
      });
    });
  });
}

/** key and kind of every snapshot directory (its meta.json), whatever the store has indexed. */
async function snapshotMetas(dir: string): Promise<{ key: string; kind: string }[]> {
  const out: { key: string; kind: string }[] = [];
  for (const e of await entries(dir)) {
    const meta = JSON.parse(
      await readFile(join(dir, e, 'meta.json'), 'utf8').catch(() => '{"key":"?","kind":"?"}'),
    ) as { key: string; kind: string };
    out.push({ key: meta.key, kind: meta.kind });
  }
  return out;
}

async function driverOf(d: TestDaemon): Promise<string> {
  return (await dockerOk(d, ['info', '--format', '{{.Driver}}'])).trim();
}

async function restart(d: TestDaemon): Promise<TestDaemon> {
  await d.stop();
  return startDaemon({ dir: d.dir });
}

describe('stores under concurrent pulls and tags', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d.cleanup();
  });

  it('pulls sharing a layer commit it once; rmi and a restart leave no snapshot behind', async () => {
    const reg = sharedRegistry();
    const run = Math.random().toString(16).slice(2, 10);
    const base = busyboxRootfs();
    const n = 12;
    const images = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        buildImage({
          layers: [base, [{ path: `marker-${i}`, type: 'file', content: `${run} ${i}\n` }]],
        }),
      ),
    );
    const repos = images.map((_, i) => `${reg}/races/shared-${run}-${i}`);
    for (const [i, img] of images.entries())
      await pushImage({ addr: reg }, `races/shared-${run}-${i}`, 'v1', img);
    const refs = repos.map((r) => `${r}:v1`);
    const snapshots = join(d.dataRoot, 'snapshots', await driverOf(d), 'snapshots');
    // The embedded hello-world image is there from the start.
    const before = await entries(snapshots);
    // Through the API, so that the pulls start together (CLI processes start tens of ms apart).
    const pulls = await Promise.all(
      repos.map((r) =>
        rawRequest(d.socket, 'POST', `/images/create?fromImage=${encodeURIComponent(r)}&tag=v1`),
      ),
    );
    for (const p of pulls) {
      assert.equal(p.status, 200, p.body);
      assert.doesNotMatch(p.body, /"error"/);
    }
    // One base layer and a top layer per image, each once.
    const metas = await snapshotMetas(snapshots);
    assert.equal(metas.length, before.length + 1 + n, JSON.stringify(metas));
    assert.equal(new Set(metas.map((m) => m.key)).size, metas.length, JSON.stringify(metas));
    // The layer kept serves every image.
    for (const [i, r] of refs.slice(0, 3).entries())
      assert.equal(await dockerOk(d, ['run', '--rm', r, 'cat', `/marker-${i}`]), `${run} ${i}\n`);

    await dockerOk(d, ['rmi', ...refs]);
    assert.deepEqual(await entries(snapshots), before);
    d = await restart(d);
    for (const r of refs) assert.notEqual((await docker(d, ['image', 'inspect', r])).code, 0);
    assert.deepEqual(await entries(snapshots), before);
  });

  it('400 concurrent tags all survive a restart', async () => {
    const reg = sharedRegistry();
    await dockerOk(d, ['pull', '-q', `${reg}/busybox:latest`]);
    const n = 400;
    const replies = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        rawRequest(
          d.socket,
          'POST',
          `/images/${encodeURIComponent(`${reg}/busybox:latest`)}/tag?repo=races/many&tag=t${i}`,
        ),
      ),
    );
    for (const r of replies) assert.equal(r.status, 201, r.body);
    d = await restart(d);
    // (The listing also shows the image's other names: only the races/many tags count.)
    const tags = (
      await dockerOk(d, ['images', 'races/many', '--format', '{{.Repository}}:{{.Tag}}'])
    )
      .split('\n')
      .filter((t) => /^races\/many:t\d+$/.test(t));
    assert.equal(new Set(tags).size, n);
  });
});

describe('rm during start, and what failures leave behind', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('docker rm during docker start: never both succeed, and no published port leaks', async () => {
    const ports: number[] = [];
    // The rm lands at different points of the start (the start takes a few hundred ms).
    for (const delayMs of [0, 20, 50, 100, 150, 200, 300]) {
      const port = await freePort();
      ports.push(port);
      const name = `racy-${delayMs}`;
      const id = (
        await dockerOk(d, ['create', '--name', name, '-p', `${port}:80`, 'busybox', 'sleep', '300'])
      ).trim();
      const starting = rawRequest(d.socket, 'POST', `/containers/${id}/start`);
      await sleep(delayMs);
      const removing = rawRequest(d.socket, 'DELETE', `/containers/${id}`);
      const [started, removed] = await Promise.all([starting, removing]);
      assert.ok(
        !(started.status === 204 && removed.status === 204),
        `start and rm without force both succeeded (rm after ${delayMs} ms)`,
      );
      if (removed.status === 204) {
        assert.equal(started.status, 404, started.body);
      } else {
        assert.equal(started.status, 204, started.body);
        assert.equal(removed.status, 409, removed.body);
        assert.match(
          removed.body,
          /container is running: stop the container before removing or force remove/,
        );
        assert.equal(
          (await dockerOk(d, ['inspect', '-f', '{{.State.Status}}', name])).trim(),
          'running',
        );
        assert.equal(await portFree(port), false, 'the running container publishes its port');
        await dockerOk(d, ['rm', '-f', name]);
      }
    }
    for (const port of ports)
      await eventually(
        async () => ((await portFree(port)) ? true : undefined),
        10_000,
        `port ${port} released`,
      );
  });

  it('a failed start leaves no attach-socket link behind', async () => {
    const socks = join(d.runtimeDir, 'skiff', 'socks');
    const before = await entries(socks);
    for (let i = 0; i < 3; i++) {
      const r = await docker(d, ['run', '--name', `nocmd-${i}`, 'busybox', '/no/such/command']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /no such file or directory|not found/);
      await dockerOk(d, ['rm', `nocmd-${i}`]);
    }
    assert.deepEqual(await entries(socks), before);
  });

  it('docker cp into a stopped container while it starts: the file is there and it runs', async () => {
    const src = await mkdtemp(join(tmpdir(), 'skiff-cp-'));
    try {
      for (let i = 0; i < 5; i++) {
        const file = join(src, `f${i}`);
        await writeFile(file, `copy ${i}\n`);
        await dockerOk(d, ['create', '--name', `cpstart-${i}`, 'busybox', 'sleep', '300']);
        const [cp, start] = await Promise.all([
          docker(d, ['cp', file, `cpstart-${i}:/f${i}`]),
          docker(d, ['start', `cpstart-${i}`]),
        ]);
        assert.equal(cp.code, 0, cp.stderr);
        assert.equal(start.code, 0, start.stderr);
        assert.equal(await dockerOk(d, ['exec', `cpstart-${i}`, 'cat', `/f${i}`]), `copy ${i}\n`);
        await dockerOk(d, ['rm', '-f', `cpstart-${i}`]);
      }
    } finally {
      await rm(src, { recursive: true, force: true });
    }
  });

  it('short links a crash left in l/ are gone after a restart', async () => {
    const store = join(d.dataRoot, 'snapshots', await driverOf(d));
    // What a kill during a snapshot's create leaves: its directory without metadata and its link.
    await d.stop();
    await mkdir(join(store, 'snapshots', 'interrupted', 'fs'), { recursive: true });
    await symlink('../snapshots/interrupted/fs', join(store, 'l', 'crashcrash'));
    await symlink('../snapshots/long-gone/fs', join(store, 'l', 'gonegone00'));
    d = await startDaemon({ dir: d.dir });
    const links = await entries(join(store, 'l'));
    assert.equal(links.includes('crashcrash'), false);
    assert.equal(links.includes('gonegone00'), false);
    assert.equal((await entries(join(store, 'snapshots'))).includes('interrupted'), false);
    // Every remaining link resolves, and the image still runs.
    const dirs = await entries(join(store, 'snapshots'));
    assert.equal(links.length, dirs.length);
    assert.equal(await dockerOk(d, ['run', '--rm', 'busybox', 'echo', 'ok']), 'ok\n');
  });
});
