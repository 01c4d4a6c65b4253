// Issue 2: configuration errors, restarts, signals, listeners, setup, doctor, nsenter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { ping, startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { eventually } from '../../helpers/container-fixture.js';
import { exec } from '../../helpers/exec.js';
import { skiffCli } from '../../helpers/paths.js';
import { freePort, makeCertificates } from '../../helpers/registry.js';
import { rawRequest } from '../../helpers/raw-request.js';

async function exitOf(d: TestDaemon): Promise<number | null> {
  return new Promise((resolve) => {
    if (d.process.exitCode !== null) resolve(d.process.exitCode);
    else d.process.on('exit', resolve);
  });
}

describe('skiff daemon: configuration, restarts, errors', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d.cleanup();
  });

  it('bad requests get Docker-shaped errors', async () => {
    const old = await rawRequest(d.socket, 'GET', '/v1.12/info');
    assert.equal(old.status, 400);
    assert.match(
      (JSON.parse(old.body) as { message: string }).message,
      /client version 1\.12 is too old\. Minimum supported API version is 1\.24/,
    );
    const missing = await rawRequest(d.socket, 'GET', '/v1.50/no/such/route');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { message: 'page not found' });
    const malformed = await rawRequest(d.socket, 'POST', '/containers/create', '{"Image":');
    assert.equal(malformed.status, 400);
    assert.match((JSON.parse(malformed.body) as { message: string }).message, /invalid JSON/);
    const noSuch = await rawRequest(d.socket, 'GET', '/containers/nope/json');
    assert.equal(noSuch.status, 404);
    assert.deepEqual(JSON.parse(noSuch.body), { message: 'No such container: nope' });
    assert.doesNotMatch(malformed.body + noSuch.body, /at .*\.js:\d+/);
  });

  it('the engine ID is stable across restarts; kill -9 of skiffd brings a new one', async () => {
    const id = (await dockerOk(d, ['info', '--format', '{{.ID}}'])).trim();
    const pid = await d.skiffdPid();
    process.kill(pid, 'SIGKILL');
    await eventually(
      async () => ((await d.skiffdPid()) !== pid && (await ping(d.socket)) ? true : undefined),
      30_000,
      'a restarted skiffd',
    );
    assert.equal((await dockerOk(d, ['info', '--format', '{{.ID}}'])).trim(), id);
  });

  it('skiff nsenter runs a command as root of the namespaces', async () => {
    const r = await exec(process.execPath, [skiffCli, 'nsenter', 'id', '-u'], { env: d.env });
    assert.equal(r.stdout.trim(), '0', r.stderr);
  });

  it('skiff doctor checks the running daemon and says where the client points', async () => {
    const r = await exec(process.execPath, [skiffCli, 'doctor'], { env: d.env });
    assert.match(r.stdout, /\[ ok \] skiffd answers on the socket: answers; rootless/);
    assert.match(r.stdout, /\[ ok \] the docker client points at skiff: DOCKER_HOST=/);
    assert.match(r.stdout, /cgroup v2 delegation/);
  });

  it('skiff setup install creates and selects the "rootless" context; uninstall removes it', async () => {
    // Without DOCKER_HOST, so the docker CLI follows the context that install selects.
    const { DOCKER_HOST: _unused, ...env } = d.env;
    const inst = await exec(process.execPath, [skiffCli, 'setup', 'install'], { env });
    assert.equal(inst.code, 0, inst.stderr + inst.stdout);
    assert.match(inst.stdout, /Current context is now "rootless"/);
    assert.match(
      inst.stdout,
      new RegExp(`export DOCKER_HOST=unix://${d.socket.replace(/[.]/g, '\\.')}`),
    );
    assert.equal(
      (await docker({ env }, ['info', '--format', '{{.DockerRootDir}}'])).stdout.trim(),
      d.dataRoot,
    );
    const un = await exec(process.execPath, [skiffCli, 'setup', 'uninstall'], { env });
    assert.equal(un.code, 0, un.stderr);
    assert.match(un.stdout, /Removed context "rootless"/);
  });

  it('SIGTERM stops the daemon with exit status 0 and removes the socket', async () => {
    assert.equal(await d.stop(), 0);
    await assert.rejects(access(d.socket));
  });
});

describe('skiff daemon refuses what it must', () => {
  it('an unknown daemon.json key stops the daemon with a message naming it; so does a bad value', async () => {
    const a = await startDaemon({ config: { 'no-such-option': true }, noWait: true });
    assert.notEqual(await exitOf(a), 0);
    assert.match(
      await a.log(),
      /the following directives don't match any configuration option: no-such-option/,
    );
    await a.cleanup();
    const b = await startDaemon({ config: { 'max-concurrent-downloads': 'many' }, noWait: true });
    assert.notEqual(await exitOf(b), 0);
    assert.match(await b.log(), /max-concurrent-downloads/);
    await b.cleanup();
  });

  it('a plain TCP listener without TLS is refused with a message', async () => {
    const port = await freePort();
    const t = await startDaemon({ args: ['-H', `tcp://127.0.0.1:${port}`], noWait: true });
    assert.notEqual(await exitOf(t), 0);
    assert.match(await t.log(), /refusing to listen on tcp:\/\/127\.0\.0\.1:\d+ without TLS/);
    await t.cleanup();
  });

  it('a TCP listener with TLS serves the docker CLI; plain HTTP on it gets nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-tls-'));
    await mkdir(join(dir, 'certs'));
    await makeCertificates(join(dir, 'certs'));
    const port = await freePort();
    const t = await startDaemon({
      dir,
      config: {
        hosts: [`unix://${join(dir, 'run', 'docker.sock')}`, `tcp://127.0.0.1:${port}`],
        tlscert: join(dir, 'certs', 'server.crt'),
        tlskey: join(dir, 'certs', 'server.key'),
      },
    });
    try {
      const { DOCKER_HOST: _unused, ...env } = t.env;
      const r = await docker({ env }, [
        '-H',
        `tcp://127.0.0.1:${port}`,
        '--tlsverify',
        '--tlscacert',
        join(dir, 'certs', 'ca.crt'),
        'version',
        '--format',
        '{{.Server.Os}}',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'linux');
      const plain = await fetch(`http://127.0.0.1:${port}/_ping`).then(
        (res) => res.status,
        () => 'refused',
      );
      assert.notEqual(plain, 200);
    } finally {
      await t.cleanup();
    }
  });

  it('a stale socket file is replaced; a socket another process serves is refused', async () => {
    const dir = join(tmpdir(), `skiff-stale-${process.pid}`);
    await mkdir(join(dir, 'run'), { recursive: true, mode: 0o700 });
    const sock = join(dir, 'run', 'docker.sock');
    // A socket file whose server is gone.
    const srv = createServer().listen(sock);
    await new Promise((r) => srv.once('listening', r));
    srv.close();
    const stale = await startDaemon({ dir });
    assert.ok(await ping(stale.socket));
    await stale.stop();
    // A socket someone serves.
    const busy = createServer().listen(sock);
    await new Promise((r) => busy.once('listening', r));
    const refused = await startDaemon({ dir, noWait: true });
    assert.notEqual(await exitOf(refused), 0);
    assert.match(await refused.log(), /another daemon is already serving/);
    busy.close();
    await refused.cleanup();
  });
});
