// Issue 4: exec (incl. -i, -it, -d, exit codes) and logs (-f, --since, --tail, -t).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { exec } from '../../helpers/exec.js';
import { dockerCli } from '../../helpers/paths.js';

describe('exec and logs', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'svc',
      'busybox',
      'sh',
      '-c',
      'i=0; while true; do echo line $i; i=$((i+1)); sleep 0.2; done',
    ]);
  });
  after(async () => {
    await d.cleanup();
  });

  it('exec prints output and returns the exit code', async () => {
    assert.equal(await dockerOk(d, ['exec', 'svc', 'echo', 'from exec']), 'from exec\n');
    const r = await docker(d, ['exec', 'svc', 'sh', '-c', 'echo err >&2; exit 7']);
    assert.equal(r.code, 7);
    assert.equal(r.stderr, 'err\n');
  });

  it('exec -i passes stdin; exec -it gets a TTY; exec -d runs in the background', async () => {
    assert.equal(await dockerOk(d, ['exec', '-i', 'svc', 'cat'], { input: 'piped\n' }), 'piped\n');
    const ttyRun = (cmd: string): Promise<{ code: number | null; stdout: string }> =>
      exec(
        'script',
        ['-qec', `stty rows 30 cols 90; ${dockerCli} exec -it svc ${cmd}`, '/dev/null'],
        {
          env: d.env,
        },
      );
    // The whole output of this very short-lived process once went missing about one run in a
    // hundred (skiff-bridge took conmon's connection reset for the end of the stream).
    const tty = await ttyRun('stty size');
    assert.equal(tty.code, 0, tty.stdout);
    assert.match(tty.stdout, /30 90/);
    // The TTY path (conmon) reports the process's exit code, as the pipe path does.
    assert.equal((await ttyRun("sh -c 'exit 3'")).code, 3);
    await dockerOk(d, ['exec', '-d', 'svc', 'sh', '-c', 'echo detached > /tmp/d']);
    for (let i = 0; i < 50; i++) {
      const r = await docker(d, ['exec', 'svc', 'cat', '/tmp/d']);
      if (r.code === 0) {
        assert.equal(r.stdout, 'detached\n');
        return;
      }
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.fail('the detached exec did not run');
  });

  it('exec in a stopped container is a 409', async () => {
    await dockerOk(d, ['create', '--name', 'stopped', 'busybox', 'true']);
    const r = await docker(d, ['exec', 'stopped', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /is not running/);
  });

  it('logs --tail, -t and --since', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    const tail = (await dockerOk(d, ['logs', '--tail', '2', 'svc'])).trim().split('\n');
    assert.equal(tail.length, 2);
    assert.match(tail[0] ?? '', /^line \d+$/);
    const ts = await dockerOk(d, ['logs', '-t', '--tail', '1', 'svc']);
    assert.match(ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z line \d+\n$/);
    const future = await dockerOk(d, [
      'logs',
      '--since',
      `${Math.floor(Date.now() / 1000) + 3600}`,
      'svc',
    ]);
    assert.equal(future, '');
  });

  it('logs -f follows new output and ends when the container stops', async () => {
    await dockerOk(d, [
      'run',
      '-d',
      '--name',
      'short',
      'busybox',
      'sh',
      '-c',
      'sleep 1; echo first; sleep 1; echo second',
    ]);
    const child = spawn(dockerCli, ['logs', '-f', 'short'], { env: d.env });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 0);
    assert.equal(out, 'first\nsecond\n');
  });
});
