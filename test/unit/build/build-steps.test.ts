// The builder's pure parts: config steps and their history text, build args in RUN, the cache
// key and lookup, and the /build query as dockerd reads it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyMetadata, goDuration, goQuoted } from '../../../src/build/metadata-steps.js';
import { DEFAULT_PATH, StageState } from '../../../src/build/stage-state.js';
import { BuildCache, stepKey } from '../../../src/build/build-cache.js';
import { parseBuildQuery } from '../../../src/api/wire/build-query.js';
import { runCommand } from '../../../src/build/run-step.js';
import type { ImageConfig } from '../../../src/image/image-config.js';
import type { StoredImage } from '../../../src/image/image-store.js';
import { InvalidArgumentError } from '../../../src/errors.js';

const base: ImageConfig = {
  architecture: 'amd64',
  os: 'linux',
  config: {
    user: '',
    exposedPorts: [],
    env: ['PATH=/bin'],
    cmd: ['sh'],
    volumes: [],
    workingDir: '',
    labels: {},
  },
  diffIds: [],
  history: [],
};

const image = (id: string, o: Partial<StoredImage> = {}): StoredImage => ({
  id,
  layers: [],
  diffIds: [],
  chainIds: [],
  size: 0,
  created: '2026-11-30T00:00:00Z',
  addedAt: '2026-11-30T00:00:00Z',
  ...o,
});

describe('config steps', () => {
  it('ENV replaces a variable in place and writes `ENV k=v`', () => {
    const st = new StageState(undefined, { config: base });
    assert.equal(
      applyMetadata(st, {
        kind: 'ENV',
        pairs: [
          ['PATH', '/usr/bin'],
          ['A', 'b c'],
        ],
      }),
      'ENV PATH=/usr/bin A=b c',
    );
    assert.deepEqual(st.runConfig.env, ['PATH=/usr/bin', 'A=b c']);
    assert.equal(st.lookup('A'), 'b c');
  });

  it('a stage without PATH gets dockerd default one', () => {
    const st = new StageState(undefined, {});
    assert.deepEqual(st.runConfig.env, [DEFAULT_PATH]);
  });

  it('CMD in shell form runs through SHELL; history as Go %q', () => {
    const st = new StageState(undefined, { config: base });
    applyMetadata(st, { kind: 'SHELL', shell: ['/bin/bash', '-c'] });
    const text = applyMetadata(st, {
      kind: 'CMD',
      command: { form: 'shell', script: 'echo "hi"' },
    });
    assert.deepEqual(st.runConfig.cmd, ['/bin/bash', '-c', 'echo "hi"']);
    assert.equal(text, 'CMD ["/bin/bash" "-c" "echo \\"hi\\""]');
  });

  it("ENTRYPOINT clears the base image's CMD, but not one set in this stage", () => {
    const a = new StageState(undefined, { config: base });
    applyMetadata(a, { kind: 'ENTRYPOINT', command: { form: 'exec', args: ['/app'] } });
    assert.equal(a.runConfig.cmd, undefined);
    const b = new StageState(undefined, { config: base });
    applyMetadata(b, { kind: 'CMD', command: { form: 'exec', args: ['--help'] } });
    applyMetadata(b, { kind: 'ENTRYPOINT', command: { form: 'exec', args: ['/app'] } });
    assert.deepEqual(b.runConfig.cmd, ['--help']);
    assert.deepEqual(b.runConfig.entrypoint, ['/app']);
  });

  it('WORKDIR is relative to the current one; EXPOSE normalises ranges; bad ports refused', () => {
    const st = new StageState(undefined, { config: base });
    applyMetadata(st, { kind: 'WORKDIR', path: '/app' });
    assert.equal(applyMetadata(st, { kind: 'WORKDIR', path: 'sub/../src' }), 'WORKDIR /app/src');
    applyMetadata(st, { kind: 'EXPOSE', ports: ['80', '53/udp', '8000-8001'] });
    assert.deepEqual(st.runConfig.exposedPorts, ['80/tcp', '53/udp', '8000/tcp', '8001/tcp']);
    assert.throws(
      () => applyMetadata(st, { kind: 'EXPOSE', ports: ['70000'] }),
      InvalidArgumentError,
    );
  });

  it('HEALTHCHECK and VOLUME history as dockerd prints them', () => {
    const st = new StageState(undefined, { config: base });
    const hc = applyMetadata(st, {
      kind: 'HEALTHCHECK',
      test: ['CMD-SHELL', 'true'],
      interval: 90e9,
      timeout: 5e8,
      startPeriod: 0,
      startInterval: 0,
      retries: 3,
    });
    assert.equal(hc, 'HEALTHCHECK &{["CMD-SHELL" "true"] "1m30s" "500ms" "0s" "0s" \'\\x03\'}');
    assert.equal(applyMetadata(st, { kind: 'VOLUME', paths: ['/a', '/b'] }), 'VOLUME [/a /b]');
    assert.deepEqual(st.runConfig.volumes, ['/a', '/b']);
  });

  it('goDuration and goQuoted follow Go', () => {
    assert.equal(goDuration(0), '0s');
    assert.equal(goDuration(3_600e9 + 1e9), '1h0m1s');
    assert.equal(goDuration(1500), '1.5µs');
    assert.equal(goQuoted(['a b', '"']), '["a b" "\\""]');
  });
});

describe('RUN', () => {
  it('build args go to the env and history (sorted); ENV overrides them; proxies stay out of history', () => {
    const st = new StageState(undefined, { config: base });
    st.args.set('B', '2');
    st.args.set('A', '1');
    st.args.set('UNSET', undefined);
    applyMetadata(st, { kind: 'ENV', pairs: [['B', 'env']] });
    const r = st.runArgs({ HTTP_PROXY: 'http://p', NOT_A_PROXY: 'x' });
    assert.deepEqual(r.history, ['A=1']);
    assert.deepEqual(r.env, ['A=1', 'HTTP_PROXY=http://p']);
  });

  it('a lone heredoc is the script; a heredoc after a command is fed to the shell', () => {
    const doc = { name: 'EOF', content: 'echo 1\necho 2\n', expand: true };
    assert.deepEqual(
      runCommand({ kind: 'RUN', command: { form: 'shell', script: '<<EOF' }, heredocs: [doc] }, [
        '/bin/sh',
        '-c',
      ]),
      ['/bin/sh', '-c', 'echo 1\necho 2\n'],
    );
    assert.deepEqual(
      runCommand(
        { kind: 'RUN', command: { form: 'shell', script: 'cat <<EOF > /f' }, heredocs: [doc] },
        ['/bin/sh', '-c'],
      ),
      ['/bin/sh', '-c', 'cat <<EOF > /f\necho 1\necho 2\nEOF\n'],
    );
  });
});

describe('build cache', () => {
  it('the key changes with the parent, the step and the config', () => {
    const k = stepKey('sha256:p', 'RUN x', base.config);
    assert.equal(k, stepKey('sha256:p', 'RUN x', base.config));
    assert.notEqual(k, stepKey('sha256:q', 'RUN x', base.config));
    assert.notEqual(k, stepKey('sha256:p', 'RUN y', base.config));
    assert.notEqual(k, stepKey('sha256:p', 'RUN x', { ...base.config, user: 'nobody' }));
  });

  it('finds the newest image made by that step on that parent', () => {
    const old = image('sha256:old', { parent: 'sha256:p', buildKey: 'k', created: '2026-01-01' });
    const newer = image('sha256:new', { parent: 'sha256:p', buildKey: 'k', created: '2026-06-01' });
    const other = image('sha256:other', { parent: 'sha256:x', buildKey: 'k' });
    const cache = new BuildCache(() => [old, newer, other], []);
    assert.equal(cache.find('sha256:p', 'k')?.id, 'sha256:new');
    assert.equal(cache.find('sha256:p', 'other-key'), undefined);
  });

  it('a cachefrom image matches by history and layers', () => {
    const parentConfig: ImageConfig = {
      ...base,
      history: [{ createdBy: 'base' }],
      diffIds: ['d0'],
    };
    const parent = image('sha256:p', { diffIds: ['d0'], chainIds: ['d0'] });
    const source = {
      image: image('sha256:s', { diffIds: ['d0', 'd1'], chainIds: ['d0', 'c1'] }),
      config: {
        ...base,
        diffIds: ['d0', 'd1'],
        history: [{ createdBy: 'base' }, { createdBy: 'RUN x' }],
      },
    };
    const cache = new BuildCache(() => [], [source]);
    assert.equal(
      cache.fromSources({ image: parent, config: parentConfig }, 'RUN x')?.layerIndex,
      1,
    );
    assert.equal(cache.fromSources({ image: parent, config: parentConfig }, 'RUN y'), undefined);
  });
});

describe('POST /build query', () => {
  const q = (s: string): URLSearchParams => new URLSearchParams(s);

  it('reads tags, JSON maps and dockerd defaults', () => {
    const o = parseBuildQuery(
      q(
        't=a&t=b:1&buildargs={"X":"1","Y":null}&labels={"l":"v"}&cachefrom=["c"]&rm=0&extrahosts=h:1.2.3.4',
      ),
      undefined,
    );
    assert.deepEqual(o.tags, ['a', 'b:1']);
    assert.deepEqual(o.buildArgs, { X: '1', Y: undefined });
    assert.deepEqual(o.labels, { l: 'v' });
    assert.deepEqual(o.cacheFrom, ['c']);
    assert.equal(o.remove, false);
    assert.equal(o.dockerfile, 'Dockerfile');
    assert.equal(o.networkMode, 'default');
    assert.deepEqual(o.extraHosts, ['h:1.2.3.4']);
  });

  it('refuses what dockerd refuses, with its words', () => {
    assert.throws(() => parseBuildQuery(q('squash=1'), undefined), /experimental/);
    assert.throws(() => parseBuildQuery(q('version=2'), undefined), /buildkit/i);
    assert.throws(() => parseBuildQuery(q('buildargs=[1]'), undefined), /buildargs/);
    assert.throws(() => parseBuildQuery(q('t=UPPER'), undefined), /invalid reference format/);
  });

  it('X-Registry-Config gives credentials per registry', () => {
    const header = Buffer.from(
      JSON.stringify({ '127.0.0.1:5000': { username: 'u', password: 'p' } }),
    ).toString('base64');
    const o = parseBuildQuery(q(''), header);
    assert.equal(o.registryAuth['127.0.0.1:5000']?.username, 'u');
  });
});
