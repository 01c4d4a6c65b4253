import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect, type TLSSocket } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import {
  isLoopbackHost,
  listenUnix,
  tlsServerOptions,
  tlsWarning,
} from '../../../src/api/listeners.js';
import { ApiServer } from '../../../src/api/server.js';
import { Router } from '../../../src/api/router.js';
import { json } from '../../../src/api/reply.js';
import { silentLogger } from '../../../src/log.js';

describe('listenUnix', () => {
  it('never lets the socket exist with the umask mode, and removes it on close', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-listen-unix-'));
    const old = process.umask(0o022);
    const server = createServer();
    try {
      const path = join(dir, 'api.sock');
      // 'listening' fires before listenUnix's own follow-up: what a client could see then.
      let atListening = 'not called';
      server.on('listening', () => {
        try {
          atListening = (lstatSync(path).mode & 0o777).toString(8);
        } catch {
          atListening = 'absent';
        }
      });
      await listenUnix(server, path);
      assert.ok(['absent', '600'].includes(atListening), `mode at listening: ${atListening}`);
      const st = await stat(path);
      assert.ok(st.isSocket());
      assert.equal(st.mode & 0o777, 0o600);
      assert.deepEqual(await readdir(dir), ['api.sock']);
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      assert.deepEqual(await readdir(dir), []);
    } finally {
      process.umask(old);
      server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('listenUnix with a long path', () => {
  it('says the path is too long instead of binding a cut-short name', async () => {
    const dir = join(tmpdir(), 'd'.repeat(100));
    await assert.rejects(listenUnix(createServer(), join(dir, 'api.sock')), /is too long/);
  });
});

describe('TLS options', () => {
  let dir = '';
  let cert = '';
  let key = '';

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-tls-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    makeCert(cert, key);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses tlsverify without tlscacert: Node would trust every public CA', async () => {
    assert.throws(
      () => tlsServerOptions({ verify: true, cert, key }, 'tcp://0.0.0.0:2376'),
      /"tlsverify" needs "tlscacert"/,
    );
    const server = new ApiServer({
      router: new Router<object>(),
      services: {},
      log: silentLogger(),
      serverHeader: 'skiff/test',
      experimental: false,
      tls: { verify: true, cert, key },
    });
    await assert.rejects(server.listen(['tcp://127.0.0.1:0']), /"tlsverify" needs "tlscacert"/);
    await server.close(100);
    const ok = tlsServerOptions({ verify: true, cert, key, ca: cert }, 'tcp://0.0.0.0:2376');
    assert.equal(ok.rejectUnauthorized, true);
    assert.deepEqual(ok.ca, await readFile(cert));
  });

  it('warns loudly about TLS without client verification off loopback', async () => {
    assert.equal(isLoopbackHost('127.0.0.1'), true);
    assert.equal(isLoopbackHost('127.1.2.3'), true);
    assert.equal(isLoopbackHost('::1'), true);
    assert.equal(isLoopbackHost('localhost'), true);
    assert.equal(isLoopbackHost('0.0.0.0'), false);
    assert.equal(isLoopbackHost('::'), false);
    assert.equal(isLoopbackHost('192.168.1.10'), false);
    assert.equal(
      tlsWarning({ verify: false, cert, key }, '127.0.0.1', 'tcp://127.0.0.1:2376'),
      undefined,
    );
    assert.equal(
      tlsWarning({ verify: true, cert, key, ca: cert }, '0.0.0.0', 'tcp://0.0.0.0:2376'),
      undefined,
    );
    assert.match(
      tlsWarning({ verify: false, cert, key }, '0.0.0.0', 'tcp://0.0.0.0:2376') ?? '',
      /tcp:\/\/0\.0\.0\.0:2376.*without "tlsverify".*anyone/,
    );

    // And the daemon says it when it listens so.
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const server = new ApiServer({
      router: new Router<object>(),
      services: {},
      log: pino({ level: 'warn' }, sink),
      serverHeader: 'skiff/test',
      experimental: false,
      tls: { verify: false, cert, key },
    });
    const port = await freePort();
    try {
      await server.listen([`tcp://0.0.0.0:${port}`]);
    } finally {
      await server.close(100);
    }
    const warn = lines.map((l) => JSON.parse(l) as { level: number; msg: string });
    assert.ok(
      warn.some((w) => w.level === 40 && /without "tlsverify"/.test(w.msg)),
      JSON.stringify(warn),
    );
  });
});

describe('TCP listener timeouts', () => {
  const IDLE = 500;
  let dir = '';
  let cert = '';
  let port = 0;
  let server: ApiServer<object> | undefined;

  const router = new Router<object>()
    .on('GET', '/ping', () => Promise.resolve(json({ ok: true })))
    .on('POST', '/body', async (ctx) => json({ got: (await ctx.body()) ?? null }))
    // Reads its body as a stream, as image load does: no body deadline, only the idle one.
    .on('POST', '/ping-upload', async (ctx) => {
      for await (const _ of ctx.raw) {
        // discard
      }
      return json({ got: 'still here' });
    })
    .on('GET', '/silent-stream', () => {
      async function* body(): AsyncIterable<string> {
        await sleep(IDLE * 4);
        yield 'still here\n';
      }
      return Promise.resolve({
        kind: 'stream',
        status: 200,
        contentType: 'application/json',
        body: body(),
        eagerHeaders: true,
      });
    })
    .on('POST', '/hijack', () =>
      Promise.resolve({
        kind: 'hijack',
        contentType: 'application/vnd.docker.raw-stream',
        run: async ({ socket }) => {
          await sleep(IDLE * 4);
          socket.write('still here\n');
        },
      }),
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-tcp-timeouts-'));
    cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    makeCert(cert, key);
    port = await freePort();
    server = new ApiServer({
      router,
      services: {},
      log: silentLogger(),
      serverHeader: 'skiff/test',
      experimental: false,
      tls: { verify: false, cert, key },
      timeouts: { idleMs: IDLE, headersMs: IDLE * 3, bodyMs: IDLE * 3 },
    });
    await server.listen([`tcp://127.0.0.1:${port}`]);
  });

  after(async () => {
    await server?.close(500);
    await rm(dir, { recursive: true, force: true });
  });

  const open = async (): Promise<TLSSocket> => {
    const ca = await readFile(cert);
    return new Promise((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
        resolve(s);
      });
      s.once('error', reject);
    });
  };

  /** Everything the server sends until it closes the connection. */
  const untilClosed = (s: TLSSocket): Promise<string> =>
    new Promise((resolve) => {
      let got = '';
      s.on('data', (b: Buffer) => (got += b.toString()));
      s.on('error', () => undefined);
      s.on('close', () => {
        resolve(got);
      });
    });

  it('answers a normal request', async () => {
    const s = await open();
    const done = untilClosed(s);
    s.write('GET /ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    assert.match(await done, /^HTTP\/1\.1 200 [\s\S]*\{"ok":true\}$/);
  });

  it('drops a connection that never sends a request', { timeout: 10_000 }, async () => {
    const s = await open();
    assert.equal(await untilClosed(s), '');
  });

  /** Writes `piece` every fifth of the idle timeout, so that the connection is never idle. */
  const drip = (s: TLSSocket, piece: string): void => {
    const timer = setInterval(() => {
      if (!s.destroyed) s.write(piece);
    }, IDLE / 5);
    s.once('close', () => {
      clearInterval(timer);
    });
  };

  it(
    'drops a connection whose headers never end, even if bytes keep coming',
    { timeout: 10_000 },
    async () => {
      const s = await open();
      const done = untilClosed(s);
      s.write('GET /ping HTTP/1.1\r\nHost: docker\r\n');
      drip(s, 'X-Slow: 1\r\n');
      assert.doesNotMatch(await done, /200 OK/);
    },
  );

  it(
    'answers a JSON body that never ends with an error and closes',
    { timeout: 10_000 },
    async () => {
      const s = await open();
      const done = untilClosed(s);
      s.write(
        'POST /body HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":',
      );
      drip(s, ' ');
      const got = await done;
      assert.match(got, /^HTTP\/1\.1 400 /);
      assert.match(got, /connection: close/i);
      assert.match(got, new RegExp(`request body not received within ${IDLE * 3}ms`));
    },
  );

  it('drops a connection whose request body stalls', { timeout: 10_000 }, async () => {
    const s = await open();
    const done = untilClosed(s);
    s.write('POST /ping-upload HTTP/1.1\r\nHost: docker\r\nContent-Length: 100000\r\n\r\nabc');
    assert.doesNotMatch(await done, /still here/);
  });

  it('keeps a silent stream open past the idle timeout', { timeout: 10_000 }, async () => {
    const s = await open();
    const done = untilClosed(s);
    s.write('GET /silent-stream HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
    assert.match(await done, /still here/);
  });

  it(
    'keeps a hijacked stream open past the idle timeout, upgraded or not',
    { timeout: 10_000 },
    async () => {
      for (const upgrade of ['Connection: Upgrade\r\nUpgrade: tcp\r\n', '']) {
        const s = await open();
        const done = untilClosed(s);
        s.write(`POST /hijack HTTP/1.1\r\nHost: docker\r\n${upgrade}Content-Length: 0\r\n\r\n`);
        const got = await done;
        assert.match(got, upgrade ? /^HTTP\/1\.1 101 / : /^HTTP\/1\.1 200 /);
        assert.match(got, /still here/);
      }
    },
  );
});

function makeCert(cert: string, key: string): void {
  execFileSync(
    '/usr/bin/openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
}

/** A TCP port nothing listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const p = typeof a === 'object' && a ? a.port : 0;
      s.close(() => {
        resolve(p);
      });
    });
  });
}
