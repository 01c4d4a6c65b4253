// Issue 4: containers outlive skiffd (kill -9 → adoption), events, system df, dockerode.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Docker from 'dockerode';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { ping } from '../../helpers/daemon.js';
import { dockerCli } from '../../helpers/paths.js';
import { rawRequest } from '../../helpers/raw-request.js';

describe('live restore, events, dockerode', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('kill -9 of skiffd: running containers keep running and are adopted', async () => {
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'survivor',
      'busybox',
      'sh',
      '-c',
      'while true; do echo tick; sleep 0.2; done',
    ]);
    await dockerOk(d, ['run', '-d', '--name', 'leaver', 'busybox', 'sh', '-c', 'sleep 2; exit 42']);
    const pid = (await dockerOk(d, ['inspect', '-f', '{{.State.Pid}}', 'survivor'])).trim();
    const skiffd = await d.skiffdPid();
    process.kill(skiffd, 'SIGKILL');
    await eventually(
      async () => ((await d.skiffdPid()) !== skiffd && (await ping(d.socket)) ? true : undefined),
      30_000,
      'a new skiffd',
    );
    // The container process never stopped.
    process.kill(Number(pid), 0);
    assert.equal(
      (await dockerOk(d, ['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'survivor'])).trim(),
      `running ${pid}`,
    );
    assert.equal(await dockerOk(d, ['exec', 'survivor', 'echo', 'adopted']), 'adopted\n');
    assert.match(await dockerOk(d, ['logs', '--tail', '1', 'survivor']), /tick/);
    // The one that exited while skiffd was away shows its true exit code.
    await eventually(
      async () =>
        (
          await dockerOk(d, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'leaver'])
        ).trim() === 'exited 42'
          ? true
          : undefined,
      30_000,
      'leaver exit 42',
    );
    await dockerOk(d, ['stop', '-t', '1', 'survivor']);
    assert.equal(
      (await dockerOk(d, ['inspect', '-f', '{{.State.Status}}', 'survivor'])).trim(),
      'exited',
    );
  });

  it('a container that exited while skiffd was down keeps its real FinishedAt (the exit file time)', async () => {
    await dockerOk(d, ['run', '-d', '--name', 'early', 'busybox', 'sh', '-c', 'sleep 1; exit 7']);
    const supervisor = d.process.pid ?? 0;
    const skiffd = await d.skiffdPid();
    // The supervisor is held so that skiffd stays away while the container exits.
    process.kill(supervisor, 'SIGSTOP');
    process.kill(skiffd, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 3000));
    const backAt = Date.now();
    process.kill(supervisor, 'SIGCONT');
    await eventually(
      async () => ((await d.skiffdPid()) !== skiffd && (await ping(d.socket)) ? true : undefined),
      30_000,
      'a new skiffd',
    );
    // The new skiffd records the exit it finds once it has adopted the container.
    const [status, finished] = await eventually(
      async () => {
        const out = (
          await dockerOk(d, [
            'inspect',
            '-f',
            '{{.State.Status}} {{.State.ExitCode}} {{.State.FinishedAt}}',
            'early',
          ])
        ).trim();
        return out.startsWith('exited ') ? out.split(' ').slice(1) : undefined;
      },
      30_000,
      'early recorded as exited',
    );
    assert.equal(status, '7');
    const at = Date.parse(finished ?? '');
    assert.ok(at < backAt - 1000, `FinishedAt ${finished} is the adoption time, not the exit`);
  });

  it('docker events streams lifecycle events; --since/--until replays them', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const child = spawn(
      dockerCli,
      [
        'events',
        '--filter',
        'type=container',
        '--format',
        '{{.Action}} {{.Actor.Attributes.name}}',
      ],
      { env: d.env },
    );
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise((r) => setTimeout(r, 500));
    await dockerOk(d, ['run', '--rm', '--name', 'evt', 'busybox', 'true']);
    await eventually(
      async () => (out.includes('destroy evt') ? true : undefined),
      10_000,
      'destroy event',
    );
    child.kill();
    assert.match(out, /create evt\n(.*\n)*start evt\n(.*\n)*die evt\n(.*\n)*destroy evt/);
    const until = Math.floor(Date.now() / 1000) + 1;
    const replay = await dockerOk(d, [
      'events',
      '--since',
      String(since),
      '--until',
      String(until),
      '--filter',
      'container=evt',
      '--format',
      '{{.Action}}',
    ]);
    assert.deepEqual(
      replay
        .trim()
        .split('\n')
        .filter((l) => ['create', 'start', 'die', 'destroy'].includes(l)),
      ['create', 'start', 'die', 'destroy'],
    );
  });

  it('system df counts images, containers and volumes', async () => {
    const out = await dockerOk(d, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}}']);
    assert.match(out, /^Images \d+$/m);
    assert.match(out, /^Containers \d+$/m);
    assert.match(out, /^Local Volumes \d+$/m);
  });

  it('dockerode drives the same API: create, start, wait, logs, inspect, remove', async () => {
    const client = new Docker({ socketPath: d.socket });
    const c = await client.createContainer({
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo via dockerode; exit 4'],
      Labels: { sdk: 'dockerode' },
    });
    await c.start();
    const res = (await c.wait()) as { StatusCode: number };
    assert.equal(res.StatusCode, 4);
    const logs = await c.logs({ stdout: true, stderr: true });
    assert.match(logs.toString('utf8'), /via dockerode/);
    const info = await c.inspect();
    assert.equal(info.Config.Labels['sdk'], 'dockerode');
    assert.equal(info.State.ExitCode, 4);
    await c.remove();
    await assert.rejects(
      client.getContainer(c.id).inspect(),
      (e: { statusCode?: number }) => e.statusCode === 404,
    );
    const list = await client.listContainers({ all: true, filters: { label: ['sdk=dockerode'] } });
    assert.equal(list.length, 0);
  });

  it('malformed bodies are 400 with a message', async () => {
    const r = await docker(d, ['run', '--rm', '--restart', 'always', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    const res = await rawRequest(
      d.socket,
      'POST',
      '/v1.50/containers/create',
      '{"Image": "busybox", "Cmd": ',
    );
    assert.equal(res.status, 400);
    assert.ok(typeof (JSON.parse(res.body) as { message: unknown }).message === 'string');
  });
});
