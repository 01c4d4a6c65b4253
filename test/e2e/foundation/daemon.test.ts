// Issue 2: `skiff daemon` starts a rootless Engine API daemon that the real docker CLI talks to.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';

describe('skiff daemon with the docker CLI', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startDaemon();
  });
  after(async () => {
    await d.cleanup();
  });

  it("docker info lists rootless among the security options and skiff's data root", async () => {
    const out = await dockerOk(d, ['info', '--format', '{{json .}}']);
    const info = JSON.parse(out) as {
      SecurityOptions: string[];
      DockerRootDir: string;
      Driver: string;
      CgroupDriver: string;
    };
    assert.ok(
      info.SecurityOptions.includes('name=rootless'),
      `SecurityOptions: ${info.SecurityOptions.join(', ')}`,
    );
    assert.equal(info.DockerRootDir, d.dataRoot);
    assert.ok(['overlay2', 'fuse-overlayfs', 'vfs'].includes(info.Driver));
  });

  it('docker version shows the server', async () => {
    const out = await dockerOk(d, [
      'version',
      '--format',
      '{{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}',
    ]);
    assert.equal(out.trim(), '1.50 1.24 linux');
  });

  it('a second skiff daemon on the same socket is refused, naming it', async () => {
    const second = await startDaemon({ noWait: true, dir: d.dir });
    const code = await new Promise<number | null>((resolve) => second.process.on('exit', resolve));
    assert.notEqual(code, 0);
    const log = await second.log();
    assert.match(log, /already (running|serving)/);
    assert.ok((await docker(d, ['info'])).code === 0, 'the first daemon still answers');
  });
});
