import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DockerfileError,
  parseDockerfile,
  parseTriggers,
} from '../../../../src/build/dockerfile/parse-dockerfile.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

const lines = (...l: string[]): string => l.join('\n') + '\n';

function onlyStage(text: string) {
  const parsed = parseDockerfile(text);
  const stage = parsed.stages[0];
  assert.ok(stage !== undefined);
  return stage;
}

describe('parseDockerfile: lines and continuations', () => {
  it('joins continuation lines and keeps the text around the escape, as dockerd prints it', () => {
    const stage = onlyStage(lines('FROM alpine', 'RUN echo a \\', '    b \\', 'c'));
    const run = stage.instructions[0];
    assert.equal(run?.keyword, 'RUN');
    assert.equal(run?.original, 'RUN echo a     b c');
    assert.equal(run?.argsText, 'echo a     b c');
    assert.equal(run?.line, 2);
  });

  it('drops comment and empty lines inside a continuation, warning about the empty ones', () => {
    const parsed = parseDockerfile(
      lines('FROM alpine', 'RUN apt-get update && \\', '  # a comment', '', '  apt-get install x'),
    );
    assert.equal(
      parsed.stages[0]?.instructions[0]?.original,
      'RUN apt-get update &&   apt-get install x',
    );
    assert.deepEqual(parsed.warnings, [
      'Empty continuation line found in: RUN apt-get update &&   apt-get install x',
      'Empty continuation lines will become errors in a future release.',
    ]);
  });

  it('keeps the keyword as written in original and upper-cases it in keyword', () => {
    const stage = onlyStage(lines('from alpine', 'run echo hi'));
    assert.equal(stage.from.keyword, 'FROM');
    assert.equal(stage.instructions[0]?.original, 'run echo hi');
    assert.equal(stage.instructions[0]?.keyword, 'RUN');
  });

  it('handles CRLF line endings, a BOM, comments and indentation', () => {
    const stage = onlyStage('\uFEFF# hello\r\nFROM alpine\r\n  # x\r\n   RUN echo \\\r\n  hi\r\n');
    assert.equal(stage.instructions[0]?.original, 'RUN echo   hi');
  });

  it('does not continue a line whose escape character is itself escaped', () => {
    const stage = onlyStage(lines('FROM alpine', 'RUN echo \\\\', 'USER x'));
    assert.equal(stage.instructions.length, 2);
    assert.equal(stage.instructions[0]?.argsText, 'echo \\\\');
  });

  it('switches to the backtick with # escape=` (Windows paths keep their backslashes)', () => {
    const parsed = parseDockerfile(
      lines(
        '# escape=`',
        'FROM mcr.microsoft.com/windows',
        'COPY testfile.txt c:\\',
        'RUN dir c:\\ `',
        '  /s',
      ),
    );
    assert.equal(parsed.escape, '`');
    const [copy, run] = parsed.stages[0]?.instructions ?? [];
    assert.equal(copy?.argsText, 'testfile.txt c:\\');
    assert.equal(run?.original, 'RUN dir c:\\   /s');
  });

  it('reports # syntax= as a warning and treats directives after the first lines as comments', () => {
    const parsed = parseDockerfile(lines('# syntax=docker/dockerfile:1', 'FROM alpine'));
    assert.deepEqual(parsed.warnings, [
      '# syntax=docker/dockerfile:1 directive ignored: skiff has no BuildKit frontends',
    ]);
    assert.equal(parseDockerfile(lines('', '# escape=`', 'FROM alpine')).escape, '\\');
    assert.equal(parseDockerfile(lines('# foo=bar', '# escape=`', 'FROM alpine')).escape, '\\');
  });

  it('refuses a bad or repeated escape directive', () => {
    assert.throws(() => parseDockerfile(lines('# escape=x', 'FROM a')), {
      message: "invalid escape token 'x' does not match ` or \\",
    });
    assert.throws(() => parseDockerfile(lines('# escape=`', '# escape=\\', 'FROM a')), {
      message: 'only one escape parser directive can be used',
    });
  });
});

describe('parseDockerfile: flags and exec form', () => {
  it('splits leading --flags from the arguments', () => {
    const stage = onlyStage(
      lines('FROM alpine', 'COPY --from=build --chown=a:b --link --chmod=755 src /dst'),
    );
    const copy = stage.instructions[0];
    assert.deepEqual(copy?.flags, [
      { name: 'from', value: 'build' },
      { name: 'chown', value: 'a:b' },
      { name: 'link' },
      { name: 'chmod', value: '755' },
    ]);
    assert.equal(copy?.argsText, 'src /dst');
    assert.equal(copy?.original, 'COPY --from=build --chown=a:b --link --chmod=755 src /dst');
  });

  it('reads quoted flag values and stops at --', () => {
    const stage = onlyStage(lines('FROM alpine', 'RUN --network="none" -- --not-a-flag'));
    assert.deepEqual(stage.instructions[0]?.flags, [{ name: 'network', value: 'none' }]);
    assert.equal(stage.instructions[0]?.argsText, '--not-a-flag');
  });

  it('detects the JSON exec form, and only a whole JSON array of strings', () => {
    const stage = onlyStage(
      lines(
        'FROM alpine',
        'CMD ["echo", "hi"]',
        'CMD [echo]',
        'HEALTHCHECK CMD ["true"]',
        'ENV a=["b"]',
      ),
    );
    const [cmd, notJson, health, env] = stage.instructions;
    assert.deepEqual(cmd?.json, ['echo', 'hi']);
    assert.equal(notJson?.json, undefined);
    assert.deepEqual(health?.json, ['true']);
    assert.equal(env?.json, undefined);
    assert.throws(() => parseDockerfile(lines('FROM a', 'CMD ["a", 1]')), {
      message: 'when using JSON array syntax, arrays must be comprised of strings only',
    });
  });
});

describe('parseDockerfile: heredocs', () => {
  it('reads a RUN heredoc body up to its delimiter', () => {
    const stage = onlyStage(
      lines('FROM alpine', 'RUN <<EOF', 'echo $HOME', '  two', 'EOF', 'USER x'),
    );
    const run = stage.instructions[0];
    assert.equal(run?.original, 'RUN <<EOF');
    assert.deepEqual(run?.heredocs, [
      { name: 'EOF', content: 'echo $HOME\n  two\n', expand: true },
    ]);
    assert.equal(stage.instructions[1]?.keyword, 'USER');
    assert.equal(stage.instructions[1]?.line, 6);
  });

  it('strips leading tabs with <<- (also before the delimiter)', () => {
    const stage = onlyStage(lines('FROM alpine', 'RUN <<-EOT', '\techo a', '\t\techo b', '\tEOT'));
    assert.deepEqual(stage.instructions[0]?.heredocs, [
      { name: 'EOT', content: 'echo a\necho b\n', expand: true },
    ]);
  });

  it('does not expand the body when the delimiter is quoted, even in part', () => {
    const stage = onlyStage(
      lines(
        'FROM alpine',
        "RUN <<'EOF'",
        'a',
        'EOF',
        'RUN <<"E"OF',
        'b',
        'EOF',
        'RUN <<E\\OF',
        'c',
        'EOF',
      ),
    );
    assert.deepEqual(
      stage.instructions.map((i) => i.heredocs),
      [
        [{ name: 'EOF', content: 'a\n', expand: false }],
        [{ name: 'EOF', content: 'b\n', expand: false }],
        [{ name: 'EOF', content: 'c\n', expand: true }],
      ],
    );
  });

  it('reads several heredocs of one line in order', () => {
    const stage = onlyStage(
      lines(
        'FROM alpine',
        'RUN <<FILE1 cat > /f1 && <<FILE2 cat > /f2',
        'one',
        'FILE1',
        'two',
        'FILE2',
      ),
    );
    assert.deepEqual(stage.instructions[0]?.heredocs, [
      { name: 'FILE1', content: 'one\n', expand: true },
      { name: 'FILE2', content: 'two\n', expand: true },
    ]);
  });

  it('reads COPY heredocs, but not in the exec form nor for other instructions', () => {
    const stage = onlyStage(
      lines(
        'FROM alpine',
        'COPY <<EOF /dest',
        'hello',
        'EOF',
        'RUN ["cat", "<<EOF"]',
        'CMD cat <<EOF',
      ),
    );
    assert.deepEqual(stage.instructions[0]?.heredocs, [
      { name: 'EOF', content: 'hello\n', expand: true },
    ]);
    assert.deepEqual(stage.instructions[1]?.heredocs, []);
    assert.deepEqual(stage.instructions[2]?.heredocs, []);
  });

  it('refuses an unterminated heredoc', () => {
    assert.throws(() => parseDockerfile(lines('FROM alpine', 'RUN <<EOF', 'echo')), {
      message: 'unterminated heredoc',
    });
  });
});

describe('parseDockerfile: stages', () => {
  it('splits stages at FROM, lower-cases AS names and keeps ARGs before FROM global', () => {
    const parsed = parseDockerfile(
      lines(
        'ARG BASE=alpine',
        'ARG V',
        'FROM $BASE AS Build',
        'RUN make',
        'FROM alpine',
        'COPY --from=build /a /a',
      ),
    );
    assert.deepEqual(
      parsed.globalArgs.map((a) => a.argsText),
      ['BASE=alpine', 'V'],
    );
    assert.equal(parsed.stages.length, 2);
    assert.equal(parsed.stages[0]?.name, 'build');
    assert.equal(parsed.stages[0]?.index, 0);
    assert.equal(parsed.stages[0]?.from.original, 'FROM $BASE AS Build');
    assert.deepEqual(
      parsed.stages[0]?.instructions.map((i) => i.keyword),
      ['RUN'],
    );
    assert.equal(parsed.stages[1]?.name, undefined);
    assert.equal(parsed.stages[1]?.index, 1);
  });
});

describe('parseDockerfile: errors, in dockerd words', () => {
  const fails = (text: string, message: string): void => {
    assert.throws(
      () => parseDockerfile(text),
      (err: unknown) => {
        assert.ok(err instanceof DockerfileError);
        assert.ok(err instanceof InvalidArgumentError);
        assert.equal(err.message, message);
        return true;
      },
    );
  };

  it('names unknown instructions, with a suggestion when one is close', () => {
    fails(
      lines('FROM a', 'RUN x', 'FOOBAR bar'),
      'dockerfile parse error on line 3: unknown instruction: FOOBAR',
    );
    fails(
      lines('FROM a', 'FOO bar'),
      'dockerfile parse error on line 2: unknown instruction: FOO (did you mean FROM?)',
    );
    fails(
      lines('FROM a', 'RUNN x'),
      'dockerfile parse error on line 2: unknown instruction: RUNN (did you mean RUN?)',
    );
    fails(
      lines('FROM a', 'cop x y'),
      'dockerfile parse error on line 2: unknown instruction: cop (did you mean copy?)',
    );
  });

  it('needs a FROM before anything but ARG', () => {
    fails(lines('ARG a', 'RUN x'), 'no build stage in current context');
  });

  it('refuses a file with no instructions', () => {
    fails(lines('# only a comment', ''), 'file with no instructions');
  });

  it('checks every instruction before the build starts', () => {
    fails(
      lines('FROM a', 'RUN x', 'COPY onlyone'),
      'dockerfile parse error on line 3: COPY requires at least two arguments, but only one was provided. Destination could not be determined',
    );
    fails(
      lines('FROM a AS 1x'),
      'dockerfile parse error on line 1: invalid name for build stage: "1x", name can\'t start with a number or contain symbols',
    );
    fails(
      lines('FROM a b'),
      'dockerfile parse error on line 1: FROM requires either one or three arguments',
    );
    fails(lines('FROM --foo=x a'), 'dockerfile parse error on line 1: unknown flag: --foo');
  });
});

describe('parseTriggers', () => {
  it('parses stored ONBUILD triggers, heredocs included', () => {
    const raws = parseTriggers(['RUN echo hi', 'COPY <<EOF /x\nbody\nEOF'], '\\');
    assert.deepEqual(
      raws.map((r) => r.keyword),
      ['RUN', 'COPY'],
    );
    assert.deepEqual(raws[1]?.heredocs, [{ name: 'EOF', content: 'body\n', expand: true }]);
  });

  it('refuses triggers ONBUILD cannot hold', () => {
    assert.throws(() => parseTriggers(['ONBUILD RUN x'], '\\'), {
      message: "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
    });
    assert.throws(() => parseTriggers(['FROM alpine'], '\\'), {
      message: "FROM isn't allowed as an ONBUILD trigger",
    });
    assert.throws(() => parseTriggers(['maintainer me'], '\\'), {
      message: "MAINTAINER isn't allowed as an ONBUILD trigger",
    });
    assert.throws(() => parseTriggers(['BAD x'], '\\'), { message: 'unknown instruction: BAD' });
  });
});
