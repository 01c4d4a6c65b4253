// A client that goes away in the middle of a build cancels it: the RUN step's process is killed,
// its container removed, the context and mount points gone; the daemon carries on. dockerd does
// the same for the classic builder (the request context is cancelled).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { rawTar } from '../../helpers/raw-tar.js';

describe('a build whose client disconnects', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  /** Sends a context, reads the stream until `marker` appears, then hangs up. */
  async function buildAndLeave(dockerfile: string, marker: string): Promise<void> {
    const context = await rawTar([{ name: 'Dockerfile', body: dockerfile }]);
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          socketPath: d.socket,
          method: 'POST',
          path: '/v1.45/build?nocache=1',
          headers: { 'Content-Type': 'application/x-tar' },
        },
        (res) => {
          let seen = '';
          res.on('data', (chunk: Buffer) => {
            seen += chunk.toString('utf8');
            if (seen.includes(marker)) {
              req.destroy();
              resolve();
            }
          });
          res.on('end', () => {
            reject(new Error(`the build ended before ${marker} appeared: ${seen}`));
          });
        },
      );
      req.on('error', (e) => {
        if (!req.destroyed) reject(e);
      });
      req.end(context);
    });
  }

  async function nothingLeft(): Promise<void> {
    await eventually(
      async () => ((await dockerOk(d, ['ps', '-aq'])).trim() === '' ? true : undefined),
      30_000,
      'the RUN container to be removed',
    );
    await eventually(
      async () => ((await readdir(join(d.dataRoot, 'build'))).length === 0 ? true : undefined),
      10_000,
      'the build directory to be empty',
    );
  }

  it('while the RUN runs: the process is killed, its container removed', async () => {
    // The marker is in the command's output only ("st"arted in the step header).
    await buildAndLeave('FROM busybox\nRUN echo "st"arted && sleep 300\n', 'started');
    await nothingLeft();
  });

  it('before the RUN starts: it never starts', async () => {
    await buildAndLeave('FROM busybox\nRUN echo hello && sleep 300\n', 'Step 2/2');
    await nothingLeft();
  });

  it('leaves a daemon that builds again', async () => {
    const again = await dockerOk(d, ['build', '-q', '-'], {
      input: 'FROM busybox\nRUN echo again\n',
      env: { DOCKER_BUILDKIT: '0' },
    });
    assert.match(again, /^sha256:[0-9a-f]{64}/m);
  });
});
