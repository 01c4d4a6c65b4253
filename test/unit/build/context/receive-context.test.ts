import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { rawTar, type RawEntry } from '../../../helpers/raw-tar.js';
import {
  receiveContext,
  type BuildContext,
} from '../../../../src/build/context/receive-context.js';

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );

describe('receiveContext', () => {
  let tmpRoot: string;
  before(async () => {
    tmpRoot = await mkdtemp(join(tmpdir(), 'skiff-receive-'));
  });
  after(() => rm(tmpRoot, { recursive: true, force: true }));

  const receive = (
    body: Buffer | string,
    o: { dockerfile?: string; remote?: string } = {},
  ): Promise<BuildContext> =>
    receiveContext({
      body: Readable.from([Buffer.from(body)]),
      tmpRoot,
      signal: new AbortController().signal,
      ...o,
    });

  /** Runs `fn` on a received context, then checks that cleanup leaves nothing behind. */
  async function withContext(
    body: Buffer | string,
    o: { dockerfile?: string; remote?: string },
    fn: (c: BuildContext) => Promise<void>,
  ): Promise<void> {
    const c = await receive(body, o);
    try {
      await fn(c);
    } finally {
      await c.cleanup();
      await c.cleanup();
    }
    assert.deepEqual(await readdir(tmpRoot), []);
  }

  const simple: RawEntry[] = [
    { name: 'Dockerfile', body: 'FROM scratch\n' },
    { name: 'app/', type: 'directory' },
    { name: 'app/main.txt', body: 'main' },
  ];

  it('a tar: extracted into a fresh 0700 directory, the Dockerfile read', async () => {
    await withContext(await rawTar(simple), {}, async (c) => {
      assert.equal(c.dockerfileText, 'FROM scratch\n');
      assert.equal(c.dockerfileName, 'Dockerfile');
      assert.equal(await readFile(join(c.dir, 'app/main.txt'), 'utf8'), 'main');
      assert.ok(c.dir.startsWith(tmpRoot));
      assert.ok(c.rootFd >= 0);
    });
  });

  it('gzip, bzip2 and xz tars are told apart by their magic bytes', async () => {
    const t = await rawTar(simple);
    for (const body of [
      gzipSync(t),
      execFileSync('bzip2', ['-c'], { input: t }),
      execFileSync('xz', ['-c'], { input: t }),
    ])
      await withContext(body, {}, async (c) => {
        assert.equal(c.dockerfileText, 'FROM scratch\n');
        assert.equal(await readFile(join(c.dir, 'app/main.txt'), 'utf8'), 'main');
      });
  });

  it('a body that is no tar is the Dockerfile itself; an empty one is refused', async () => {
    await withContext('FROM busybox\nRUN true\n', {}, async (c) => {
      assert.equal(c.dockerfileText, 'FROM busybox\nRUN true\n');
      assert.equal(c.dockerfileName, 'Dockerfile');
      assert.deepEqual(await readdir(c.dir), []);
    });
    await assert.rejects(receive(''), {
      kind: 'invalid-argument',
      message: 'the Dockerfile (Dockerfile) cannot be empty',
    });
    assert.deepEqual(await readdir(tmpRoot), []);
  });

  it('a Dockerfile of exactly one tar block is no tar', async () => {
    const text = `FROM scratch\n${'#'.repeat(498)}\n`;
    assert.equal(text.length, 512);
    await withContext(text, {}, async (c) => {
      assert.equal(c.dockerfileText, text);
    });
  });

  it('an abort stops a body that never ends, and leaves nothing behind', async () => {
    const ac = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.from('FROM scratch\n'));
    const p = receiveContext({ body, tmpRoot, signal: ac.signal });
    setImmediate(() => {
      ac.abort();
    });
    await assert.rejects(p, { name: 'AbortError' });
    assert.deepEqual(await readdir(tmpRoot), []);
  });

  it('a symlink in the tar cannot carry a later entry outside the context', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'skiff-receive-outside-'));
    try {
      const evil = await rawTar([
        { name: 'Dockerfile', body: 'FROM scratch\n' },
        { name: 'root', type: 'symlink', linkname: '/' },
        { name: 'out', type: 'symlink', linkname: outside },
        { name: `out/pwned`, body: 'x' },
        { name: `root${outside}/pwned2`, body: 'x' },
      ]);
      await assert.rejects(receive(evil), { kind: 'invalid-argument' });
      assert.deepEqual(await readdir(outside), []);
      assert.deepEqual(await readdir(tmpRoot), []);
      const dotdot = await rawTar([{ name: '../escape', body: 'x' }]);
      await assert.rejects(receive(dotdot), /leaves the destination/);
      assert.equal(await exists(join(tmpRoot, '..', 'escape')), false);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('finds a Dockerfile in a subdirectory, by any spelling of its path', async () => {
    const t = await rawTar([
      { name: 'build/', type: 'directory' },
      { name: 'build/Dockerfile.dev', body: 'FROM dev\n' },
    ]);
    for (const name of ['build/Dockerfile.dev', '/build/Dockerfile.dev', './build/Dockerfile.dev'])
      await withContext(t, { dockerfile: name }, async (c) => {
        assert.equal(c.dockerfileText, 'FROM dev\n');
        assert.equal(c.dockerfileName, 'build/Dockerfile.dev');
      });
  });

  it("the CLI's .dockerfile.<hex> for a Dockerfile from outside the context", async () => {
    const t = await rawTar([
      { name: '.dockerfile.8e1c2a6f0b5d', body: 'FROM outside\n' },
      { name: 'a.txt', body: 'a' },
    ]);
    await withContext(t, { dockerfile: '.dockerfile.8e1c2a6f0b5d' }, async (c) => {
      assert.equal(c.dockerfileText, 'FROM outside\n');
      assert.equal(c.dockerfileName, '.dockerfile.8e1c2a6f0b5d');
    });
  });

  it('falls back to dockerfile only for the default name', async () => {
    const t = await rawTar([{ name: 'dockerfile', body: 'FROM lower\n' }]);
    await withContext(t, {}, async (c) => {
      assert.equal(c.dockerfileText, 'FROM lower\n');
      assert.equal(c.dockerfileName, 'dockerfile');
    });
    await assert.rejects(receive(t, { dockerfile: 'Dockerfile.prod' }), {
      kind: 'invalid-argument',
      message: 'Cannot locate specified Dockerfile: Dockerfile.prod',
    });
    const empty = await rawTar([{ name: 'Dockerfile', body: '' }]);
    await assert.rejects(receive(empty), {
      message: 'the Dockerfile (Dockerfile) cannot be empty',
    });
  });

  it('a symlinked Dockerfile resolves inside the context, never to a host file', async () => {
    const t = await rawTar([
      { name: 'Dockerfile', type: 'symlink', linkname: '/etc/hostname' },
      { name: 'etc/', type: 'directory' },
      { name: 'etc/hostname', body: 'FROM inside\n' },
    ]);
    await withContext(t, {}, async (c) => {
      assert.equal(c.dockerfileText, 'FROM inside\n');
    });
    const host = await rawTar([{ name: 'Dockerfile', type: 'symlink', linkname: '/etc/passwd' }]);
    await assert.rejects(receive(host), {
      message: 'Cannot locate specified Dockerfile: Dockerfile',
    });
  });

  it('.dockerignore: excluded files go, ! exceptions stay, the Dockerfile is read first', async () => {
    const t = await rawTar([
      { name: 'Dockerfile', body: 'FROM scratch\n' },
      {
        name: '.dockerignore',
        body: '# comment\n*.log\nbuild\n!build/keep.txt\nDockerfile\n.dockerignore\nsecret/\n',
      },
      { name: 'a.log', body: 'x' },
      { name: 'sub/a.log', body: 'kept: *.log is for the root only' },
      { name: 'build/keep.txt', body: 'keep' },
      { name: 'build/drop.txt', body: 'drop' },
      { name: 'build/deeper/drop', body: 'drop' },
      { name: 'secret/key', body: 'k' },
      { name: 'main.txt', body: 'main' },
    ]);
    await withContext(t, {}, async (c) => {
      assert.equal(c.dockerfileText, 'FROM scratch\n');
      const left = execFileSync('find', ['.', '-mindepth', '1'], { cwd: c.dir, encoding: 'utf8' })
        .trim()
        .split('\n')
        .sort();
      assert.deepEqual(left, ['./build', './build/keep.txt', './main.txt', './sub', './sub/a.log']);
    });
  });

  describe('remote', () => {
    let server: Server;
    let base: string;
    before(async () => {
      const tarball = gzipSync(await rawTar(simple));
      server = createServer((req, res) => {
        if (req.url === '/ctx.tar.gz') res.end(tarball);
        else if (req.url === '/Dockerfile') res.end('FROM remote\n');
        else {
          res.writeHead(404);
          res.end('gone');
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => {
      server.closeAllConnections();
      server.close();
    });

    it('an http(s) URL of a tar is the context; of text, the Dockerfile', async () => {
      await withContext('', { remote: `${base}/ctx.tar.gz` }, async (c) => {
        assert.equal(c.dockerfileText, 'FROM scratch\n');
        assert.equal(await readFile(join(c.dir, 'app/main.txt'), 'utf8'), 'main');
      });
      await withContext('', { remote: `${base}/Dockerfile` }, async (c) => {
        assert.equal(c.dockerfileText, 'FROM remote\n');
      });
    });

    it('an unreachable or failing URL is an error naming it', async () => {
      await assert.rejects(receive('', { remote: `${base}/missing.tar` }), {
        kind: 'invalid-argument',
        message: `error downloading remote context ${base}/missing.tar: failed to GET ${base}/missing.tar with status 404 Not Found: gone`,
      });
      await assert.rejects(receive('', { remote: 'http://127.0.0.1:1/ctx.tar' }), {
        kind: 'invalid-argument',
        message:
          /^error downloading remote context http:\/\/127\.0\.0\.1:1\/ctx\.tar: .*ECONNREFUSED/,
      });
      await assert.rejects(receive('', { remote: 'ftp://example.com/x' }), {
        message: 'remoteURL (ftp://example.com/x) could not be recognized as URL',
      });
      await assert.rejects(receive('', { remote: 'git://127.0.0.1:1/repo.git' }), {
        kind: 'invalid-argument',
        message: /^unable to prepare context: error fetching git:\/\/127\.0\.0\.1:1\/repo\.git: /,
      });
      assert.deepEqual(await readdir(tmpRoot), []);
    });
  });
});
