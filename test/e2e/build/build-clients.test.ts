// POST /build from real API clients other than the docker CLI: Debian's docker-compose v1 (its
// own docker-py build, not the CLI: COMPOSE_DOCKER_CLI_BUILD=0) and dockerode's buildImage, with
// a gzipped context ({context, src}) and a plain tar stream. Both parse the JSON progress stream
// themselves: compose looks for "Successfully built <id>", dockerode users for aux.ID.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { exec, type ExecResult } from '../../helpers/exec.js';
import { rawTar } from '../../helpers/raw-tar.js';

/** One line of the build's JSON progress stream (the fields dockerd sends). */
interface BuildEvent {
  stream?: string;
  aux?: { ID?: string };
  error?: string;
  errorDetail?: { code?: number; message?: string };
}

function follow(client: Docker, stream: NodeJS.ReadableStream): Promise<BuildEvent[]> {
  return new Promise((resolve, reject) => {
    client.modem.followProgress(stream, (err: Error | null, events: unknown[]) => {
      if (err) reject(err);
      else resolve(events as BuildEvent[]);
    });
  });
}

async function writeFiles(dir: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await chmod(dir, 0o755);
  for (const [name, content] of Object.entries(files)) {
    await writeFile(join(dir, name), content);
    await chmod(join(dir, name), 0o644);
  }
}

describe('POST /build from API clients', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('docker-compose v1: build: . with args, up + logs show the CMD output, down --rmi local', async () => {
    const dir = join(d.dir, 'compose-build');
    await writeFiles(dir, {
      Dockerfile: [
        'FROM busybox',
        'ARG MESSAGE=default',
        'RUN echo "compose says: $MESSAGE" > /msg',
        'CMD ["cat", "/msg"]',
        '',
      ].join('\n'),
      'docker-compose.yml': [
        'version: "2.4"',
        'services:',
        '  svc:',
        '    build:',
        '      context: .',
        '      args:',
        '        MESSAGE: from-compose-args',
        '',
      ].join('\n'),
    });
    const compose = (args: string[]): Promise<ExecResult> =>
      exec('/usr/bin/docker-compose', ['-p', 'skiffbuild', ...args], {
        cwd: dir,
        env: {
          ...d.env,
          COMPOSE_DOCKER_CLI_BUILD: '0',
          DOCKER_BUILDKIT: '0',
          COMPOSE_INTERACTIVE_NO_CLI: '1',
        },
        timeoutMs: 300_000,
      });
    const b = await compose(['build']);
    assert.equal(b.code, 0, `docker-compose build:\n${b.stdout}${b.stderr}`);
    assert.match(b.stdout + b.stderr, /Successfully built [0-9a-f]{12}/);
    assert.match(b.stdout + b.stderr, /Successfully tagged skiffbuild_svc:latest/);
    // `up -d` + `logs` rather than `run --rm -T`: compose v1's `run -T` against skiff loses the
    // output or hangs with any image, built or pulled (a separate attach bug, not the builder's).
    const up = await compose(['up', '-d']);
    assert.equal(up.code, 0, `docker-compose up -d:\n${up.stdout}${up.stderr}`);
    const id = (await compose(['ps', '-q', 'svc'])).stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal((await dockerOk(d, ['wait', id])).trim(), '0');
    const logs = await compose(['logs', '--no-color', 'svc']);
    assert.match(logs.stdout, /^svc_1\s+\| compose says: from-compose-args$/m, logs.stderr);
    const img = (await dockerOk(d, ['inspect', '-f', '{{.Config.Image}}', id])).trim();
    assert.equal(img, 'skiffbuild_svc');
    const down = await compose(['down', '--rmi', 'local']);
    assert.equal(down.code, 0, `docker-compose down:\n${down.stdout}${down.stderr}`);
    const gone = await docker(d, ['image', 'inspect', 'skiffbuild_svc']);
    assert.notEqual(gone.code, 0, 'down --rmi local must remove the built image');
    assert.equal((await dockerOk(d, ['ps', '-aq'])).trim(), '');
  });

  it('dockerode buildImage({context, src}) with t and buildargs: aux.ID and Successfully built/tagged', async () => {
    const client = new Docker({ socketPath: d.socket });
    const dir = join(d.dir, 'dockerode-build');
    await writeFiles(dir, {
      Dockerfile: [
        'FROM busybox',
        'ARG WHO=nobody',
        'COPY msg.txt /msg.txt',
        'RUN echo "built by $WHO" >> /msg.txt',
        'CMD ["cat", "/msg.txt"]',
        '',
      ].join('\n'),
      'msg.txt': 'hello\n',
    });
    // The {context, src} form sends a gzip-compressed tar.
    const stream = await client.buildImage(
      { context: dir, src: ['Dockerfile', 'msg.txt'] },
      { t: 'dockerode:built', buildargs: { WHO: 'dockerode' } },
    );
    const events = await follow(client, stream);
    const text = events.map((e) => e.stream ?? '').join('');
    const errors = events.filter((e) => e.error !== undefined || e.errorDetail !== undefined);
    assert.deepEqual(errors, [], text);
    const ids = events.flatMap((e) => (e.aux?.ID !== undefined ? [e.aux.ID] : []));
    assert.equal(ids.length, 1, `aux.ID events: ${JSON.stringify(ids)}`);
    const id = ids[0] ?? '';
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const info = await client.getImage('dockerode:built').inspect();
    assert.equal(info.Id, id);
    assert.match(text, new RegExp(`Successfully built ${id.slice(7, 19)}\\n`), text);
    assert.match(text, /Successfully tagged dockerode:built\n/, text);
    assert.match(text, /Step 1\/5 : FROM busybox/, text);
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'dockerode:built']),
      'hello\nbuilt by dockerode\n',
    );
  });

  it('dockerode buildImage(tar stream) of a failing RUN: the stream ends with errorDetail', async () => {
    const client = new Docker({ socketPath: d.socket });
    const tar = await rawTar([
      { name: 'Dockerfile', body: 'FROM busybox\nRUN echo before\nRUN exit 5\n' },
    ]);
    const stream = await client.buildImage(Readable.from([tar]), { t: 'dockerode:fails' });
    const events = await follow(client, stream);
    const last = events[events.length - 1];
    assert.ok(last, 'empty build stream');
    assert.equal(last.errorDetail?.code, 5, JSON.stringify(events));
    assert.match(last.errorDetail.message ?? '', /returned a non-zero code: 5/);
    assert.match(last.error ?? '', /returned a non-zero code: 5/);
    assert.ok(!events.some((e) => e.aux?.ID !== undefined), 'a failed build reported an image id');
    const text = events.map((e) => e.stream ?? '').join('');
    assert.match(text, /before\n/, 'the output of a RUN is streamed');
    assert.equal((await docker(d, ['image', 'inspect', 'dockerode:fails'])).code, 1);
  });

  it('dockerode buildImage of a bad Dockerfile: HTTP error or errorDetail naming the instruction', async () => {
    const client = new Docker({ socketPath: d.socket });
    const tar = await rawTar([{ name: 'Dockerfile', body: 'FROM busybox\nFOO bar\n' }]);
    // dockerd answers 400 before streaming for a parse error; a builder that starts streaming
    // first must at least report it in the stream.
    let message = '';
    try {
      const stream = await client.buildImage(Readable.from([tar]), { t: 'dockerode:bad' });
      const events = await follow(client, stream);
      message = events.map((e) => e.errorDetail?.message ?? '').join('');
    } catch (e) {
      message = e instanceof Error ? e.message : String(e);
    }
    assert.match(message, /unknown instruction: FOO/i);
  });
});
