import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { access, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
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

/** Every entry of a packed tar, by name (directories with their trailing slash), with its content. */
async function unpack(stream: Readable): Promise<Map<string, { type: string; body: string }>> {
  const ex = tar.extract();
  stream.on('error', (e: Error) => {
    ex.destroy(e);
  });
  stream.pipe(ex);
  const out = new Map<string, { type: string; body: string }>();
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.set(e.header.name, {
      type: e.header.type ?? 'file',
      body: Buffer.concat(chunks).toString('utf8'),
    });
  }
  return out;
}

const root = { uid: 0, gid: 0 };

/** The whole context as COPY . would pack it: name → content ("" for directories). */
async function contents(c: BuildContext): Promise<Record<string, string>> {
  const m = await unpack(c.tree.pack([{ rel: '.', destName: '' }], root));
  return Object.fromEntries([...m].map(([name, e]) => [name, e.body]));
}

/** One file of the context, read back through pack as COPY would. */
async function fileOf(c: BuildContext, rel: string): Promise<string | undefined> {
  const m = await unpack(c.tree.pack([{ rel, destName: 'f' }], root));
  return m.get('f')?.body;
}

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

  it('a tar: indexed (not extracted) in a fresh 0700 directory, the Dockerfile read', async () => {
    await withContext(await rawTar(simple), {}, async (c) => {
      assert.equal(c.dockerfileText, 'FROM scratch\n');
      assert.equal(c.dockerfileName, 'Dockerfile');
      assert.equal(await fileOf(c, 'app/main.txt'), 'main');
      assert.equal(c.tree.isDir('app'), true);
      assert.equal(c.tree.isDir('app/main.txt'), false);
      assert.equal(c.tree.isDir('missing'), false);
      assert.deepEqual(c.tree.match('app/*', 'COPY'), ['app/main.txt']);
      assert.deepEqual(c.tree.match('app', 'COPY'), ['app']);
      assert.deepEqual(await contents(c), {
        Dockerfile: 'FROM scratch\n',
        'app/': '',
        'app/main.txt': 'main',
      });
      const dirs = await readdir(tmpRoot);
      assert.equal(dirs.length, 1);
      const dir = dirs[0] ?? '';
      assert.match(dir, /^context-/);
      assert.equal((await stat(join(tmpRoot, dir))).mode & 0o777, 0o700);
      // One blob holds the contents: no file of the client's tree exists on disk.
      assert.deepEqual(await readdir(join(tmpRoot, dir)), ['context.blob']);
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
        assert.equal(await fileOf(c, 'app/main.txt'), 'main');
      });
  });

  it('a body that is no tar is the Dockerfile itself; an empty one is refused', async () => {
    await withContext('FROM busybox\nRUN true\n', {}, async (c) => {
      assert.equal(c.dockerfileText, 'FROM busybox\nRUN true\n');
      assert.equal(c.dockerfileName, 'Dockerfile');
      assert.deepEqual(await contents(c), {});
      assert.throws(() => c.tree.match('*', 'COPY'), {
        message: 'COPY failed: no source files were specified',
      });
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
      const head: RawEntry[] = [
        { name: 'Dockerfile', body: 'FROM scratch\n' },
        { name: 'root', type: 'symlink', linkname: '/' },
        { name: 'out', type: 'symlink', linkname: outside },
      ];
      await assert.rejects(receive(await rawTar([...head, { name: 'out/pwned', body: 'x' }])), {
        kind: 'invalid-argument',
        message: 'refusing to extract out/pwned: out in its path is not a directory',
      });
      const viaRoot = `root${outside}/pwned2`;
      await assert.rejects(receive(await rawTar([...head, { name: viaRoot, body: 'x' }])), {
        kind: 'invalid-argument',
        message: `refusing to extract ${viaRoot}: root in its path is not a directory`,
      });
      assert.deepEqual(await readdir(outside), []);
      assert.deepEqual(await readdir(tmpRoot), []);
      const dotdot = await rawTar([{ name: '../escape', body: 'x' }]);
      await assert.rejects(receive(dotdot), {
        kind: 'invalid-argument',
        message: 'refusing to read ../escape: it leaves the build context',
      });
      assert.equal(await exists(join(tmpRoot, '..', 'escape')), false);
      assert.deepEqual(await readdir(tmpRoot), []);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("symlinks in the context resolve inside it: COPY of a link to / is the context's root", async () => {
    const t = await rawTar([
      { name: 'Dockerfile', body: 'FROM scratch\n' },
      { name: 'root', type: 'symlink', linkname: '/' },
      { name: 'passwd', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'up', type: 'symlink', linkname: '../../../etc' },
      { name: 'etc/passwd', body: 'inside' },
    ]);
    await withContext(t, {}, async (c) => {
      assert.equal(c.tree.isDir('root'), true);
      assert.equal(c.tree.isDir('up'), true);
      assert.equal(await fileOf(c, 'passwd'), 'inside');
      assert.equal(await fileOf(c, 'root/etc/passwd'), 'inside');
      assert.equal(await fileOf(c, 'up/passwd'), 'inside');
      // Below a source, a symlink stays a symlink.
      const m = await unpack(c.tree.pack([{ rel: '.', destName: '' }], root));
      assert.equal(m.get('root')?.type, 'symlink');
    });
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
      assert.deepEqual(Object.keys(await contents(c)).sort(), [
        'build/',
        'build/keep.txt',
        'main.txt',
        'sub/',
        'sub/a.log',
      ]);
      assert.equal(await fileOf(c, 'build/keep.txt'), 'keep');
      assert.throws(() => c.tree.match('Dockerfile', 'COPY'), {
        message:
          'COPY failed: file not found in build context or excluded by .dockerignore: stat Dockerfile: file does not exist',
      });
      assert.throws(() => c.tree.match('*.log', 'ADD'), {
        message: 'ADD failed: no source files were specified',
      });
    });
  });

  it("ADD's archive probe leaves the context readable and cleanup complete", async () => {
    // Its own tmpRoot: with the bug, cleanup fails and leaves the context directory behind.
    const own = await mkdtemp(join(tmpdir(), 'skiff-receive-add-'));
    try {
      const tarball = await rawTar([
        ...simple,
        {
          name: 'inner.tar',
          body: (await rawTar([{ name: 'x', body: 'x' }])).toString('latin1'),
        },
      ]);
      const c = await receiveContext({
        body: Readable.from([tarball]),
        tmpRoot: own,
        signal: new AbortController().signal,
      });
      try {
        assert.equal(await c.tree.archiveKind('app/main.txt'), undefined);
        assert.equal(await fileOf(c, 'app/main.txt'), 'main');
        assert.equal(await c.tree.archiveKind('inner.tar'), 'tar');
        assert.equal(await fileOf(c, 'Dockerfile'), 'FROM scratch\n');
      } finally {
        await c.cleanup();
      }
      assert.deepEqual(await readdir(own), []);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
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
        assert.equal(await fileOf(c, 'app/main.txt'), 'main');
        assert.deepEqual(c.tree.match('app/*', 'COPY'), ['app/main.txt']);
      });
      await withContext('', { remote: `${base}/Dockerfile` }, async (c) => {
        assert.equal(c.dockerfileText, 'FROM remote\n');
        assert.deepEqual(await contents(c), {});
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
