import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  containsWildcards,
  goMatch,
  unescapePattern,
} from '../../../../src/build/context/go-match.js';

// Cases from Go's src/path/filepath/match_test.go.
const cases: readonly [string, string, boolean | 'bad'][] = [
  ['abc', 'abc', true],
  ['*', 'abc', true],
  ['*c', 'abc', true],
  ['a*', 'a', true],
  ['a*', 'abc', true],
  ['a*', 'ab/c', false],
  ['a*/b', 'abc/b', true],
  ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false],
  ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true],
  ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true],
  ['ab[b-d]', 'abc', true],
  ['ab[e-g]', 'abc', false],
  ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false],
  ['ab[^e-g]', 'abc', true],
  ['a\\*b', 'a*b', true],
  ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true],
  ['a[^a]b', 'a☺b', true],
  ['a???b', 'a☺b', false],
  ['[a-ζ]*', 'α', true],
  ['*[a-ζ]', 'A', false],
  ['a?b', 'a/b', false],
  ['a*b', 'a/b', false],
  ['[\\]a]', ']', true],
  ['[\\-]', '-', true],
  ['[x\\-]', 'x', true],
  ['[x\\-]', '-', true],
  ['[x\\-]', 'z', false],
  ['[\\-x]', 'a', false],
  ['[]a]', ']', 'bad'],
  ['[-]', '-', 'bad'],
  ['[x-]', 'x', 'bad'],
  ['[a-b-c]', 'a', 'bad'],
  ['[', 'a', 'bad'],
  ['[^', 'a', 'bad'],
  ['[^bc', 'a', 'bad'],
  ['a[', 'a', 'bad'],
  ['a[', 'ab', 'bad'],
  ['a[', 'x', 'bad'],
  ['a/b[', 'x', 'bad'],
  ['*x', 'xxx', true],
];

describe('goMatch (Go filepath.Match)', () => {
  for (const [pattern, name, want] of cases)
    it(`${pattern} ~ ${name} → ${String(want)}`, () => {
      if (want === 'bad') assert.throws(() => goMatch(pattern, name), { kind: 'invalid-argument' });
      else assert.equal(goMatch(pattern, name), want);
    });

  it('tells wildcard patterns from plain (escaped) names', () => {
    assert.equal(containsWildcards('a/b.txt'), false);
    assert.equal(containsWildcards('a/\\*.txt'), false);
    assert.equal(containsWildcards('*.txt'), true);
    assert.equal(containsWildcards('[ab].txt'), true);
    assert.equal(unescapePattern('a\\*b'), 'a*b');
  });
});
