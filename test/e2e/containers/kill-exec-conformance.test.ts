// Issue 10, items 1-4: kill and exec behave as dockerd does where SDKs and the CLI look.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import Docker from 'dockerode';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { dockerCli } from '../../helpers/paths.js';

/** dockerd's message for an exec of a missing command, in runc's words or crun's (then in Go's errno spelling). */
const MISSING =
  /^OCI runtime exec failed: (exec failed: unable to start container process: exec: "nosuch": executable file not found in \$PATH|executable file `nosuch` not found in \$PATH: no such file or directory): unknown$/;

/** The stdout payloads of a stdcopy stream (throws if the bytes are not stdcopy frames). */
function demux(b: Buffer): { stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  let at = 0;
  while (at < b.length) {
    const kind = b[at];
    assert.ok(kind === 1 || kind === 2, `not a stdcopy frame at byte ${at}: ${b.toString()}`);
    const len = b.readUInt32BE(at + 4);
    const payload = b.subarray(at + 8, at + 8 + len).toString();
    if (kind === 1) stdout += payload;
    else stderr += payload;
    at += 8 + len;
  }
  return { stdout, stderr };
}

/** POST /exec/{id}/start with Upgrade: tcp, as the CLI does; resolves with the upgraded socket. */
function hijackExecStart(
  socketPath: string,
  execId: string,
  body: Record<string, unknown>,
): Promise<{ socket: Duplex; contentType: string; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const json = JSON.stringify(body);
    const req = request({
      socketPath,
      method: 'POST',
      path: `/v1.43/exec/${execId}/start`,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(json),
        Connection: 'Upgrade',
        Upgrade: 'tcp',
      },
    });
    req.on('upgrade', (res, socket, head) => {
      resolve({ socket, contentType: String(res.headers['content-type']), head });
    });
    req.on('response', (res) => {
      reject(new Error(`exec start answered ${res.statusCode} instead of 101`));
    });
    req.on('error', reject);
    req.end(json);
  });
}

/** Everything the upgraded socket still sends, until the daemon ends the stream. */
function readToEnd(socket: Duplex, head: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    const parts = [head];
    socket.on('data', (b: Buffer) => parts.push(b));
    socket.once('close', () => {
      resolve(Buffer.concat(parts));
    });
  });
}

describe('kill and exec conformance with dockerd (issue 10)', () => {
  let d: TestDaemon;
  let client: Docker;
  before(async () => {
    d = await daemonWithBusybox();
    client = new Docker({ socketPath: d.socket });
    await dockerOk(d, ['run', '-d', '--name', 'box', 'busybox', 'sleep', '3000']);
  });
  after(async () => {
    await d.cleanup();
  });

  it('kill with SIGKILL returns once the container has exited, so remove() right after it succeeds (dockerd: Kill waits for the exit)', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await client.createContainer({ Image: 'busybox', Cmd: ['sleep', '3000'] });
      await c.start();
      await c.kill();
      const state = (await c.inspect()).State;
      assert.equal(state.Running, false, `round ${i}: inspect right after kill says running`);
      assert.equal(state.ExitCode, 137);
      await c.remove();
    }
    // The CLI too: `docker kill x && docker rm x`.
    await dockerOk(d, ['run', '-d', '--name', 'cli-kill', 'busybox', 'sleep', '3000']);
    await dockerOk(d, ['kill', 'cli-kill']);
    await dockerOk(d, ['rm', 'cli-kill']);
  });

  it('restart and stop return with the container in its new state (dockerd: stop waits for the exit)', async () => {
    const c = await client.createContainer({ Image: 'busybox', Cmd: ['sleep', '3000'] });
    await c.start();
    await c.restart({ t: 0 });
    assert.equal((await c.inspect()).State.Running, true);
    await c.stop({ t: 0 });
    assert.equal((await c.inspect()).State.Running, false);
    await c.remove();
  });

  it('an exec created with Tty runs with a TTY although the start body omits Tty (dockerd takes the TTY from the create config; the start Tty only picks the framing)', async () => {
    const cmd = ['sh', '-c', 'printf "a\\nb\\n"; [ -t 1 ] && echo tty'];
    const e = await client
      .getContainer('box')
      .exec({ Cmd: cmd, Tty: true, AttachStdout: true, AttachStderr: true });
    // dockerode sends {hijack, stdin} only: no Tty, so dockerd frames the stream with stdcopy.
    const stream = await e.start({ hijack: true, stdin: false });
    const bytes = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        resolve(Buffer.concat(parts));
      });
    });
    assert.equal(demux(bytes).stdout, 'a\r\nb\r\ntty\r\n');
    assert.equal((await e.inspect()).ProcessConfig.tty, true);

    // Tty false in the start body: still a TTY; Tty true: the raw TTY stream.
    for (const startTty of [false, true]) {
      const created = await client
        .getContainer('box')
        .exec({ Cmd: cmd, Tty: true, AttachStdout: true, AttachStderr: true });
      const { socket, contentType, head } = await hijackExecStart(d.socket, created.id, {
        Detach: false,
        Tty: startTty,
      });
      const out = await readToEnd(socket, head);
      if (startTty) {
        assert.equal(contentType, 'application/vnd.docker.raw-stream');
        assert.equal(out.toString(), 'a\r\nb\r\ntty\r\n');
      } else {
        assert.equal(contentType, 'application/vnd.docker.multiplexed-stream');
        assert.equal(demux(out).stdout, 'a\r\nb\r\ntty\r\n');
      }
    }
  });

  it('ctrl-p ctrl-q detaches an exec session and leaves its process running (dockerd: exec_detach)', async () => {
    const e = await client.getContainer('box').exec({
      Cmd: ['sh', '-c', 'while read line; do echo got $line; done'],
      Tty: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const { socket, head } = await hijackExecStart(d.socket, e.id, { Detach: false, Tty: true });
    const ended = readToEnd(socket, head);
    let seen = head.toString();
    socket.on('data', (b: Buffer) => (seen += b.toString()));
    socket.write('one\n');
    // The shell's answer first: detach keys sent before it would end the session ahead of it.
    await eventually(() => Promise.resolve(seen.includes('got one') ? true : undefined));
    assert.equal((await e.inspect()).Running, true);
    socket.write(Buffer.from([0x10, 0x11]));
    const out = (
      await Promise.race([
        ended,
        new Promise<never>((_resolve, reject) =>
          setTimeout(() => {
            socket.destroy();
            reject(new Error('the exec stream did not end after ctrl-p ctrl-q'));
          }, 30_000).unref(),
        ),
      ])
    ).toString();
    assert.match(out, /got one/);
    const info = await e.inspect();
    assert.equal(info.Running, true, 'the exec stopped when its session detached');
    assert.match(await dockerOk(d, ['exec', 'box', 'ps', '-o', 'args']), /while read line/);

    // The docker CLI: `docker exec -it box sh`, then ctrl-p ctrl-q.
    const cli = spawn(
      'script',
      ['-qec', `${dockerCli} exec -it box sh -c 'echo ready; exec sleep 4321'`, '/dev/null'],
      { env: d.env, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let text = '';
    cli.stdout.on('data', (b: Buffer) => (text += b.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve));
    await eventually(() => Promise.resolve(text.includes('ready') ? true : undefined));
    cli.stdin.write(Buffer.from([0x10, 0x11]));
    const code = await Promise.race([
      exited,
      new Promise<'hung'>((resolve) =>
        setTimeout(() => {
          resolve('hung');
        }, 30_000).unref(),
      ),
    ]);
    if (code === 'hung') cli.kill('SIGKILL');
    assert.notEqual(code, 'hung', `docker exec -it did not detach: ${text}`);
    // What the CLI prints (and its status 1) when its session detaches, with dockerd as well.
    assert.match(text, /read escape sequence/);
    assert.match(await dockerOk(d, ['exec', 'box', 'ps', '-o', 'args']), /sleep 4321/);
  });

  it('exec of a missing command fails with exit code 126 and the OCI runtime message (dockerd: exec start error, ExitCode 126)', async () => {
    const r = await docker(d, ['exec', 'box', 'nosuch']);
    assert.equal(r.code, 126);
    assert.match(`${r.stdout}${r.stderr}`.trim(), MISSING);

    // With a TTY (the monitor's exec path).
    const tty = spawn('script', ['-qec', `${dockerCli} exec -it box nosuch`, '/dev/null'], {
      env: d.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let text = '';
    tty.stdout.on('data', (b: Buffer) => (text += b.toString()));
    const code = await new Promise<number | null>((resolve) => tty.on('exit', resolve));
    assert.equal(code, 126, text);
    assert.match(text.trim(), MISSING);

    // The SDK: the exec's ExitCode is 126; a detached start is the error itself.
    const e = await client.getContainer('box').exec({ Cmd: ['nosuch'], AttachStdout: true });
    const stream = await e.start({ hijack: true, stdin: false });
    const bytes = await new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      stream.on('data', (b: Buffer) => parts.push(b));
      stream.on('end', () => {
        resolve(Buffer.concat(parts));
      });
    });
    assert.match(demux(bytes).stdout, /\r\n$/);
    assert.match(demux(bytes).stdout.trimEnd(), MISSING);
    const info = await e.inspect();
    assert.equal(info.ExitCode, 126);
    assert.equal(info.Running, false);
    const detached = await docker(d, ['exec', '-d', 'box', 'nosuch']);
    assert.notEqual(detached.code, 0);
    assert.match(
      detached.stderr,
      /Error response from daemon: OCI runtime exec failed: .*(executable file not found|no such file or directory).*: unknown/,
    );
  });
});
