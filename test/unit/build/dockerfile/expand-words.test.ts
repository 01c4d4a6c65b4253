import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expandWord, expandWords } from '../../../../src/build/dockerfile/expand-words.js';
import { DockerfileError } from '../../../../src/build/dockerfile/dockerfile-error.js';

const lookupOf =
  (vars: Record<string, string>) =>
  (name: string): string | undefined =>
    Object.hasOwn(vars, name) ? vars[name] : undefined;

// Rows of buildkit frontend/dockerfile/shell/envVarTest (word | result, or "error"), with the
// environment lex_test.go uses. "$\{" stands for "${", which a template literal would interpolate.
const ENV_VAR_TEST = String.raw`
hello                    |     hello
he'll'o                  |     hello
he'llo                   |     error
he\'llo                  |     he'llo
he\\'llo                 |     error
abc\tdef                 |     abctdef
"abc\tdef"               |     abc\tdef
"abc\\tdef"              |     abc\tdef
'abc\tdef'               |     abc\tdef
hello\                   |     hello
hello\\                  |     hello\
"hello                   |     error
"hello\"                 |     error
"hel'lo"                 |     hel'lo
'hello                   |     error
'hello\'                 |     hello\
'hello\there'            |     hello\there
'hello\\there'           |     hello\\there
"''"                     |     ''
$.                       |     $.
he$1x                    |     hex
he$.x                    |     he$.x
he$pwd.                  |     he.
he$PWD                   |     he/home
he\$PWD                  |     he$PWD
he\\$PWD                 |     he\/home
"he\$PWD"                |     he$PWD
"he\\$PWD"               |     he\/home
\$\{}                     |     $\{}
\$\{}aaa                  |     $\{}aaa
he\$\{}                   |     he$\{}
he\$\{}xx                 |     he$\{}xx
$\{}                      |     error
$\{}aaa                   |     error
he$\{}                    |     error
he$\{}xx                  |     error
he$\{hi}                  |     he
he$\{hi}xx                |     hexx
he$\{PWD}                 |     he/home
he$\{.}                   |     error
he$\{XXX:-000}xx          |     he000xx
he$\{PWD:-000}xx          |     he/homexx
he$\{XXX:-$PWD}xx         |     he/homexx
he$\{XXX:-$\{PWD:-yyy}}xx  |     he/homexx
he$\{XXX:-$\{YYY:-yyy}}xx  |     heyyyxx
he$\{XXX:YYY}             |     error
he$\{XXX?}                |     error
he$\{XXX:?}               |     error
he$\{PWD?}                |     he/home
he$\{PWD:?}               |     he/home
he$\{NULL?}               |     he
he$\{NULL:?}              |     error
he$\{XXX:+$\{PWD}}xx       |     hexx
he$\{PWD:+$\{XXX}}xx       |     hexx
he$\{PWD:+$\{SHELL}}xx     |     hebashxx
he$\{XXX:+000}xx          |     hexx
he$\{PWD:+000}xx          |     he000xx
'he$\{XX}'                |     he$\{XX}
"he$\{PWD}"               |     he/home
"he'$PWD'"               |     he'/home'
"$PWD"                   |     /home
'$PWD'                   |     $PWD
'\$PWD'                  |     \$PWD
'"hello"'                |     "hello"
he$\{PWD                  |     error
he$\{PWD:=000}xx          |     error
he$\{PWD:+$\{PWD}:}xx      |     he/home:xx
he$\{XXX:-\$PWD:}xx       |     he$PWD:xx
he$\{XXX:-\$\{PWD}z}xx     |     he$\{PWDz}xx
안'녕'하세요               |     안녕하세요
$KOREAN                  |     한국어
$\{{aaa}                  |     error
$\{aaa}}                  |     }
$\{aaa                    |     error
$\{aaa:-bbb}}             |     bbb}
$\{aaa:-bbb               |     error
$\{aaa:-$\{bbb:-ccc}}      |     ccc
$\{aaa:-bbb $\{foo}        |     error
$\{aaa:-bbb {foo}         |     bbb {foo
$\{:}                     |     error
$\{:-bbb}                 |     error
$1                       |
$\{1:-bbb}                |     bbb
$999aaa                  |     aaa
$\{001:-bbb}aaa           |     bbbaaa
$@@@                     |     @@
$\{@:-bbb}aaa             |     bbbaaa
$\{#:-bbb}                |     bbb
$$                       |
$\{0:+bbb}                |
`;

describe('expandWord (lex.go ProcessWord)', () => {
  const lookup = lookupOf({ PWD: '/home', SHELL: 'bash', KOREAN: '한국어', NULL: '' });
  for (const row of ENV_VAR_TEST.replaceAll('$\\{', '${').trim().split('\n')) {
    const [word = '', expected = ''] = row.split('|').map((s) => s.trim());
    it(`${word} → ${expected === '' ? '(empty)' : expected}`, () => {
      if (expected === 'error') {
        assert.throws(() => expandWord(word, lookup, '\\'), DockerfileError);
      } else {
        assert.equal(expandWord(word, lookup, '\\'), expected);
      }
    });
  }

  it('says which word failed and why, like lex.go', () => {
    assert.throws(() => expandWord('${a:?must be set}', lookupOf({}), '\\'), {
      message: 'failed to process "${a:?must be set}": a: must be set',
    });
    assert.throws(() => expandWord('${a?}', lookupOf({}), '\\'), {
      message: 'failed to process "${a?}": a: is not allowed to be unset',
    });
    assert.throws(() => expandWord('${a:?}', lookupOf({ a: '' }), '\\'), {
      message: 'failed to process "${a:?}": a: is not allowed to be empty',
    });
    assert.throws(() => expandWord('${a', lookupOf({}), '\\'), {
      message: 'failed to process "${a": syntax error: missing \'}\'',
    });
    assert.throws(() => expandWord('${a:', lookupOf({}), '\\'), {
      message: 'failed to process "${a:": syntax error: missing \'}\'',
    });
    assert.throws(() => expandWord('${a:=b}', lookupOf({}), '\\'), {
      message: 'failed to process "${a:=b}": unsupported modifier (:=) in substitution',
    });
  });

  it('distinguishes unset from empty: ${a-b} and ${a+b} versus ${a:-b} and ${a:+b}', () => {
    const lookup2 = lookupOf({ empty: '' });
    assert.equal(expandWord('${empty-x}', lookup2, '\\'), '');
    assert.equal(expandWord('${empty:-x}', lookup2, '\\'), 'x');
    assert.equal(expandWord('${empty+x}', lookup2, '\\'), 'x');
    assert.equal(expandWord('${empty:+x}', lookup2, '\\'), '');
    assert.equal(expandWord('${unset-x}', lookup2, '\\'), 'x');
    assert.equal(expandWord('${unset+x}', lookup2, '\\'), '');
  });

  it('removes prefixes and suffixes (#, ##, %, %%) and replaces (/, //)', () => {
    const lookup2 = lookupOf({ path: '/usr/local/bin', file: 'a.tar.gz', v: 'aXbXc' });
    assert.equal(expandWord('${path#*/}', lookup2, '\\'), 'usr/local/bin');
    assert.equal(expandWord('${path##*/}', lookup2, '\\'), 'bin');
    assert.equal(expandWord('${file%.*}', lookup2, '\\'), 'a.tar');
    assert.equal(expandWord('${file%%.*}', lookup2, '\\'), 'a');
    assert.equal(expandWord('${v/X/-}', lookup2, '\\'), 'a-bXc');
    assert.equal(expandWord('${v//X/-}', lookup2, '\\'), 'a-b-c');
    assert.equal(expandWord('${v//X/$}', lookup2, '\\'), 'a$b$c');
  });

  it('uses the backtick as escape character when the Dockerfile says so', () => {
    const lookup2 = lookupOf({ x: '1' });
    assert.equal(expandWord('C:\\dir`$x', lookup2, '`'), 'C:\\dir$x');
    assert.equal(expandWord('C:\\dir\\$x', lookup2, '`'), 'C:\\dir\\1');
    assert.equal(expandWord('"a`"b"', lookup2, '`'), 'a"b');
  });
});

// buildkit frontend/dockerfile/shell/wordsTest (ProcessWords).
describe('expandWords (lex.go ProcessWords)', () => {
  const cases: [Record<string, string>, string, string[] | 'error'][] = [
    [{}, 'hello', ['hello']],
    [{}, 'hello${hi}bye', ['hellobye']],
    [{ hi: 'hi' }, 'hello${hi}bye', ['hellohibye']],
    [{ space: 'abc  def' }, 'hello${space}bye', ['helloabc', 'defbye']],
    [{ space: 'abc  def' }, 'hello"${space}"bye', ['helloabc  defbye']],
    [{ space: 'abc  def' }, 'hello "${space}"bye', ['hello', 'abc  defbye']],
    [{ leading: '  ab c' }, 'hello${leading}def', ['hello', 'ab', 'cdef']],
    [{ leading: '  ab c' }, 'hello"${leading}" def', ['hello  ab c', 'def']],
    [{ trailing: 'ab c   ' }, 'hello${trailing}d', ['helloab', 'c', 'd']],
    [{ trailing: 'ab c   ' }, 'hel"lo${trailing}"', ['helloab c   ']],
    [{}, 'hello" there  "', ['hello there  ']],
    [{}, 'hello there     ', ['hello', 'there']],
    [{}, 'hello\\ there', ['hello there']],
    [{}, 'hello" there', 'error'],
    [{}, 'hello\\" there', ['hello"', 'there']],
    [{}, "hello'\\\\there'", ['hello\\\\there']],
    [{}, "hello'$there'", ['hello$there']],
    [{ ports: '80 443/udp' }, '$ports', ['80', '443/udp']],
  ];
  for (const [vars, text, expected] of cases) {
    it(`${text} → ${JSON.stringify(expected)}`, () => {
      if (expected === 'error') {
        assert.throws(() => expandWords(text, lookupOf(vars), '\\'), DockerfileError);
      } else {
        assert.deepEqual(expandWords(text, lookupOf(vars), '\\'), expected);
      }
    });
  }
});
