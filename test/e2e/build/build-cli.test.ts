// `docker build` with the real docker CLI against skiff's classic builder (POST /build). The CLI
// has no buildx here, so it talks to the classic builder; DOCKER_BUILDKIT=0 makes that explicit
// (the CLI then only prints its deprecation notice). Expected behaviour is Docker's classic
// builder, checked against Rootless Docker 20.10 (../shared/reference-engines) where it has the
// feature; heredocs and COPY --chmod are BuildKit features Docker's classic builder lacks, so for
// those the expected result is BuildKit's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, link, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox } from '../../helpers/container-fixture.js';
import { exec, execOk, type ExecResult } from '../../helpers/exec.js';
import { dockerCli } from '../../helpers/paths.js';

const CLASSIC = { DOCKER_BUILDKIT: '0' };

interface FileSpec {
  readonly content: string;
  readonly mode?: number;
}

interface ImageInspect {
  Id: string;
  Parent: string;
  RepoTags: string[];
  Config: {
    Env: string[] | null;
    Cmd: string[] | null;
    Labels: Record<string, string> | null;
  };
}

describe('docker build (classic builder) with the docker CLI', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  /** Writes a build context (path → content) into a fresh directory and returns it. */
  async function context(files: Record<string, string | FileSpec>): Promise<string> {
    const dir = await mkdtemp(join(d.dir, 'ctx-'));
    for (const [path, spec] of Object.entries(files)) {
      const f = typeof spec === 'string' ? { content: spec } : spec;
      await mkdir(dirname(join(dir, path)), { recursive: true });
      await chmod(dirname(join(dir, path)), 0o755);
      await writeFile(join(dir, path), f.content);
      await chmod(join(dir, path), f.mode ?? 0o644);
    }
    return dir;
  }

  interface BuildOptions {
    readonly input?: string;
    /** The CLI resolves a relative -f against its working directory, not the context. */
    readonly cwd?: string;
  }

  function build(args: readonly string[], o: BuildOptions = {}): Promise<ExecResult> {
    return exec(dockerCli, ['build', ...args], {
      env: { ...d.env, ...CLASSIC },
      timeoutMs: 300_000,
      ...o,
    });
  }

  async function buildOk(args: readonly string[], o: BuildOptions = {}): Promise<string> {
    const r = await build(args, o);
    assert.equal(
      r.code,
      0,
      `docker build ${args.join(' ')} exited ${String(r.code)}:\n${r.stdout}${r.stderr}`,
    );
    return r.stdout;
  }

  async function inspect(ref: string): Promise<ImageInspect> {
    const out = await dockerOk(d, ['image', 'inspect', ref]);
    const list = JSON.parse(out) as ImageInspect[];
    const first = list[0];
    assert.ok(first, `docker image inspect ${ref} returned nothing`);
    return first;
  }

  /** The output of each `Step N/M : ...` section, in order. */
  function steps(out: string): string[] {
    return out.split(/^(?=Step \d+\/\d+ : )/m).filter((s) => s.startsWith('Step '));
  }

  it('multi-stage: COPY --from a named stage into the final image', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox AS builder',
        'RUN mkdir -p /out && echo "made in the builder stage" > /out/artifact.txt',
        'FROM busybox',
        'COPY --from=builder /out/artifact.txt /artifact.txt',
        'CMD ["cat", "/artifact.txt"]',
        '',
      ].join('\n'),
    });
    await buildOk(['-t', 'multi:stage', ctx]);
    assert.equal(await dockerOk(d, ['run', '--rm', 'multi:stage']), 'made in the builder stage\n');
    // The final image is the last stage: the builder's /out is not in it.
    const r = await docker(d, ['run', '--rm', 'multi:stage', 'ls', '/out']);
    assert.notEqual(r.code, 0, `/out should not exist in the final stage: ${r.stdout}`);
  });

  it('ARG defaults, --build-arg, ENV with ${VAR:-x}: at build time, run time and in Config.Env', async () => {
    const ctx = await context({
      Dockerfile: [
        'ARG BASE=busybox',
        'FROM ${BASE}',
        'ARG GREETING=hello',
        'ARG UNSET_ARG',
        'ENV X=${GREETING} Y=${UNSET_ARG:-fallback}',
        'RUN echo "$GREETING/$X/$Y" > /at-build',
        'CMD ["cat", "/at-build"]',
        '',
      ].join('\n'),
    });
    await buildOk(['-t', 'args:default', ctx]);
    await buildOk(['-t', 'args:over', '--build-arg', 'GREETING=overridden', ctx]);

    assert.equal(await dockerOk(d, ['run', '--rm', 'args:default']), 'hello/hello/fallback\n');
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'args:over']),
      'overridden/overridden/fallback\n',
    );
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'args:over', 'sh', '-c', 'echo $X $Y']),
      'overridden fallback\n',
    );
    // An ARG is a build-time variable only: it is not in the image's environment.
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'args:over', 'sh', '-c', 'echo ${GREETING:-unset}']),
      'unset\n',
    );
    const env = (await inspect('args:over')).Config.Env ?? [];
    assert.ok(env.includes('X=overridden'), `Config.Env: ${JSON.stringify(env)}`);
    assert.ok(env.includes('Y=fallback'), `Config.Env: ${JSON.stringify(env)}`);
    assert.ok(
      env.some((e) => e.startsWith('PATH=')),
      `Config.Env lost busybox's PATH: ${JSON.stringify(env)}`,
    );
    assert.ok(!env.some((e) => e.startsWith('GREETING=')), `ARG leaked: ${JSON.stringify(env)}`);
  });

  it('COPY --chown=1000:1000 and COPY --chmod=0755 set owner and mode', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox',
        'COPY --chown=1000:1000 owned.txt /owned.txt',
        'COPY --chown=1000:1000 tree/ /tree/',
        'COPY --chmod=0755 script.sh /script.sh',
        'COPY plain.txt /plain.txt',
        '',
      ].join('\n'),
      'owned.txt': 'owned\n',
      'tree/inner/file.txt': 'inner\n',
      'script.sh': '#!/bin/sh\necho script ran\n',
      'plain.txt': 'plain\n',
    });
    await buildOk(['-t', 'copyperm', ctx]);
    const stat = (path: string): Promise<string> =>
      dockerOk(d, ['run', '--rm', 'copyperm', 'stat', '-c', '%u:%g %a', path]);
    assert.equal(await stat('/owned.txt'), '1000:1000 644\n');
    assert.equal(await stat('/tree/inner/file.txt'), '1000:1000 644\n');
    assert.equal(await stat('/tree/inner'), '1000:1000 755\n');
    assert.equal(await stat('/script.sh'), '0:0 755\n');
    assert.equal(await stat('/plain.txt'), '0:0 644\n');
    assert.equal(await dockerOk(d, ['run', '--rm', 'copyperm', '/script.sh']), 'script ran\n');
  });

  it('.dockerignore with an exception: *.log + !keep.log; an ignored Dockerfile still builds', async () => {
    const ctx = await context({
      // The daemon, not only the CLI, drops the Dockerfile and .dockerignore when they are
      // excluded (moby builder/remotecontext/detect.go removeDockerfile).
      '.dockerignore': '*.log\n!keep.log\nsecret/\nDockerfile\n.dockerignore\n',
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\n',
      'keep.log': 'kept\n',
      'drop.log': 'dropped\n',
      'other.log': 'dropped too\n',
      'app.txt': 'app\n',
      'secret/key': 'nope\n',
    });
    await buildOk(['-t', 'ignored', ctx]);
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'ignored', 'ls', '-A', '/ctx']),
      'app.txt\nkeep.log\n',
    );
    assert.equal(await dockerOk(d, ['run', '--rm', 'ignored', 'cat', '/ctx/keep.log']), 'kept\n');
  });

  it('-f sub/Dockerfile inside the context, and -f a Dockerfile outside the context', async () => {
    const ctx = await context({
      'sub/Dockerfile': 'FROM busybox\nCOPY data.txt /data.txt\nCMD ["cat", "/data.txt"]\n',
      'data.txt': 'from the context root\n',
    });
    await buildOk(['-t', 'subdir', '-f', 'sub/Dockerfile', '.'], { cwd: ctx });
    assert.equal(await dockerOk(d, ['run', '--rm', 'subdir']), 'from the context root\n');
    await buildOk(['-t', 'subdir2', '-f', join(ctx, 'sub', 'Dockerfile'), ctx]);
    assert.equal(await dockerOk(d, ['run', '--rm', 'subdir2']), 'from the context root\n');

    const other = await context({
      Dockerfile: 'FROM busybox\nCOPY data.txt /outside.txt\nCMD ["cat", "/outside.txt"]\n',
    });
    const ctx2 = await context({ 'data.txt': 'context of the outside Dockerfile\n' });
    // The CLI adds an outside Dockerfile to the context under a random name (.dockerfile.<hex>)
    // and passes that name as ?dockerfile=.
    await buildOk(['-t', 'outside', '-f', join(other, 'Dockerfile'), ctx2]);
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'outside']),
      'context of the outside Dockerfile\n',
    );
    const r = await docker(d, ['run', '--rm', 'outside', 'sh', '-c', 'ls -A / | grep dockerfile']);
    assert.equal(r.stdout, '', 'the renamed Dockerfile must not end up in the image');
  });

  it('heredocs: RUN <<EOF with two lines, COPY <<EOF /file', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox',
        'RUN <<EOF',
        'echo first > /h1',
        'echo second > /h2',
        'EOF',
        'COPY <<EOF /file',
        'hello from a heredoc',
        'EOF',
        '',
      ].join('\n'),
    });
    await buildOk(['-t', 'heredoc', ctx]);
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'heredoc', 'cat', '/h1', '/h2', '/file']),
      'first\nsecond\nhello from a heredoc\n',
    );
  });

  it('caching: an unchanged rebuild is all "Using cache"; a changed file rebuilds from its COPY on', async () => {
    const files = {
      Dockerfile: [
        'FROM busybox',
        'COPY a.txt /a.txt',
        'RUN cat /a.txt > /a-copy',
        'ENV STAGE=cached',
        'COPY b.txt /b.txt',
        'RUN cat /b.txt > /b-copy',
        'CMD ["cat", "/b-copy"]',
        '',
      ].join('\n'),
      'a.txt': 'a\n',
      'b.txt': 'b version 1\n',
    };
    const ctx = await context(files);
    const first = steps(await buildOk(['-t', 'cache:1', ctx]));
    assert.equal(first.length, 7);
    assert.ok(
      first.every((s) => !s.includes('Using cache')),
      `the first build used a cache:\n${first.join('')}`,
    );
    const id1 = (await inspect('cache:1')).Id;

    const second = steps(await buildOk(['-t', 'cache:2', ctx]));
    assert.equal(second.length, 7);
    for (const s of second.slice(1))
      assert.match(s, /---> Using cache/, `step not cached on an unchanged rebuild:\n${s}`);
    assert.doesNotMatch(second.join(''), /Running in/);
    assert.equal((await inspect('cache:2')).Id, id1);

    await writeFile(join(ctx, 'b.txt'), 'b version 2\n');
    const third = steps(await buildOk(['-t', 'cache:3', ctx]));
    assert.equal(third.length, 7);
    for (const s of third.slice(1, 4))
      assert.match(s, /---> Using cache/, `step before the change not cached:\n${s}`);
    for (const s of third.slice(4))
      assert.doesNotMatch(s, /Using cache/, `step at or after the change was cached:\n${s}`);
    const id3 = (await inspect('cache:3')).Id;
    assert.notEqual(id3, id1);
    assert.equal(await dockerOk(d, ['run', '--rm', 'cache:3']), 'b version 2\n');
    assert.equal(await dockerOk(d, ['run', '--rm', 'cache:1']), 'b version 1\n');
  });

  it('caching is by content: a file rewritten with the same bytes (new mtime) stays cached', async () => {
    const ctx = await context({
      Dockerfile: 'FROM busybox\nCOPY same.txt /same.txt\nRUN wc -c /same.txt > /size\n',
      'same.txt': 'same bytes\n',
    });
    await buildOk(['-t', 'mtime:1', ctx]);
    await new Promise((r) => setTimeout(r, 1100));
    await writeFile(join(ctx, 'same.txt'), 'same bytes\n');
    const again = steps(await buildOk(['-t', 'mtime:2', ctx]));
    for (const s of again.slice(1))
      assert.match(s, /---> Using cache/, `an mtime change broke the cache:\n${s}`);
    assert.equal((await inspect('mtime:2')).Id, (await inspect('mtime:1')).Id);
  });

  it('a failing RUN: exit code 3, "returned a non-zero code: 3", no intermediate containers left', async () => {
    const ctx = await context({
      Dockerfile: 'FROM busybox\nRUN echo fine > /fine\nRUN exit 3\n',
    });
    const r = await build(['-t', 'fails', ctx]);
    // The CLI exits with the code in errorDetail, as with dockerd (Rootless Docker 20.10: 3).
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /returned a non-zero code: 3/);
    const noImage = await docker(d, ['image', 'inspect', 'fails']);
    assert.notEqual(noImage.code, 0, 'a failed build must not tag its image');
    // dockerd removes the intermediate container of each successful step; the failing step's
    // container stays unless --force-rm (Rootless Docker 20.10 leaves it, Exited (3)).
    const left = (
      await dockerOk(d, ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}'])
    ).trim();
    for (const line of left.split('\n').filter(Boolean))
      assert.match(line, /exit 3/, `an intermediate container of a passing step is left: ${line}`);

    if (left !== '')
      await dockerOk(d, ['rm', '-f', ...left.split('\n').map((l) => l.split(' ')[0] ?? '')]);
    const forced = await build(['--no-cache', '--force-rm', '-t', 'fails', ctx]);
    assert.equal(forced.code, 3, forced.stdout + forced.stderr);
    assert.equal(
      (await dockerOk(d, ['ps', '-aq'])).trim(),
      '',
      'with --force-rm no container of the failed build is left',
    );
  });

  it('--target stops at a stage; a later stage (with a failing RUN) never runs', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox AS base',
        'RUN echo base > /stage',
        'CMD ["cat", "/stage"]',
        'FROM base AS broken',
        'RUN echo broken > /stage && exit 7',
        'FROM busybox AS final',
        'RUN echo final > /stage',
        '',
      ].join('\n'),
    });
    const out = await buildOk(['--target', 'base', '-t', 'targeted', ctx]);
    assert.doesNotMatch(out, /echo broken/);
    assert.equal(await dockerOk(d, ['run', '--rm', 'targeted']), 'base\n');
    const bad = await build(['--target', 'nosuchstage', '-t', 'targeted2', ctx]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /nosuchstage/);
  });

  it('docker build -t x - < Dockerfile (no context)', async () => {
    await buildOk(['-t', 'fromstdin', '-'], {
      input: 'FROM busybox\nRUN echo "built from stdin" > /s\nCMD ["cat", "/s"]\n',
    });
    assert.equal(await dockerOk(d, ['run', '--rm', 'fromstdin']), 'built from stdin\n');
  });

  it('--network none: RUN sees only lo; the default network has more', async () => {
    const ctx = await context({
      Dockerfile: 'FROM busybox\nRUN ls /sys/class/net | sort | tr "\\n" " " > /ifaces\n',
    });
    // The classic builder's cache key does not include the network mode (Docker reuses a RUN
    // built with another network), so each build runs with --no-cache.
    await buildOk(['--no-cache', '--network', 'none', '-t', 'net:none', ctx]);
    await buildOk(['--no-cache', '-t', 'net:default', ctx]);
    assert.equal(await dockerOk(d, ['run', '--rm', 'net:none', 'cat', '/ifaces']), 'lo ');
    const def = await dockerOk(d, ['run', '--rm', 'net:default', 'cat', '/ifaces']);
    assert.match(def, /\blo\b/);
    assert.ok(def.trim().split(' ').length >= 2, `default network has only: ${def}`);
  });

  it('docker builder prune -f / -af print "Total reclaimed space:"; system df has Build Cache', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN echo prune > /p\n' });
    await buildOk(['-t', 'prunable', ctx]);
    for (const args of [
      ['builder', 'prune', '-f'],
      ['builder', 'prune', '-af'],
    ]) {
      const out = await dockerOk(d, args);
      assert.match(out, /^Total reclaimed space: \d+(\.\d+)?[kMG]?B$/m, out);
    }
    const df = await dockerOk(d, ['system', 'df']);
    assert.match(df, /^Build Cache\s+\d+\s+\d+\s+\S+\s+\S+/m, df);
    // Pruning the build cache never removes a tagged image.
    await dockerOk(d, ['image', 'inspect', 'prunable']);
  });

  it('docker history shows the steps; inspect has Parent and the Dockerfile CMD', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox',
        'ENV HIST=yes',
        'RUN echo hist > /h',
        'CMD ["cat", "/h"]',
        '',
      ].join('\n'),
    });
    await buildOk(['-t', 'hist', ctx]);
    const history = await dockerOk(d, [
      'history',
      '--no-trunc',
      '--format',
      '{{.CreatedBy}}',
      'hist',
    ]);
    const lines = history.trim().split('\n');
    assert.ok(lines.length >= 4, history);
    assert.match(lines[0] ?? '', /#\(nop\)\s+CMD \["cat" "\/h"\]/, history);
    assert.match(lines[1] ?? '', /\/bin\/sh -c echo hist > \/h/, history);
    assert.match(lines[2] ?? '', /#\(nop\)\s+ENV HIST=yes/, history);
    const img = await inspect('hist');
    assert.deepEqual(img.Config.Cmd, ['cat', '/h']);
    assert.match(img.Parent, /^sha256:[0-9a-f]{64}$/, `Parent: ${JSON.stringify(img.Parent)}`);
    // The parent is the kept intermediate image of the RUN step.
    const parent = await inspect(img.Parent);
    assert.ok(parent.Config.Env?.includes('HIST=yes'), JSON.stringify(parent.Config.Env));
  });

  it('-q prints only the image id', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nRUN echo quiet > /q\n' });
    const out = await buildOk(['-q', '-t', 'quiet', ctx]);
    assert.match(out, /^sha256:[0-9a-f]{64}\n$/, JSON.stringify(out));
    assert.equal(out.trim(), (await inspect('quiet')).Id);
  });

  it('--label and -t twice: both tags name one image with the label', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nLABEL from.file=yes\n' });
    await buildOk(['--label', 'com.example.team=build', '-t', 'one:v1', '-t', 'two:v2', ctx]);
    const a = await inspect('one:v1');
    const b = await inspect('two:v2');
    assert.equal(a.Id, b.Id);
    assert.deepEqual([...a.RepoTags].sort(), ['one:v1', 'two:v2']);
    assert.equal(a.Config.Labels?.['com.example.team'], 'build');
    assert.equal(a.Config.Labels?.['from.file'], 'yes');
  });

  it('a bad Dockerfile (FOO bar) fails with "unknown instruction"', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nFOO bar\n' });
    const r = await build(['-t', 'bad', ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown instruction: FOO/i, r.stderr);
    assert.equal((await docker(d, ['image', 'inspect', 'bad'])).code, 1);
  });
  it('ADD: a local file is copied; a local tar and tar.gz are extracted', async () => {
    const tarball = await mkdtemp(join(d.dir, 'tar-'));
    await mkdir(join(tarball, 'dir'));
    await writeFile(join(tarball, 'dir', 'x.txt'), 'in the tar\n');
    const ctx = await context({ 'plain.txt': 'plain\n' });
    await execOk('tar', ['-C', tarball, '-cf', join(ctx, 'a.tar'), 'dir']);
    await execOk('sh', ['-c', `gzip -c '${join(ctx, 'a.tar')}' > '${join(ctx, 'b.tar.gz')}'`]);
    await writeFile(
      join(ctx, 'Dockerfile'),
      [
        'FROM busybox',
        'ADD plain.txt /plain.txt',
        'ADD a.tar /ext/',
        'ADD b.tar.gz /extgz/',
        'COPY a.tar /copied/',
        '',
      ].join('\n'),
    );
    await buildOk(['-t', 'added', ctx]);
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'added', 'sh', '-c', 'find /ext /extgz /copied | sort']),
      '/copied\n/copied/a.tar\n/ext\n/ext/dir\n/ext/dir/x.txt\n/extgz\n/extgz/dir\n/extgz/dir/x.txt\n',
    );
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'added', 'cat', '/plain.txt', '/ext/dir/x.txt']),
      'plain\nin the tar\n',
    );
  });

  it('RUN deletions reach the image: a removed file, a directory removed and recreated', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox',
        'RUN mkdir -p /d /e && echo 1 > /d/a && echo 2 > /d/b && echo 3 > /e/old',
        'RUN rm /d/a /etc/passwd',
        // The layer of this step must hide all of the old /e (an opaque directory).
        'RUN rm -rf /e && mkdir /e && echo 4 > /e/new',
        '',
      ].join('\n'),
    });
    await buildOk(['-t', 'whiteouts', ctx]);
    assert.equal(await dockerOk(d, ['run', '--rm', 'whiteouts', 'ls', '-A', '/d']), 'b\n');
    assert.equal(await dockerOk(d, ['run', '--rm', 'whiteouts', 'ls', '-A', '/e']), 'new\n');
    const r = await docker(d, ['run', '--rm', 'whiteouts', 'ls', '/etc/passwd']);
    assert.notEqual(r.code, 0, 'a file deleted by RUN is still in the image');
  });

  it('COPY: a directory copies its contents, wildcards, several sources, symlinks', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox',
        'COPY src /dst',
        'COPY *.txt /txt/',
        'COPY a.txt b.txt /two/',
        'COPY a.txt /renamed',
        // A symlink named as the source is followed; inside a copied directory it stays one.
        'COPY link /link',
        'COPY linkdir /linkdir/',
        '',
      ].join('\n'),
      'src/inner/f': '1\n',
      'src/g': '2\n',
      'a.txt': 'a\n',
      'b.txt': 'b\n',
      'target.dat': 'target\n',
      'linkdir/target.dat': 'target\n',
    });
    await symlink('target.dat', join(ctx, 'link'));
    await symlink('target.dat', join(ctx, 'linkdir', 'link'));
    await buildOk(['-t', 'copysem', ctx]);
    assert.equal(
      await dockerOk(d, [
        'run',
        '--rm',
        'copysem',
        'sh',
        '-c',
        'find /dst /txt /two /renamed | sort; cat /link; readlink /linkdir/link; test -L /link || echo regular',
      ]),
      [
        '/dst',
        '/dst/g',
        '/dst/inner',
        '/dst/inner/f',
        '/renamed',
        '/two',
        '/two/a.txt',
        '/two/b.txt',
        '/txt',
        '/txt/a.txt',
        '/txt/b.txt',
        'target',
        'target.dat',
        'regular',
        '',
      ].join('\n'),
    );
  });

  it('COPY keeps hard links as links: the layer holds the content once', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nCOPY . /c/\n' });
    const mib = Buffer.alloc(1024 * 1024, 'h');
    await writeFile(join(ctx, 'one.bin'), mib);
    await link(join(ctx, 'one.bin'), join(ctx, 'two.bin'));
    await buildOk(['-t', 'hardlinks', ctx]);
    assert.equal(
      await dockerOk(d, ['run', '--rm', 'hardlinks', 'stat', '-c', '%h %s', '/c/one.bin']),
      `2 ${String(mib.length)}\n`,
    );
    // Rootless Docker 20.10: the COPY layer of a 1 MiB file and its hard link is 1 MiB.
    const size = async (ref: string): Promise<number> =>
      Number((await dockerOk(d, ['image', 'inspect', '-f', '{{.Size}}', ref])).trim());
    const added = (await size('hardlinks')) - (await size('busybox'));
    assert.ok(
      added < 1.5 * mib.length,
      `the COPY layer adds ${String(added)} bytes for 1 MiB of hard-linked content`,
    );
  });

  it('metadata instructions land in the image config', async () => {
    const ctx = await context({
      Dockerfile: [
        'FROM busybox',
        'WORKDIR /w/sub',
        'WORKDIR rel',
        'USER 1000:1000',
        'EXPOSE 8080 53/udp',
        'VOLUME /data',
        'STOPSIGNAL SIGUSR1',
        'HEALTHCHECK --interval=5s CMD true',
        'SHELL ["/bin/sh", "-ec"]',
        'ONBUILD RUN echo onbuild',
        'ENTRYPOINT ["echo"]',
        'CMD ["a"]',
        '',
      ].join('\n'),
    });
    await buildOk(['-t', 'meta', ctx]);
    const cfg = JSON.parse(
      await dockerOk(d, ['image', 'inspect', '-f', '{{json .Config}}', 'meta']),
    ) as Record<string, unknown>;
    // What Rootless Docker 20.10's classic builder writes for the same Dockerfile.
    assert.equal(cfg['User'], '1000:1000');
    assert.deepEqual(cfg['ExposedPorts'], { '53/udp': {}, '8080/tcp': {} });
    assert.deepEqual(cfg['Volumes'], { '/data': {} });
    assert.equal(cfg['WorkingDir'], '/w/sub/rel');
    assert.equal(cfg['StopSignal'], 'SIGUSR1');
    assert.deepEqual(cfg['Healthcheck'], { Test: ['CMD-SHELL', 'true'], Interval: 5_000_000_000 });
    assert.deepEqual(cfg['OnBuild'], ['RUN echo onbuild']);
    assert.deepEqual(cfg['Shell'], ['/bin/sh', '-ec']);
    assert.deepEqual(cfg['Entrypoint'], ['echo']);
    assert.deepEqual(cfg['Cmd'], ['a']);
    assert.equal(await dockerOk(d, ['run', '--rm', 'meta']), 'a\n');
  });

  it('a RUN whose container cannot start (USER nosuch) fails cleanly; --force-rm leaves no container', async () => {
    const ctx = await context({ Dockerfile: 'FROM busybox\nUSER nosuch\nRUN id\n' });
    const r = await build(['-t', 'nouser', ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unable to find user nosuch: no matching entries in passwd file/);
    // As for a failing RUN, dockerd keeps the failed step's container (here never started:
    // Created) unless --force-rm; Rootless Docker 20.10 does exactly that.
    const listed = async (): Promise<string[]> =>
      (await dockerOk(d, ['ps', '-a', '--no-trunc', '--format', '{{.ID}} {{.Command}}']))
        .split('\n')
        .filter(Boolean);
    const left = await listed();
    for (const line of left) assert.match(line, /-c id/, `unexpected container: ${line}`);
    if (left.length > 0) await dockerOk(d, ['rm', '-f', ...left.map((l) => l.split(' ')[0] ?? '')]);
    const forced = await build(['--force-rm', '-t', 'nouser', ctx]);
    assert.notEqual(forced.code, 0);
    assert.deepEqual(await listed(), []);
  });

  it('COPY from outside the context is refused as dockerd does', async () => {
    const ctx = await context({
      Dockerfile: 'FROM busybox\nCOPY ../outside /x\n',
      outside: 'in\n',
    });
    const r = await build(['-t', 'outside-path', ctx]);
    assert.notEqual(r.code, 0, 'COPY ../outside must not resolve to the context root');
    assert.match(r.stderr, /forbidden path outside the build context: \.\.\/outside/);
  });

  it('the daemon logged no unhandled rejection during these builds', async () => {
    const bad = (await d.log()).split('\n').filter((l) => l.includes('unhandled rejection'));
    assert.deepEqual(
      bad.map((l) => l.slice(0, 700)),
      [],
    );
  });
});
