// Issue 3: save → rmi → load round trip, import of a rootfs tar, login/push/pull against a TLS
// registry with htpasswd auth, and kill -9 of skiffd in the middle of a pull.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestDaemon } from '../../helpers/daemon.js';
import { ping, startDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { busyboxRef, sharedRegistry } from '../../helpers/test-registry-env.js';
import { buildImage, busyboxRootfs, layerTar, pushImage } from '../../helpers/image-builder.js';
import { startRegistry, type TestRegistry } from '../../helpers/registry.js';
import { exec, execOk } from '../../helpers/exec.js';
import { dockerCli } from '../../helpers/paths.js';
import { eventually } from '../../helpers/container-fixture.js';

describe('save/load, import, auth, interrupted pulls', () => {
  let d: TestDaemon;
  let secure: TestRegistry;
  before(async () => {
    d = await startDaemon();
    secure = await startRegistry({
      tls: true,
      auth: { username: 'alice', password: 'wonderland' },
    });
    const certs = join(d.home, '.config', 'skiff', 'certs.d', secure.addr);
    await mkdir(certs, { recursive: true });
    await writeFile(join(certs, 'ca.crt'), secure.caPem ?? '');
    await dockerOk(d, ['pull', busyboxRef()]);
  });
  after(async () => {
    await d.cleanup();
    await secure.stop();
  });

  it('save → rmi → load gives the same image back', async () => {
    const id = (await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', busyboxRef()])).trim();
    const file = join(d.dir, 'busybox.tar');
    await dockerOk(d, ['save', '-o', file, busyboxRef()]);
    const list = await execOk('tar', ['-tf', file]);
    assert.match(list, /^manifest\.json$/m);
    assert.match(list, /^index\.json$/m);
    await dockerOk(d, ['rmi', busyboxRef()]);
    const load = await dockerOk(d, ['load', '-i', file]);
    assert.match(load, new RegExp(`Loaded image: ${busyboxRef().replace(/[.]/g, '\\.')}`));
    assert.equal(
      (await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', busyboxRef()])).trim(),
      id,
    );
    assert.equal(
      (await dockerOk(d, ['run', '--rm', busyboxRef(), 'echo', 'loaded'])).trim(),
      'loaded',
    );
  });

  it('docker import of a rootfs tar', async () => {
    const file = join(d.dir, 'rootfs.tar');
    await writeFile(file, await layerTar(busyboxRootfs()));
    const id = (
      await dockerOk(d, ['import', '-c', 'CMD ["echo", "imported"]', file, 'imported:v1'])
    ).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await dockerOk(d, ['run', '--rm', 'imported:v1'])).trim(), 'imported');
  });

  it('login, push and pull against a TLS registry with htpasswd auth', async () => {
    const ref = `${secure.addr}/private/busybox:v1`;
    await dockerOk(d, ['tag', busyboxRef(), ref]);
    const denied = await docker(d, ['push', ref]);
    assert.notEqual(denied.code, 0);
    const bad = await docker(d, ['login', '-u', 'alice', '--password-stdin', secure.addr], {
      input: 'wrong\n',
    });
    assert.notEqual(bad.code, 0);
    const login = await dockerOk(d, ['login', '-u', 'alice', '--password-stdin', secure.addr], {
      input: 'wonderland\n',
    });
    assert.match(login, /Login Succeeded/);
    await dockerOk(d, ['push', ref]);
    await dockerOk(d, ['rmi', ref]);
    await dockerOk(d, ['pull', ref]);
    await dockerOk(d, ['logout', secure.addr]);
    await dockerOk(d, ['rmi', ref]);
    const anon = await docker(d, ['pull', ref]);
    assert.notEqual(anon.code, 0);
  });

  it('kill -9 of skiffd in the middle of a pull, then a clean pull', async () => {
    const big = await buildImage({
      layers: [
        busyboxRootfs(),
        [{ path: 'big', type: 'file', content: randomBytes(48 * 1024 * 1024) }],
        [{ path: 'big2', type: 'file', content: randomBytes(48 * 1024 * 1024) }],
      ],
      compression: 'none',
    });
    await pushImage({ addr: sharedRegistry() }, 'big', 'latest', big);
    const ref = `${sharedRegistry()}/big:latest`;
    const { spawn } = await import('node:child_process');
    const pull = spawn(dockerCli, ['pull', ref], { env: d.env });
    await eventually(
      async () =>
        (
          await exec('sh', [
            '-c',
            `ls ${d.dataRoot}/content/ingest ${d.dataRoot}/snapshots/*/snapshots 2>/dev/null | wc -l`,
          ])
        ).stdout.trim() !== '0'
          ? true
          : undefined,
      20_000,
      'the pull to start',
    );
    const skiffd = await d.skiffdPid();
    process.kill(skiffd, 'SIGKILL');
    await new Promise((r) => pull.on('exit', r));
    await eventually(
      async () => ((await d.skiffdPid()) !== skiffd && (await ping(d.socket)) ? true : undefined),
      30_000,
      'skiffd back',
    );
    await dockerOk(d, ['pull', ref]);
    assert.match(await dockerOk(d, ['run', '--rm', ref, 'ls', '-la', '/big', '/big2']), /50331648/);
  });
});
