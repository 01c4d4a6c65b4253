import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../../../src/api/server.js';
import { Router } from '../../../src/api/router.js';
import { json } from '../../../src/api/reply.js';
import { silentLogger } from '../../../src/log.js';

const BODY_MS = 1000;

/** What the server sends on a raw connection until it closes it. */
function exchange(sock: string, write: (s: Socket) => void): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(sock);
    let got = '';
    s.on('data', (b: Buffer) => (got += b.toString()));
    // EPIPE when the server stops reading a body it refuses: what was read until then counts.
    s.on('error', () => undefined);
    s.on('close', () => {
      resolve(got);
    });
    s.on('connect', () => {
      write(s);
    });
  });
}

describe('JSON request bodies', () => {
  let dir = '';
  let sock = '';
  let server: ApiServer<object> | undefined;
  const router = new Router<object>()
    .on('POST', '/body', async (ctx) => json({ got: (await ctx.body()) ?? null }))
    .on('POST', '/exec-start', async (ctx) =>
      // An upgrade request whose body is read before the hijack (exec start).
      json({ got: (await ctx.body()) ?? null }),
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-body-'));
    sock = join(dir, 'api.sock');
    server = new ApiServer({
      router,
      services: {},
      log: silentLogger(),
      serverHeader: 'skiff/test',
      experimental: false,
      timeouts: { bodyMs: BODY_MS },
    });
    await server.listen([`unix://${sock}`]);
  });

  after(async () => {
    await server?.close(500);
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a body that arrives in pieces in time', { timeout: 10_000 }, async () => {
    const got = await exchange(sock, (s) => {
      s.write(
        'POST /body HTTP/1.1\r\nHost: docker\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"a"',
      );
      setTimeout(() => s.write(':[1]}'), 50);
    });
    assert.match(got, /^HTTP\/1\.1 200 /);
    assert.match(got, /\{"got":\{"a":\[1\]\}\}$/);
  });

  it(
    'answers 400 and closes when the body does not arrive in time',
    { timeout: 10_000 },
    async () => {
      const got = await exchange(sock, (s) => {
        s.write(
          'POST /body HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":',
        );
      });
      assert.match(got, /^HTTP\/1\.1 400 /);
      assert.match(got, /connection: close/i);
      assert.match(got, /\{"message":"request body not received within 1s"\}$/);
    },
  );

  it(
    'answers 400 and closes when a body larger than the limit comes',
    { timeout: 10_000 },
    async () => {
      const got = await exchange(sock, (s) => {
        s.write(
          'POST /body HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 17000000\r\n\r\n',
        );
        s.write(Buffer.alloc(17_000_000, 0x20));
      });
      assert.match(got, /^HTTP\/1\.1 400 /);
      assert.match(got, /request body larger than/);
    },
  );

  it('bounds the body of an upgrade request too', { timeout: 10_000 }, async () => {
    const got = await exchange(sock, (s) => {
      s.write(
        'POST /exec-start HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"Detach":',
      );
    });
    assert.match(got, /^HTTP\/1\.1 400 /);
    assert.match(got, /request body not received within 1s/);
  });
});
