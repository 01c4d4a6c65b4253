import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { IndexedContext } from '../../../../src/build/context/indexed-context.js';
import { dockerignoreMatcher } from '../../../../src/build/context/apply-dockerignore.js';
import { indexedTree } from '../../../../src/build/context/source-tree.js';
import type { Source } from '../../../../src/build/context/source-walk.js';

interface Entry {
  readonly name: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'link';
  readonly body?: string | Buffer;
  readonly linkname?: string;
  readonly mode?: number;
  readonly mtime?: Date;
}

/** A tar of exactly these entries, in this order (duplicates and hostile names included). */
async function tarOf(entries: readonly Entry[]): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => p.on('end', resolve));
  for (const e of entries) {
    const type = e.type ?? 'file';
    const header: Parameters<tar.Pack['entry']>[0] = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'file' ? 0o644 : 0o755),
      mtime: e.mtime ?? new Date(1_700_000_000_000),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null): void => {
        if (err) reject(err);
        else resolve();
      };
      if (type === 'file') p.entry(header, e.body ?? '', cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await ended;
  return Buffer.concat(chunks);
}

interface Unpacked {
  readonly header: tar.Header;
  readonly body: Buffer;
}

async function unpack(stream: Readable): Promise<Unpacked[]> {
  const ex = tar.extract();
  stream.on('error', (e: Error) => {
    ex.destroy(e);
  });
  stream.pipe(ex);
  const out: Unpacked[] = [];
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const c of e) chunks.push(c as Buffer);
    out.push({ header: e.header, body: Buffer.concat(chunks) });
  }
  return out;
}

const owner = { uid: 0, gid: 0 };

describe('IndexedContext', () => {
  let dir: string;
  let n = 0;
  const open: IndexedContext[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-indexed-'));
  });
  after(async () => {
    for (const c of open) c.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function index(entries: readonly Entry[]): Promise<IndexedContext> {
    const ctx = await IndexedContext.ingest(
      Readable.from([await tarOf(entries)]),
      join(dir, `blob-${n++}`),
    );
    open.push(ctx);
    return ctx;
  }

  const walked = (ctx: IndexedContext, sources: readonly Source[]): string[] =>
    [...ctx.walk(sources)].map((e) =>
      e.linkname === undefined ? `${e.type} ${e.name}` : `${e.type} ${e.name} -> ${e.linkname}`,
    );

  const text = (ctx: IndexedContext, rel: string): string | undefined =>
    ctx.readFile(rel, 1 << 20)?.toString('utf8');

  describe('symlinks resolve inside the context', () => {
    let ctx: IndexedContext;
    before(async () => {
      ctx = await index([
        { name: 'etc/passwd', body: 'inside' },
        { name: 'a/rel', type: 'symlink', linkname: '../etc/passwd' },
        { name: 'a/dot', type: 'symlink', linkname: './rel' },
        { name: 'abs', type: 'symlink', linkname: '/etc/passwd' },
        { name: 'rootlink', type: 'symlink', linkname: '/' },
        { name: 'up', type: 'symlink', linkname: '../../../../etc' },
        { name: 'a/up2', type: 'symlink', linkname: '../../../etc/passwd' },
        { name: 'loop1', type: 'symlink', linkname: 'loop2' },
        { name: 'loop2', type: 'symlink', linkname: 'loop1' },
        { name: 'self', type: 'symlink', linkname: 'self/x' },
        { name: 'dangling', type: 'symlink', linkname: '/nope' },
        { name: 'filedir', type: 'symlink', linkname: 'etc/passwd/x' },
      ]);
    });

    it('a relative target from the link’s own directory', () => {
      assert.equal(text(ctx, 'a/rel'), 'inside');
      assert.equal(text(ctx, 'a/dot'), 'inside');
      assert.deepEqual(ctx.resolve('a/dot')?.names, ['etc', 'passwd']);
    });

    it('an absolute target starts again at the context root', () => {
      assert.equal(text(ctx, 'abs'), 'inside');
      assert.equal(ctx.isDir('rootlink'), true);
      assert.deepEqual(ctx.resolve('rootlink')?.names, []);
      assert.equal(text(ctx, 'rootlink/etc/passwd'), 'inside');
      assert.equal(text(ctx, 'rootlink/rootlink/abs'), 'inside');
      assert.equal(ctx.resolve('dangling'), undefined);
    });

    it('.. stops at the context root', () => {
      assert.equal(ctx.isDir('up'), true);
      assert.deepEqual(ctx.resolve('up')?.names, ['etc']);
      assert.equal(text(ctx, 'up/passwd'), 'inside');
      assert.equal(text(ctx, 'a/up2'), 'inside');
      assert.equal(text(ctx, '../../etc/passwd'), 'inside');
      assert.equal(text(ctx, 'a/../../etc/passwd'), 'inside');
    });

    it('a loop, or a file used as a directory, resolves to nothing', () => {
      assert.equal(ctx.resolve('loop1'), undefined);
      assert.equal(ctx.resolve('self'), undefined);
      assert.equal(ctx.resolve('filedir'), undefined);
      assert.equal(ctx.resolve('etc/passwd/x'), undefined);
      assert.equal(ctx.isDir('loop1'), false);
      assert.equal(text(ctx, 'loop2'), undefined);
    });

    it('the last link is kept when followLast is false', () => {
      assert.equal(ctx.resolve('abs', false)?.node.type, 'symlink');
      assert.deepEqual(ctx.resolve('loop1', false)?.names, ['loop1']);
      assert.deepEqual(ctx.resolve('rootlink/a/rel', false)?.names, ['a', 'rel']);
    });

    it('walk keeps links below a source as links, and follows the source itself', () => {
      assert.deepEqual(walked(ctx, [{ rel: 'a', destName: 'x' }]), [
        'directory x',
        'symlink x/dot -> ./rel',
        'symlink x/rel -> ../etc/passwd',
        'symlink x/up2 -> ../../../etc/passwd',
      ]);
      assert.deepEqual(walked(ctx, [{ rel: 'abs', destName: 'p' }]), ['file p']);
      assert.deepEqual(walked(ctx, [{ rel: 'up', destName: '' }]), ['file passwd']);
    });
  });

  it('hard links: the first name walked is the file, later ones link to it', async () => {
    const ctx = await index([
      { name: 'm/orig', body: 'shared' },
      { name: 'a/early', type: 'link', linkname: 'm/orig' },
      { name: 'z/late', type: 'link', linkname: './m/orig' },
    ]);
    assert.deepEqual(walked(ctx, [{ rel: '.', destName: '' }]), [
      'directory a',
      'file a/early',
      'directory m',
      'link m/orig -> a/early',
      'directory z',
      'link z/late -> a/early',
    ]);
    // Outside the walked sources the first copy is not there: the name walked first is the file.
    assert.deepEqual(walked(ctx, [{ rel: 'z', destName: 'z' }]), ['directory z', 'file z/late']);
    assert.equal(text(ctx, 'z/late'), 'shared');
    const packed = await unpack(
      indexedTree(ctx).pack([{ rel: '.', destName: '' }], { uid: 7, gid: 8 }),
    );
    const late = packed.find((e) => e.header.name === 'z/late');
    assert.equal(late?.header.type, 'link');
    assert.equal(late.header.linkname, 'a/early');
    assert.equal(packed.find((e) => e.header.name === 'a/early')?.body.toString(), 'shared');
    await assert.rejects(index([{ name: 'l', type: 'link', linkname: 'missing' }]), {
      kind: 'invalid-argument',
      message: 'invalid hardlink l -> missing: no such file in the context',
    });
  });

  describe('match', () => {
    let ctx: IndexedContext;
    before(async () => {
      ctx = await index([
        { name: 'a.txt', body: 'a' },
        { name: 'b.txt', body: 'b' },
        { name: 'c.md', body: 'c' },
        { name: 'src/x.ts', body: 'x' },
        { name: 'src/y.ts', body: 'y' },
        { name: 'src/deep/z.ts', body: 'z' },
        { name: 'lib/w.ts', body: 'w' },
        { name: 'srclink', type: 'symlink', linkname: 'src' },
        { name: 'star*', body: 'literal' },
      ]);
    });

    it('wildcards match per component, sorted, without entering symlinked directories', () => {
      assert.deepEqual(ctx.match('*.txt', 'COPY'), ['a.txt', 'b.txt']);
      assert.deepEqual(ctx.match('/src/*.ts', 'COPY'), ['src/x.ts', 'src/y.ts']);
      assert.deepEqual(ctx.match('*/*.ts', 'COPY'), ['lib/w.ts', 'src/x.ts', 'src/y.ts']);
      assert.deepEqual(ctx.match('src/?eep', 'ADD'), ['src/deep']);
      assert.deepEqual(ctx.match('[ab].txt', 'COPY'), ['a.txt', 'b.txt']);
      assert.throws(() => ctx.match('srclink/*.ts', 'COPY'), {
        kind: 'invalid-argument',
        message: 'COPY failed: no source files were specified',
      });
    });

    it('a plain path must exist (symlinks followed) and is returned cleaned', () => {
      assert.deepEqual(ctx.match('./src/../a.txt', 'COPY'), ['a.txt']);
      assert.deepEqual(ctx.match('srclink/x.ts', 'COPY'), ['srclink/x.ts']);
      assert.deepEqual(ctx.match('.', 'COPY'), ['.']);
      assert.deepEqual(ctx.match('/', 'COPY'), ['.']);
      assert.deepEqual(ctx.match('../..', 'COPY'), ['.']);
      assert.deepEqual(ctx.match('star\\*', 'COPY'), ['star*']);
    });

    it("dockerd's two messages when nothing matches", () => {
      assert.throws(() => ctx.match('missing.txt', 'COPY'), {
        kind: 'invalid-argument',
        message:
          'COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist',
      });
      assert.throws(() => ctx.match('./src/nope', 'ADD'), {
        message:
          'ADD failed: file not found in build context or excluded by .dockerignore: stat src/nope: file does not exist',
      });
      assert.throws(() => ctx.match('*.rs', 'ADD'), {
        kind: 'invalid-argument',
        message: 'ADD failed: no source files were specified',
      });
    });
  });

  describe('walk', () => {
    let ctx: IndexedContext;
    before(async () => {
      ctx = await index([
        { name: 'z', body: 'z' },
        { name: 'b/2', body: '2' },
        { name: 'a/', type: 'directory', mode: 0o700 },
        { name: 'b/1/x', body: 'x' },
        { name: 'a/f', body: 'f', mode: 0o600 },
        { name: 'B', body: 'upper' },
      ]);
    });

    it('is sorted by name and depth-first, sources in the order given', () => {
      assert.deepEqual(walked(ctx, [{ rel: '.', destName: '' }]), [
        'file B',
        'directory a',
        'file a/f',
        'directory b',
        'directory b/1',
        'file b/1/x',
        'file b/2',
        'file z',
      ]);
      assert.deepEqual(
        walked(ctx, [
          { rel: 'z', destName: 'last' },
          { rel: 'b', destName: 'bee' },
        ]),
        ['file last', 'directory bee', 'directory bee/1', 'file bee/1/x', 'file bee/2'],
      );
    });

    it('keeps modes and sizes; parents the tar did not name are 0755', () => {
      const byName = new Map([...ctx.walk([{ rel: '.', destName: '' }])].map((e) => [e.name, e]));
      assert.equal(byName.get('a')?.st.mode, 0o040700);
      assert.equal(byName.get('a/f')?.st.mode, 0o100600);
      assert.equal(byName.get('b')?.st.mode, 0o040755);
      assert.equal(byName.get('B')?.st.size, 5);
      assert.equal(byName.get('z')?.st.mtimeSec, 1_700_000_000);
    });

    it('a file source needs a name; a missing source is an error', () => {
      assert.throws(() => [...ctx.walk([{ rel: 'a/f', destName: '' }])], {
        kind: 'invalid-argument',
        message: 'cannot copy the file a/f onto a directory',
      });
      assert.throws(() => [...ctx.walk([{ rel: 'nope', destName: 'x' }])], {
        kind: 'invalid-argument',
        message: 'stat nope: file does not exist',
      });
    });
  });

  it('applyIgnore keeps a re-included file inside an excluded directory', async () => {
    const entries: Entry[] = [
      { name: 'build/keep.txt', body: 'keep' },
      { name: 'build/drop.txt', body: 'drop' },
      { name: 'build/deeper/drop', body: 'drop' },
      { name: 'secret/key', body: 'k' },
      { name: 'a.log', body: 'x' },
      { name: 'sub/a.log', body: 'kept' },
      { name: 'main.txt', body: 'main' },
    ];
    const all = (ctx: IndexedContext): string[] =>
      [...ctx.walk([{ rel: '.', destName: '' }])].map((e) => e.name);

    const ctx = await index(entries);
    const m = dockerignoreMatcher('*.log\nbuild\n!build/keep.txt\nsecret/\n');
    assert.equal(m.hasExceptions, true);
    ctx.applyIgnore(m.ignores, m.hasExceptions);
    assert.deepEqual(all(ctx), ['build', 'build/keep.txt', 'main.txt', 'sub', 'sub/a.log']);
    assert.equal(text(ctx, 'build/keep.txt'), 'keep');
    assert.equal(text(ctx, 'build/drop.txt'), undefined);

    const plain = await index(entries);
    const p = dockerignoreMatcher('build\nsecret\n*/*.log\n');
    assert.equal(p.hasExceptions, false);
    plain.applyIgnore(p.ignores, p.hasExceptions);
    assert.deepEqual(all(plain), ['a.log', 'main.txt', 'sub']);
  });

  it('a 3 MiB file comes back exactly through pack, checksum and openFile', async () => {
    const big = randomBytes(3 * 1024 * 1024 + 17);
    const ctx = await index([
      { name: 'small', body: 'before' },
      { name: 'big.bin', body: big },
      { name: 'after', body: 'after' },
    ]);
    const tree = indexedTree(ctx);
    const packed = await unpack(
      tree.pack(
        [
          { rel: 'small', destName: 'small' },
          { rel: 'big.bin', destName: 'copy.bin' },
          { rel: 'after', destName: 'after' },
        ],
        owner,
      ),
    );
    assert.deepEqual(
      packed.map((e) => e.header.name),
      ['small', 'copy.bin', 'after'],
    );
    const copy = packed[1]?.body;
    assert.equal(copy?.length, big.length);
    assert.ok(copy.equals(big));
    assert.equal(packed[0]?.body.toString(), 'before');
    assert.equal(packed[2]?.body.toString(), 'after');

    const chunks: Buffer[] = [];
    for await (const c of ctx.openFile('big.bin')) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(big));

    // The checksum covers the content: one byte changed changes it.
    const other = Buffer.from(big);
    other[other.length - 1] = (other.at(-1) ?? 0) ^ 1;
    const ctx2 = await index([{ name: 'big.bin', body: other }]);
    const src = [{ rel: 'big.bin', destName: 'b' }];
    assert.notEqual(await tree.checksum(src, owner), await indexedTree(ctx2).checksum(src, owner));
    const again = await index([{ name: 'big.bin', body: big }]);
    assert.equal(await tree.checksum(src, owner), await indexedTree(again).checksum(src, owner));
    assert.equal(
      createHash('sha256')
        .update(ctx.readFile('big.bin', big.length) ?? '')
        .digest('hex'),
      createHash('sha256').update(big).digest('hex'),
    );
  });

  it('readFile: a limit, and nothing for a directory or a missing name', async () => {
    const ctx = await index([
      { name: 'Dockerfile', body: 'FROM scratch\n' },
      { name: 'empty', body: '' },
      { name: 'd/', type: 'directory' },
    ]);
    assert.equal(text(ctx, 'Dockerfile'), 'FROM scratch\n');
    assert.equal(ctx.readFile('Dockerfile', 13)?.length, 13);
    assert.throws(() => ctx.readFile('Dockerfile', 12), {
      kind: 'invalid-argument',
      message: 'Dockerfile is larger than 12 bytes',
    });
    assert.equal(ctx.readFile('empty', 0)?.length, 0);
    assert.equal(ctx.readFile('d', 100), undefined);
    assert.equal(ctx.readFile('missing', 100), undefined);
    const chunks: Buffer[] = [];
    for await (const c of ctx.openFile('empty')) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).length, 0);
    assert.throws(() => ctx.openFile('d'), { message: 'stat d: file does not exist' });
  });

  it('a later entry of the same name replaces the earlier one', async () => {
    const ctx = await index([
      { name: 'f', body: 'first version, longer' },
      { name: 'd/old', body: 'old' },
      { name: 'x', type: 'symlink', linkname: 'f' },
      { name: './f', body: 'second' },
      { name: 'd', body: 'now a file' },
      { name: 'x/', type: 'directory' },
      { name: 'x/in', body: 'in' },
      { name: 'e/', type: 'directory', mode: 0o700 },
      { name: 'e/keep', body: 'k' },
      { name: 'e/', type: 'directory', mode: 0o750 },
    ]);
    assert.equal(text(ctx, 'f'), 'second');
    assert.equal(text(ctx, 'd'), 'now a file');
    assert.equal(ctx.resolve('d/old'), undefined);
    assert.equal(ctx.isDir('x'), true);
    assert.equal(text(ctx, 'x/in'), 'in');
    // A directory entry again updates the directory, keeping what is in it.
    assert.equal(text(ctx, 'e/keep'), 'k');
    assert.equal([...ctx.walk([{ rel: 'e', destName: 'e' }])][0]?.st.mode, 0o040750);
    const packed = await unpack(indexedTree(ctx).pack([{ rel: 'f', destName: 'f' }], owner));
    assert.equal(packed[0]?.body.toString(), 'second');
  });

  it('names: leading / and ./ dropped, .. refused, an entry below a symlink refused', async () => {
    const ctx = await index([
      { name: './', type: 'directory', mode: 0o700 },
      { name: '/abs/file', body: 'a' },
      { name: './dot/file', body: 'b' },
    ]);
    assert.equal(text(ctx, 'abs/file'), 'a');
    assert.equal(text(ctx, 'dot/file'), 'b');
    // `tar -c .` names the root "./": nothing to place, the root stays as it is.
    assert.deepEqual(walked(ctx, [{ rel: '.', destName: 'r' }]).slice(0, 2), [
      'directory r',
      'directory r/abs',
    ]);
    await assert.rejects(index([{ name: 'a/../../x', body: 'x' }]), {
      kind: 'invalid-argument',
      message: 'refusing to read a/../../x: it leaves the build context',
    });
    await assert.rejects(
      index([
        { name: 'link', type: 'symlink', linkname: '/' },
        { name: 'link/etc/x', body: 'x' },
      ]),
      {
        kind: 'invalid-argument',
        message: 'refusing to extract link/etc/x: link in its path is not a directory',
      },
    );
    await assert.rejects(
      index([
        { name: 'f', body: 'file' },
        { name: 'f/x', type: 'symlink', linkname: '/' },
      ]),
      { message: 'refusing to extract f/x: f in its path is not a directory' },
    );
  });

  it('the blob path must be new; a corrupt tar is refused', async () => {
    const taken = join(dir, 'taken');
    await writeFile(taken, 'mine');
    await assert.rejects(IndexedContext.ingest(Readable.from([await tarOf([])]), taken), {
      code: 'EEXIST',
    });
    const t = await tarOf([{ name: 'f', body: 'x'.repeat(2000) }]);
    await assert.rejects(
      IndexedContext.ingest(Readable.from([t.subarray(0, 1024)]), join(dir, 'cut')),
    );
    assert.ok((await readdir(dir)).includes('cut'));
  });

  it('destroying an openFile stream leaves the blob open (ADD probes archives that way)', async () => {
    const ctx = await IndexedContext.ingest(
      Readable.from([
        await tarOf([
          { name: 'a', body: 'aaaa' },
          { name: 'b', body: 'bbbb' },
        ]),
      ]),
      join(dir, `blob-${n++}`),
    );
    const s = ctx.openFile('a');
    s.destroy();
    await new Promise((resolve) => s.on('close', resolve));
    try {
      assert.equal(text(ctx, 'b'), 'bbbb');
      assert.equal(await indexedTree(ctx).archiveKind('a'), undefined);
      assert.equal(text(ctx, 'b'), 'bbbb');
    } finally {
      try {
        ctx.close();
      } catch {
        // With the bug the descriptor is already gone: EBADF.
      }
    }
  });
});
