import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer } from '../../../src/api/server.js';
import { Router } from '../../../src/api/router.js';
import { empty, json, text } from '../../../src/api/reply.js';
import { MAX_API_VERSION } from '../../../src/api/version.js';
import { ConflictError, NotFoundError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';

interface Services {
  readonly greeting: string;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function call(socketPath: string, method: string, path: string, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method, path, agent: false, headers: { Host: 'docker' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (body !== undefined) {
      req.setHeader('Content-Type', 'application/json');
      req.end(body);
    } else req.end();
  });
}

function bodyOf(a: Answer): unknown {
  assert.match(String(a.headers['content-type']), /^application\/json/);
  return JSON.parse(a.body);
}

const router = new Router<Services>()
  .on('GET', '/echo/{id}', (ctx, s) =>
    Promise.resolve(
      json({
        id: ctx.params['id'],
        version: ctx.version,
        path: ctx.path,
        q: ctx.query.get('q'),
        greeting: s.greeting,
      }),
    ),
  )
  .on('POST', '/body', async (ctx) => json({ got: (await ctx.body()) ?? null }, 201))
  .on('POST', '/ignores-body', () => Promise.resolve(empty()))
  .on('GET', '/text', () => Promise.resolve(text('plain words')))
  .on('GET', '/boom', () => Promise.reject(new Error('the disk caught fire')))
  .on('GET', '/type-error', () => {
    const o = JSON.parse('null') as { x: { y: number } };
    return Promise.resolve(json(o.x.y));
  })
  .on('GET', '/missing', () => Promise.reject(new NotFoundError('No such container: abc')))
  .on('GET', '/busy', () => Promise.reject(new ConflictError('container abc is busy')));

describe('ApiServer on a unix socket', () => {
  let dir = '';
  let sock = '';
  let server: ApiServer<Services> | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-api-test-'));
    sock = join(dir, 'api.sock');
    server = new ApiServer<Services>({
      router,
      services: { greeting: 'hi' },
      log: silentLogger(),
      serverHeader: 'skiff/test',
      experimental: false,
    });
    await server.listen([`unix://${sock}`]);
  });

  after(async () => {
    await server?.close(1000);
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the socket with mode 0600', async () => {
    const st = await stat(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o600);
  });

  it('routes to the handler with params, query, services and the newest version', async () => {
    const a = await call(sock, 'GET', '/echo/abc?q=1');
    assert.equal(a.status, 200);
    assert.deepEqual(bodyOf(a), {
      id: 'abc',
      version: MAX_API_VERSION,
      path: '/echo/abc',
      q: '1',
      greeting: 'hi',
    });
  });

  it('sends the common Docker headers on every reply, errors included', async () => {
    for (const path of ['/echo/x', '/nope', '/boom']) {
      const a = await call(sock, 'GET', path);
      assert.equal(a.headers['api-version'], '1.50', path);
      assert.equal(a.headers['ostype'], 'linux', path);
      assert.equal(a.headers['server'], 'skiff/test', path);
      assert.equal(a.headers['docker-experimental'], 'false', path);
    }
  });

  it('strips a /v1.NN prefix and hands the version to the handler', async () => {
    const a = await call(sock, 'GET', '/v1.41/echo/x');
    assert.equal(a.status, 200);
    assert.deepEqual(bodyOf(a), {
      id: 'x',
      version: '1.41',
      path: '/echo/x',
      q: null,
      greeting: 'hi',
    });
    assert.equal(
      (bodyOf(await call(sock, 'GET', '/v1.24/echo/x')) as { version: string }).version,
      '1.24',
    );
  });

  it("answers 400 with dockerd's message to a version too old or too new", async () => {
    const old = await call(sock, 'GET', '/v1.12/echo/x');
    assert.equal(old.status, 400);
    assert.deepEqual(bodyOf(old), {
      message:
        'client version 1.12 is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version',
    });
    const young = await call(sock, 'GET', '/v1.99/echo/x');
    assert.equal(young.status, 400);
    assert.deepEqual(bodyOf(young), {
      message: 'client version 1.99 is too new. Maximum supported API version is 1.50',
    });
  });

  it('answers 404 {"message":"page not found"} to unknown paths and methods', async () => {
    for (const [method, path] of [
      ['GET', '/nope'],
      ['GET', '/v1.41/nope'],
      ['POST', '/echo/x'],
      ['GET', '/echo/x/y'],
      ['GET', '/v1.41'],
    ] as const) {
      const a = await call(sock, method, path);
      assert.equal(a.status, 404, `${method} ${path}`);
      assert.equal(a.body, '{"message":"page not found"}', `${method} ${path}`);
    }
  });

  it('parses a JSON body when the handler reads it; none is undefined', async () => {
    const a = await call(sock, 'POST', '/body', '{"Image":"busybox","Cmd":["true"]}');
    assert.equal(a.status, 201);
    assert.deepEqual(bodyOf(a), { got: { Image: 'busybox', Cmd: ['true'] } });
    const none = await call(sock, 'POST', '/body');
    assert.deepEqual(bodyOf(none), { got: null });
    const blank = await call(sock, 'POST', '/body', '  \n');
    assert.deepEqual(bodyOf(blank), { got: null });
  });

  it('answers 400 to malformed JSON', async () => {
    const a = await call(sock, 'POST', '/body', '{"Image": ');
    assert.equal(a.status, 400);
    const b = bodyOf(a) as { message: string };
    assert.match(b.message, /^invalid JSON in request body: /);
    assert.deepEqual(Object.keys(b), ['message']);
  });

  it('does not read a body the handler does not ask for', async () => {
    const a = await call(sock, 'POST', '/ignores-body', 'not json at all');
    assert.equal(a.status, 204);
    assert.equal(a.body, '');
  });

  it('maps typed errors to their status with the message only', async () => {
    const missing = await call(sock, 'GET', '/missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body, '{"message":"No such container: abc"}');
    const busy = await call(sock, 'GET', '/busy');
    assert.equal(busy.status, 409);
    assert.equal(busy.body, '{"message":"container abc is busy"}');
  });

  it('answers 500 to a plain Error and a TypeError, with the message and no stack', async () => {
    const a = await call(sock, 'GET', '/boom');
    assert.equal(a.status, 500);
    assert.equal(a.body, '{"message":"the disk caught fire"}');
    const t = await call(sock, 'GET', '/type-error');
    assert.equal(t.status, 500);
    const b = bodyOf(t) as { message: string };
    assert.deepEqual(Object.keys(b), ['message']);
    assert.match(b.message, /null/);
    for (const body of [a.body, t.body]) {
      assert.doesNotMatch(body, /\n\s*at /);
      assert.doesNotMatch(body, /server\.test\.ts|\.ts:\d+/);
      assert.doesNotMatch(body, /stack/i);
    }
  });

  it('sends text replies with their content type and length', async () => {
    const a = await call(sock, 'GET', '/text');
    assert.equal(a.status, 200);
    assert.equal(a.body, 'plain words');
    assert.equal(a.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(a.headers['content-length'], String(Buffer.byteLength('plain words')));
  });

  it('answers HEAD through the GET route, with headers and no body', async () => {
    const a = await call(sock, 'HEAD', '/echo/x');
    assert.equal(a.status, 200);
    assert.equal(a.body, '');
    assert.match(String(a.headers['content-type']), /^application\/json/);
    assert.ok(Number(a.headers['content-length']) > 0);
  });
});

describe('ApiServer.close', () => {
  it('stops answering and frees the socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-api-close-'));
    try {
      const sock = join(dir, 'api.sock');
      const s = new ApiServer<Services>({
        router,
        services: { greeting: 'bye' },
        log: silentLogger(),
        serverHeader: 'skiff/test',
        experimental: true,
      });
      await s.listen([`unix://${sock}`]);
      const a = await call(sock, 'GET', '/echo/x');
      assert.equal(a.headers['docker-experimental'], 'true');
      await s.close(1000);
      await assert.rejects(call(sock, 'GET', '/echo/x'), /ENOENT|ECONNREFUSED/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses to take over a socket another server answers on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-api-twice-'));
    const sock = join(dir, 'api.sock');
    const opts = {
      router,
      services: { greeting: 'x' },
      log: silentLogger(),
      serverHeader: 'skiff/test',
      experimental: false,
    };
    const first = new ApiServer<Services>(opts);
    try {
      await first.listen([`unix://${sock}`]);
      await assert.rejects(
        new ApiServer<Services>(opts).listen([`unix://${sock}`]),
        /another daemon is already serving/,
      );
      assert.equal((await call(sock, 'GET', '/echo/x')).status, 200);
    } finally {
      await first.close(1000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ApiServer onRequestEnd', () => {
  it('is called once per request, after the reply, errors included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-api-end-'));
    let ended = 0;
    const s = new ApiServer<Services>({
      router,
      services: { greeting: 'x' },
      log: silentLogger(),
      serverHeader: 'skiff/test',
      experimental: false,
      onRequestEnd: () => ended++,
    });
    try {
      const sock = join(dir, 'api.sock');
      await s.listen([`unix://${sock}`]);
      assert.equal(ended, 0);
      assert.equal((await call(sock, 'GET', '/echo/x')).status, 200);
      assert.equal((await call(sock, 'GET', '/nope')).status, 404);
      // The client may see the reply a moment before the server's bookkeeping ends the request.
      for (let i = 0; i < 100 && ended < 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(ended, 2);
    } finally {
      await s.close(1000);
      await rm(dir, { recursive: true, force: true });
    }
  });
});
