import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import tar from 'tar-stream';
import { isGitUrl, parseGitUrl } from '../../../../src/build/context/git-context.js';
import {
  receiveContext,
  type BuildContext,
} from '../../../../src/build/context/receive-context.js';

/** The whole context as COPY . packs it: name → content. */
async function contents(c: BuildContext): Promise<Record<string, string>> {
  const ex = tar.extract();
  const packed = c.tree.pack([{ rel: '.', destName: '' }], { uid: 0, gid: 0 });
  packed.on('error', (e: Error) => {
    ex.destroy(e);
  });
  packed.pipe(ex);
  const out: Record<string, string> = {};
  for await (const e of ex) {
    const chunks: Buffer[] = [];
    for await (const chunk of e) chunks.push(chunk as Buffer);
    out[e.header.name] = Buffer.concat(chunks).toString('utf8');
  }
  return out;
}

const GIT_DAEMON = '/usr/lib/git-core/git-daemon';
const hasGitDaemon = await access(GIT_DAEMON).then(
  () => true,
  () => false,
);

describe('git URLs (moby urlutil)', () => {
  it('recognises git remotes as dockerd does', () => {
    for (const u of [
      'git://host/repo',
      'git@github.com:a/b.git',
      'github.com/a/b',
      'ssh://git@host/repo',
      'https://host/repo.git',
      'https://host/repo.git#main:dir',
    ])
      assert.equal(isGitUrl(u), true, u);
    for (const u of ['https://host/ctx.tar.gz', 'http://host/repo', 'ftp://x/y.git'])
      assert.equal(isGitUrl(u), false, u);
  });

  it('splits #ref:subdir and adds https:// to a bare github.com path', () => {
    assert.deepEqual(parseGitUrl('github.com/a/b'), {
      remote: 'https://github.com/a/b',
      ref: '',
      subdir: '',
    });
    assert.deepEqual(parseGitUrl('https://h/r.git#v1.2:docs/site'), {
      remote: 'https://h/r.git',
      ref: 'v1.2',
      subdir: 'docs/site',
    });
    assert.deepEqual(parseGitUrl('git@github.com:a/b.git#:sub'), {
      remote: 'git@github.com:a/b.git',
      ref: '',
      subdir: 'sub',
    });
    assert.throws(() => parseGitUrl('https://h/r.git#--upload-pack=x'), {
      kind: 'invalid-argument',
    });
  });
});

describe(
  'a git repository as the context',
  { skip: !hasGitDaemon && 'git-daemon not installed' },
  () => {
    let base: string;
    let tmpRoot: string;
    let daemon: ChildProcess;
    let port: number;
    before(async () => {
      base = await mkdtemp(join(tmpdir(), 'skiff-git-'));
      tmpRoot = await mkdtemp(join(tmpdir(), 'skiff-git-tmp-'));
      const repo = join(base, 'repo.git');
      await mkdir(join(repo, 'sub'), { recursive: true });
      const git = (...args: string[]): string =>
        execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
          cwd: repo,
          encoding: 'utf8',
        });
      git('init', '-q', '-b', 'main');
      await writeFile(join(repo, 'Dockerfile'), 'FROM main\n');
      git('add', '.');
      git('commit', '-q', '-m', 'one');
      git('checkout', '-q', '-b', 'feature');
      await writeFile(join(repo, 'sub', 'Dockerfile'), 'FROM feature-sub\n');
      await writeFile(join(repo, 'sub', 'file.txt'), 'in sub');
      git('add', '.');
      git('commit', '-q', '-m', 'two');
      git('checkout', '-q', 'main');
      port = await freePort();
      daemon = spawn(
        GIT_DAEMON,
        [
          '--export-all',
          '--reuseaddr',
          `--base-path=${base}`,
          '--listen=127.0.0.1',
          `--port=${port}`,
          base,
        ],
        { stdio: 'ignore' },
      );
      await waitForPort(port);
    });
    after(async () => {
      daemon.kill();
      await rm(base, { recursive: true, force: true });
      await rm(tmpRoot, { recursive: true, force: true });
    });

    const receive = (remote: string) =>
      receiveContext({
        body: Readable.from([]),
        remote,
        tmpRoot,
        signal: new AbortController().signal,
        git: { timeoutMs: 60_000 },
      });

    it('clones the default branch, without .git', async () => {
      const c = await receive(`git://127.0.0.1:${port}/repo.git`);
      try {
        assert.equal(c.dockerfileText, 'FROM main\n');
        assert.deepEqual(await contents(c), { Dockerfile: 'FROM main\n' });
        assert.equal(c.tree.isDir('.git'), false);
        assert.deepEqual(c.tree.match('*', 'COPY'), ['Dockerfile']);
      } finally {
        await c.cleanup();
      }
      assert.deepEqual(await readdir(tmpRoot), []);
    });

    it('#ref:subdir checks out the ref and uses the subdirectory as the context', async () => {
      const c = await receive(`git://127.0.0.1:${port}/repo.git#feature:sub`);
      try {
        assert.equal(c.dockerfileText, 'FROM feature-sub\n');
        assert.deepEqual(await contents(c), {
          Dockerfile: 'FROM feature-sub\n',
          'file.txt': 'in sub',
        });
        assert.equal(c.tree.isDir('.'), true);
      } finally {
        await c.cleanup();
        await c.cleanup();
      }
      assert.deepEqual(await readdir(tmpRoot), []);
    });

    it('a missing ref or subdirectory is an error naming it', async () => {
      await assert.rejects(receive(`git://127.0.0.1:${port}/repo.git#nope`), {
        kind: 'invalid-argument',
        message: new RegExp(
          `^unable to prepare context: error fetching git://127.0.0.1:${port}/repo.git: .*nope`,
        ),
      });
      await assert.rejects(receive(`git://127.0.0.1:${port}/repo.git#feature:missing`), {
        message: 'error setting git context, missing: no such directory',
      });
      assert.deepEqual(await readdir(tmpRoot), []);
    });
  },
);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => {
        resolve(typeof addr === 'object' && addr !== null ? addr.port : 0);
      });
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ port, host: '127.0.0.1' }, () => {
        c.end();
        resolve(true);
      });
      c.on('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`git daemon did not listen on ${port}`);
}
