import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../../src/build/dockerfile/parse-dockerfile.js';
import { stagesToBuild } from '../../../../src/build/dockerfile/stage-graph.js';

const noVars = (): undefined => undefined;

const DOCKERFILE = [
  'ARG BASE=alpine',
  'FROM $BASE AS deps', // 0
  'RUN install',
  'FROM alpine AS unused', // 1
  'RUN slow',
  'FROM deps AS Build', // 2: FROM another stage
  'RUN make',
  'FROM alpine AS assets', // 3
  'RUN fetch',
  'FROM busybox AS final', // 4
  'COPY --from=build /bin/app /app',
  'COPY --from=3 /assets /assets',
  'COPY --from=nginx:latest /etc/nginx /etc/nginx',
  'FROM final AS test', // 5
  'RUN test',
  '',
].join('\n');

const names = (r: { stages: readonly { name?: string }[] }): (string | undefined)[] =>
  r.stages.map((s) => s.name);

describe('stagesToBuild', () => {
  const parsed = parseDockerfile(DOCKERFILE);

  it('builds the last stage and what it depends on, in Dockerfile order', () => {
    const result = stagesToBuild(parsed, undefined, noVars);
    assert.equal(result.target.name, 'test');
    assert.deepEqual(names(result), ['deps', 'build', 'assets', 'final', 'test']);
  });

  it('finds the target by name, case-insensitively, and skips stages it does not need', () => {
    const result = stagesToBuild(parsed, 'BUILD', noVars);
    assert.equal(result.target.name, 'build');
    assert.deepEqual(names(result), ['deps', 'build']);
  });

  it('treats --from values that are not earlier stages as images', () => {
    const result = stagesToBuild(parsed, 'final', noVars);
    assert.deepEqual(names(result), ['deps', 'build', 'assets', 'final']);
  });

  it('follows FROM through global ARGs and RUN --mount=from=', () => {
    const text = [
      'ARG SRC=one',
      'FROM alpine AS one',
      'FROM alpine AS two',
      'FROM alpine AS three',
      'FROM $SRC AS four',
      'RUN --mount=type=bind,from=two,target=/t true',
      '',
    ].join('\n');
    const result = stagesToBuild(parseDockerfile(text), undefined, (n) =>
      n === 'SRC' ? 'one' : undefined,
    );
    assert.deepEqual(names(result), ['one', 'two', 'four']);
  });

  it('does not count a stage naming itself or a later stage', () => {
    const text = 'FROM later AS first\nFROM alpine AS later\n';
    assert.deepEqual(names(stagesToBuild(parseDockerfile(text), 'first', noVars)), ['first']);
  });

  it('fails with dockerd words when the target is missing', () => {
    assert.throws(() => stagesToBuild(parsed, 'nope', noVars), {
      message: 'failed to reach build target nope in Dockerfile',
    });
  });

  it('fails like dockerd when there is no stage at all', () => {
    assert.throws(() => stagesToBuild(parseDockerfile('ARG a\n'), undefined, noVars), {
      message: 'No image was generated. Is your Dockerfile empty?',
    });
  });
});
