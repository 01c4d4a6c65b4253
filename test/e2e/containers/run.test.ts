// Issue 4: `docker run` in its common forms, with the real docker CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { exec } from '../../helpers/exec.js';
import { dockerCli } from '../../helpers/paths.js';

describe('docker run', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('prints the output of a foreground container and removes it with --rm', async () => {
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '--name',
      'hello',
      'busybox',
      'echo',
      'hi there',
    ]);
    assert.equal(out, 'hi there\n');
    const ps = await dockerOk(d, ['ps', '-a', '--filter', 'name=hello', '--format', '{{.Names}}']);
    assert.equal(ps.trim(), '');
  });

  it('propagates the exit code', async () => {
    const r = await docker(d, ['run', '--rm', 'busybox', 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 3);
  });

  it('passes piped stdin with -i and closes it at EOF', async () => {
    const out = await dockerOk(d, ['run', '-i', '--rm', 'busybox', 'cat'], {
      input: 'hi\nfrom stdin\n',
    });
    assert.equal(out, 'hi\nfrom stdin\n');
  });

  it('separates stdout and stderr', async () => {
    const r = await docker(d, ['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
  });

  it('runs with a TTY under a pseudo-terminal and resizes it (docker run -it)', async () => {
    // script(1) gives the CLI a real terminal of 40x100; the CLI resizes the container's TTY to it.
    const r = await exec(
      'script',
      ['-qec', `stty rows 40 cols 100; ${dockerCli} run -it --rm busybox stty size`, '/dev/null'],
      { env: d.env },
    );
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /40 100/);
  });

  it('a command that does not exist exits 127 with the runtime message', async () => {
    const r = await docker(d, ['run', '--rm', 'busybox', 'no-such-command']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /no-such-command/);
  });

  it('-d returns the id at once; logs, stop and rm work on it', async () => {
    const id = (
      await dockerOk(d, [
        'run',
        '-d',
        '--name',
        'bg',
        'busybox',
        'sh',
        '-c',
        'echo started; sleep 300',
      ])
    ).trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    const status = await dockerOk(d, [
      'inspect',
      '-f',
      '{{.State.Status}} {{.State.Running}}',
      'bg',
    ]);
    assert.equal(status.trim(), 'running true');
    for (let i = 0; i < 50 && !(await dockerOk(d, ['logs', 'bg'])).includes('started'); i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(await dockerOk(d, ['logs', 'bg']), 'started\n');
    await dockerOk(d, ['stop', '-t', '1', 'bg']);
    const exited = await dockerOk(d, ['inspect', '-f', '{{.State.Status}}', 'bg']);
    assert.equal(exited.trim(), 'exited');
    await dockerOk(d, ['rm', 'bg']);
  });

  it('a bind mount written by container root creates files the user owns on the host (seed 004)', async () => {
    const dir = await mkdtemp(join(d.dir, 'bind-'));
    await dockerOk(d, [
      'run',
      '--rm',
      '-v',
      `${dir}:/data`,
      'busybox',
      'sh',
      '-c',
      'echo written > /data/file',
    ]);
    const st = await stat(join(dir, 'file'));
    assert.equal(st.uid, process.getuid?.());
    assert.equal(await readFile(join(dir, 'file'), 'utf8'), 'written\n');
  });

  it('env, workdir, user, hostname and --init reach the process', async () => {
    const out = await dockerOk(d, [
      'run',
      '--rm',
      '-e',
      'FOO=bar',
      '-w',
      '/tmp',
      '-u',
      '65534:65534',
      '-h',
      'myhost',
      'busybox',
      'sh',
      '-c',
      'echo $FOO $(pwd) $(id -u) $(hostname)',
    ]);
    assert.equal(out.trim(), 'bar /tmp 65534 myhost');
    const init = await dockerOk(d, [
      'run',
      '--rm',
      '--init',
      'busybox',
      'sh',
      '-c',
      'cat /proc/1/cmdline | tr "\\0" " "',
    ]);
    assert.match(init, /docker-init/);
  });

  it("a taken name is a 409 conflict with Docker's message", async () => {
    await dockerOk(d, ['create', '--name', 'taken', 'busybox', 'true']);
    const r = await docker(d, ['create', '--name', 'taken', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /Conflict\. The container name "\/taken" is already in use by container/,
    );
  });

  it('an unknown image is a 404: the CLI tries to pull it and reports the registry error', async () => {
    const r = await docker(d, [
      'run',
      '--rm',
      `${process.env['SKIFF_TEST_REGISTRY'] ?? ''}/does-not-exist:v1`,
      'true',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Unable to find image|not found|manifest unknown/);
  });
});
