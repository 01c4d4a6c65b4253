import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerfile } from '../../../../src/build/dockerfile/parse-dockerfile.js';
import { typedFrom, typedInstruction } from '../../../../src/build/dockerfile/typed-instruction.js';
import type {
  Instruction,
  RawInstruction,
  VariableLookup,
} from '../../../../src/build/dockerfile/instructions.js';

const vars =
  (v: Record<string, string>): VariableLookup =>
  (name) =>
    Object.hasOwn(v, name) ? v[name] : undefined;

/** The raw form of one instruction line, parsed in a one-stage Dockerfile. */
function raw(line: string, escape = '\\'): RawInstruction {
  const prefix = escape === '`' ? '# escape=`\n' : '';
  const instruction = parseDockerfile(`${prefix}FROM scratch\n${line}\n`).stages[0]
    ?.instructions[0];
  assert.ok(instruction !== undefined);
  return instruction;
}

const typed = (line: string, v: Record<string, string> = {}): Instruction =>
  typedInstruction(raw(line), vars(v), '\\');

/** The message of the parse-time check (dockerd types every line before step 1). */
function parseError(line: string): string {
  try {
    parseDockerfile(`FROM scratch\n${line}\n`);
  } catch (err) {
    return err instanceof Error
      ? err.message.replace('dockerfile parse error on line 2: ', '')
      : '';
  }
  return 'no error';
}

describe('typedInstruction: commands', () => {
  it('RUN in shell and exec form, not expanded, with its heredocs and --network', () => {
    assert.deepEqual(typed('RUN echo $HOME', { HOME: '/x' }), {
      kind: 'RUN',
      command: { form: 'shell', script: 'echo $HOME' },
      heredocs: [],
    });
    assert.deepEqual(typed('RUN --network=none ["a", "$b"]'), {
      kind: 'RUN',
      command: { form: 'exec', args: ['a', '$b'] },
      heredocs: [],
      network: 'none',
    });
    const withHeredoc = typedInstruction(
      parseDockerfile('FROM scratch\nRUN <<EOF\necho hi\nEOF\n').stages[0]?.instructions[0] ??
        raw('RUN x'),
      vars({}),
      '\\',
    );
    assert.deepEqual(withHeredoc, {
      kind: 'RUN',
      command: { form: 'shell', script: '<<EOF' },
      heredocs: [{ name: 'EOF', content: 'echo hi\n', expand: true }],
    });
    assert.deepEqual(typed('RUN --mount=type=cache,target=/c x'), {
      kind: 'RUN',
      command: { form: 'shell', script: 'x' },
      heredocs: [],
      mounts: ['type=cache,target=/c'],
    });
  });

  it('CMD and ENTRYPOINT keep their text; an empty one is an empty exec form', () => {
    assert.deepEqual(typed('CMD ["nginx", "-g", "daemon off;"]'), {
      kind: 'CMD',
      command: { form: 'exec', args: ['nginx', '-g', 'daemon off;'] },
    });
    assert.deepEqual(typed('ENTRYPOINT exec top -b'), {
      kind: 'ENTRYPOINT',
      command: { form: 'shell', script: 'exec top -b' },
    });
    assert.deepEqual(typed('ENTRYPOINT'), {
      kind: 'ENTRYPOINT',
      command: { form: 'exec', args: [] },
    });
  });

  it('SHELL must be JSON', () => {
    assert.deepEqual(typed('SHELL ["powershell", "-command"]'), {
      kind: 'SHELL',
      shell: ['powershell', '-command'],
    });
    assert.equal(
      parseError('SHELL powershell -command'),
      'SHELL requires the arguments to be in JSON form',
    );
    assert.equal(parseError('SHELL []'), 'SHELL requires at least one argument');
  });

  it('refuses unknown and malformed flags with dockerd messages', () => {
    assert.equal(parseError('RUN --foo x'), 'unknown flag: --foo');
    assert.equal(
      parseError('RUN --netwrk=none x'),
      'unknown flag: --netwrk (did you mean network?)',
    );
    assert.equal(parseError('RUN --network=bridge x'), 'invalid network mode "bridge"');
    assert.equal(parseError('RUN --network x'), 'missing a value on flag: --network');
    assert.equal(
      parseError('COPY --link=maybe a b'),
      'expecting boolean value for flag --link, not: maybe',
    );
    assert.equal(parseError('COPY --from=a --from=b a b'), 'duplicate flag specified: --from');
    assert.equal(parseError('CMD --x echo'), 'unknown flag: --x');
  });
});

describe('typedInstruction: COPY and ADD', () => {
  it('expands sources, destination and --chown; the last word is the destination', () => {
    assert.deepEqual(
      typed('COPY --chown=$U:$U --chmod=0755 --link a* $DIR/b /dst/', { U: 'app', DIR: 'd' }),
      {
        kind: 'COPY',
        sources: ['a*', 'd/b'],
        heredocs: [],
        dest: '/dst/',
        chown: 'app:app',
        chmod: '0755',
        link: true,
      },
    );
  });

  it('keeps --from as written (the classic builder does not expand it) and reads JSON', () => {
    assert.deepEqual(typed('COPY --from=build ["/a b", "/c"]'), {
      kind: 'COPY',
      sources: ['/a b'],
      heredocs: [],
      dest: '/c',
      from: 'build',
      link: false,
    });
  });

  it('turns heredoc words into heredoc sources', () => {
    const copy = parseDockerfile('FROM scratch\nCOPY <<one <<two /dest/\n1\none\n2\ntwo\n')
      .stages[0]?.instructions[0];
    assert.ok(copy !== undefined);
    assert.deepEqual(typedInstruction(copy, vars({}), '\\'), {
      kind: 'COPY',
      sources: [],
      heredocs: [
        { name: 'one', content: '1\n', expand: true },
        { name: 'two', content: '2\n', expand: true },
      ],
      dest: '/dest/',
      link: false,
    });
  });

  it('records ADD --checksum and validates --chmod after expansion', () => {
    assert.deepEqual(typed('ADD --checksum=sha256:abc https://x/y /y'), {
      kind: 'ADD',
      sources: ['https://x/y'],
      heredocs: [],
      dest: '/y',
      link: false,
      checksum: 'sha256:abc',
    });
    assert.throws(() => typed('COPY --chmod=$M a b', { M: '64a' }), {
      message: "invalid chmod parameter: '64a'. it should be octal string and between 0 and 07777",
    });
    assert.throws(() => typed('COPY --chmod=10000 a b'), {
      message:
        "invalid chmod parameter: '10000'. it should be octal string and between 0 and 07777",
    });
  });

  it('needs a destination, which cannot be a heredoc; ADD has no --from', () => {
    assert.equal(
      parseError('COPY a'),
      'COPY requires at least two arguments, but only one was provided. Destination could not be determined',
    );
    assert.equal(parseError('ADD a <<EOF\nx\nEOF'), 'ADD cannot accept a heredoc as a destination');
    assert.equal(parseError('ADD --from=x a b'), 'unknown flag: --from');
  });
});

describe('typedInstruction: ENV, LABEL, ARG', () => {
  it('reads name=value pairs, quotes and escapes resolved, variables expanded', () => {
    assert.deepEqual(typed('ENV a=1 b="two words" c=${a:-x}\\ y', { a: 'A' }), {
      kind: 'ENV',
      pairs: [
        ['a', '1'],
        ['b', 'two words'],
        ['c', 'A y'],
      ],
    });
    assert.deepEqual(typed('LABEL "com.example.name"="my app" version=1.0'), {
      kind: 'LABEL',
      pairs: [
        ['com.example.name', 'my app'],
        ['version', '1.0'],
      ],
    });
  });

  it('reads the legacy ENV form: one name, the rest of the line is the value', () => {
    assert.deepEqual(typed('ENV PATH /usr/bin:$PATH  and more', { PATH: '/bin' }), {
      kind: 'ENV',
      pairs: [['PATH', '/usr/bin:/bin  and more']], // ProcessWord keeps inner spacing
    });
  });

  it('refuses malformed pairs with dockerd messages', () => {
    assert.equal(parseError('ENV'), 'ENV requires at least one argument');
    assert.equal(parseError('ENV =x'), 'ENV names can not be blank');
    // These two come from dockerd's line parser, whose errors carry no line number.
    assert.equal(parseError('ENV onlyname'), 'ENV must have two arguments');
    assert.equal(
      parseError('LABEL a=b c'),
      'Syntax error - can\'t find = in "c". Must be of the form: name=value',
    );
    assert.throws(() => parseDockerfile('FROM scratch\nENV onlyname\n'), {
      message: 'ENV must have two arguments',
    });
  });

  it('ARG with and without defaults', () => {
    assert.deepEqual(typed('ARG a b=2 c="x y" d=$b', { b: 'B' }), {
      kind: 'ARG',
      args: [
        { name: 'a' },
        { name: 'b', defaultValue: '2' },
        { name: 'c', defaultValue: 'x y' },
        { name: 'd', defaultValue: 'B' },
      ],
    });
    assert.equal(parseError('ARG'), 'ARG requires at least one argument');
    assert.equal(parseError('ARG =x'), 'ARG names can not be blank');
  });
});

describe('typedInstruction: single-argument and list instructions', () => {
  it('expands WORKDIR, USER and STOPSIGNAL; MAINTAINER is literal', () => {
    assert.deepEqual(typed('WORKDIR /app/$V', { V: '1' }), { kind: 'WORKDIR', path: '/app/1' });
    assert.deepEqual(typed('USER ${U}:g', { U: 'me' }), { kind: 'USER', user: 'me:g' });
    assert.deepEqual(typed('STOPSIGNAL $S', { S: 'SIGTERM' }), {
      kind: 'STOPSIGNAL',
      signal: 'SIGTERM',
    });
    assert.deepEqual(typed('MAINTAINER $me <a@b>'), { kind: 'MAINTAINER', name: '$me <a@b>' });
    assert.equal(parseError('WORKDIR'), 'WORKDIR requires exactly one argument');
    assert.equal(parseError('USER'), 'USER requires exactly one argument');
  });

  it('EXPOSE sorts the ports as written and splits expanded values into ports', () => {
    assert.deepEqual(typed('EXPOSE 8080 $PORTS 443/tcp', { PORTS: '80 53/udp' }), {
      kind: 'EXPOSE',
      ports: ['80', '53/udp', '443/tcp', '8080'],
    });
    assert.equal(parseError('EXPOSE'), 'EXPOSE requires at least one argument');
  });

  it('VOLUME in JSON or words, expanded', () => {
    assert.deepEqual(typed('VOLUME ["/data", "/$V"]', { V: 'v' }), {
      kind: 'VOLUME',
      paths: ['/data', '/v'],
    });
    assert.deepEqual(typed('VOLUME /a /b'), { kind: 'VOLUME', paths: ['/a', '/b'] });
    assert.equal(parseError('VOLUME [" "]'), 'VOLUME specified can not be an empty string');
    assert.equal(parseError('VOLUME'), 'VOLUME requires at least one argument');
  });

  it('ONBUILD keeps the trigger unexpanded, keyword upper-cased', () => {
    assert.deepEqual(typed('ONBUILD run echo $X'), { kind: 'ONBUILD', trigger: 'RUN echo $X' });
    assert.equal(
      parseError('ONBUILD ONBUILD RUN x'),
      "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
    );
    assert.equal(parseError('ONBUILD FROM x'), "FROM isn't allowed as an ONBUILD trigger");
  });

  it('ONBUILD with a heredoc stores the body after the trigger', () => {
    const onbuild = parseDockerfile('FROM scratch\nONBUILD RUN <<EOF\nhi\nEOF\n').stages[0]
      ?.instructions[0];
    assert.ok(onbuild !== undefined);
    assert.deepEqual(typedInstruction(onbuild, vars({}), '\\'), {
      kind: 'ONBUILD',
      trigger: 'RUN <<EOF\nhi\nEOF',
    });
  });
});

describe('typedInstruction: HEALTHCHECK', () => {
  it('NONE disables the check', () => {
    assert.deepEqual(typed('HEALTHCHECK NONE'), {
      kind: 'HEALTHCHECK',
      interval: 0,
      timeout: 0,
      startPeriod: 0,
      startInterval: 0,
      retries: 0,
    });
    assert.equal(parseError('HEALTHCHECK NONE x'), 'HEALTHCHECK NONE takes no arguments');
  });

  it('reads Go durations into nanoseconds and the shell form as CMD-SHELL', () => {
    assert.deepEqual(
      typed(
        'HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=1.5s --start-interval=2h --retries=3 CMD curl -f http://x/ || exit 1',
      ),
      {
        kind: 'HEALTHCHECK',
        test: ['CMD-SHELL', 'curl -f http://x/ || exit 1'],
        interval: 90e9,
        timeout: 500e6,
        startPeriod: 1.5e9,
        startInterval: 7200e9,
        retries: 3,
      },
    );
  });

  it('reads the exec form as CMD', () => {
    const h = typed('HEALTHCHECK --timeout=0 cmd ["/bin/check", "$X"]');
    assert.equal(h.kind, 'HEALTHCHECK');
    assert.deepEqual(h.kind === 'HEALTHCHECK' ? h.test : [], ['CMD', '/bin/check', '$X']);
  });

  it('refuses bad types, durations and retries with dockerd and Go messages', () => {
    assert.equal(parseError('HEALTHCHECK'), 'HEALTHCHECK requires at least one argument');
    assert.equal(parseError('HEALTHCHECK CMD'), 'Missing command after HEALTHCHECK CMD');
    assert.equal(parseError('HEALTHCHECK FOO x'), 'Unknown type "FOO" in HEALTHCHECK (try CMD)');
    assert.equal(
      parseError('HEALTHCHECK --interval=5 CMD x'),
      'time: missing unit in duration "5"',
    );
    assert.equal(
      parseError('HEALTHCHECK --interval=5x CMD x'),
      'time: unknown unit "x" in duration "5x"',
    );
    assert.equal(parseError('HEALTHCHECK --interval=abc CMD x'), 'time: invalid duration "abc"');
    assert.equal(
      parseError('HEALTHCHECK --timeout=10us CMD x'),
      'Interval "timeout" cannot be less than 1ms',
    );
    assert.equal(parseError('HEALTHCHECK --retries=-1 CMD x'), '--retries cannot be negative (-1)');
    assert.equal(
      parseError('HEALTHCHECK --retries=x CMD x'),
      'strconv.ParseInt: parsing "x": invalid syntax',
    );
    assert.equal(parseError('HEALTHCHECK --foo=1 CMD x'), 'unknown flag: --foo');
  });
});

describe('typedFrom', () => {
  const from = (line: string): RawInstruction => {
    const stage = parseDockerfile(`${line}\n`).stages[0];
    assert.ok(stage !== undefined);
    return stage.from;
  };

  it('expands the image and platform with the global ARGs and lower-cases the stage name', () => {
    assert.deepEqual(
      typedFrom(
        from('FROM --platform=$P ${IMG}:${TAG:-1} AS Builder'),
        vars({ IMG: 'alpine', P: 'linux/arm64' }),
        '\\',
      ),
      { image: 'alpine:1', stageName: 'builder', platform: 'linux/arm64' },
    );
    assert.deepEqual(typedFrom(from('FROM alpine'), vars({}), '\\'), { image: 'alpine' });
  });

  it('refuses an image that expands to nothing', () => {
    assert.throws(() => typedFrom(from('FROM $NOPE'), vars({}), '\\'), {
      message: 'base name ($NOPE) should not be blank',
    });
  });
});

describe('escape character in typed instructions', () => {
  it('expands with the backtick escape when the Dockerfile chose it', () => {
    const copy = raw('COPY a.txt C:\\dest\\', '`');
    assert.deepEqual(typedInstruction(copy, vars({}), '`'), {
      kind: 'COPY',
      sources: ['a.txt'],
      heredocs: [],
      dest: 'C:\\dest\\',
      link: false,
    });
    assert.deepEqual(typedInstruction(raw('ENV p=C:\\a`$x q=`"', '`'), vars({ x: '1' }), '`'), {
      kind: 'ENV',
      pairs: [
        ['p', 'C:\\a$x'],
        ['q', '"'],
      ],
    });
  });
});
