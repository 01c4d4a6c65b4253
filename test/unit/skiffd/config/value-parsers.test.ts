import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  asAbsolutePath,
  asBoolean,
  asEnum,
  asInt,
  asString,
  asStringArray,
  asStringRecord,
} from '../../../../src/skiffd/config/value-parsers.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

/** Asserts an InvalidArgumentError with exactly this message. */
function refuses(f: () => unknown, message: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, `not an InvalidArgumentError: ${String(e)}`);
    assert.equal(e.message, message);
    return true;
  });
}

describe('asString', () => {
  it('returns strings, empty included', () => {
    assert.equal(asString('x', 'k'), 'x');
    assert.equal(asString('', 'k'), '');
  });

  it('refuses other types, naming the key and showing the value as JSON', () => {
    refuses(
      () => asString(3, 'seccomp-profile'),
      'invalid value for "seccomp-profile": 3 (expected a string)',
    );
    refuses(() => asString(['a'], 'k'), 'invalid value for "k": ["a"] (expected a string)');
    refuses(() => asString(null, 'k'), 'invalid value for "k": null (expected a string)');
  });
});

describe('asBoolean', () => {
  it('takes JSON booleans only, not their spellings', () => {
    assert.equal(asBoolean(true, 'debug'), true);
    assert.equal(asBoolean(false, 'debug'), false);
    refuses(
      () => asBoolean('true', 'debug'),
      'invalid value for "debug": "true" (expected true or false)',
    );
    refuses(() => asBoolean(1, 'debug'), 'invalid value for "debug": 1 (expected true or false)');
  });
});

describe('asInt', () => {
  it('accepts integers within the inclusive bounds', () => {
    assert.equal(asInt(1, 'k', 1, 64), 1);
    assert.equal(asInt(64, 'k', 1, 64), 64);
    assert.equal(asInt(-1, 'k', -1), -1);
    assert.equal(asInt(2 ** 40, 'k', 0), 2 ** 40);
  });

  it('refuses fractions, strings and values out of range, giving the range', () => {
    const msg = (v: string): string =>
      `invalid value for "max-concurrent-downloads": ${v} (expected an integer between 1 and 64)`;
    refuses(() => asInt(0, 'max-concurrent-downloads', 1, 64), msg('0'));
    refuses(() => asInt(65, 'max-concurrent-downloads', 1, 64), msg('65'));
    refuses(() => asInt(1.5, 'max-concurrent-downloads', 1, 64), msg('1.5'));
    refuses(() => asInt('3', 'max-concurrent-downloads', 1, 64), msg('"3"'));
    refuses(() => asInt(Number.NaN, 'max-concurrent-downloads', 1, 64), msg('null'));
  });

  it('has no upper bound but the safe integers by default', () => {
    refuses(
      () => asInt(-2, 'k', -1),
      `invalid value for "k": -2 (expected an integer between -1 and ${Number.MAX_SAFE_INTEGER})`,
    );
  });
});

describe('asStringArray', () => {
  it('returns a list of strings, the empty list included', () => {
    assert.deepEqual(asStringArray(['a', 'b'], 'dns'), ['a', 'b']);
    assert.deepEqual(asStringArray([], 'dns'), []);
  });

  it('refuses a single string and lists holding anything else', () => {
    refuses(
      () => asStringArray('8.8.8.8', 'dns'),
      'invalid value for "dns": "8.8.8.8" (expected a list of strings)',
    );
    refuses(
      () => asStringArray(['a', 1], 'dns'),
      'invalid value for "dns": ["a",1] (expected a list of strings)',
    );
    refuses(
      () => asStringArray({ 0: 'a' }, 'dns'),
      'invalid value for "dns": {"0":"a"} (expected a list of strings)',
    );
  });
});

describe('asStringRecord', () => {
  it('returns a copy of an object of strings', () => {
    const input = { 'max-size': '10m', 'max-file': '3' };
    const out = asStringRecord(input, 'log-opts');
    assert.deepEqual(out, input);
    assert.notEqual(out, input);
  });

  it('refuses non-objects, and names the member that is not a string', () => {
    refuses(
      () => asStringRecord(['a'], 'log-opts'),
      'invalid value for "log-opts": ["a"] (expected an object of strings)',
    );
    refuses(
      () => asStringRecord(null, 'log-opts'),
      'invalid value for "log-opts": null (expected an object of strings)',
    );
    refuses(
      () => asStringRecord({ 'max-file': 3 }, 'log-opts'),
      'invalid value for "log-opts.max-file": 3 (expected a string)',
    );
  });
});

describe('asEnum', () => {
  it('accepts the listed values, case-sensitively', () => {
    assert.equal(asEnum('crun', 'default-runtime', ['runc', 'crun']), 'crun');
    refuses(
      () => asEnum('CRUN', 'default-runtime', ['runc', 'crun']),
      'invalid value for "default-runtime": "CRUN" (expected one of runc, crun)',
    );
    refuses(
      () => asEnum(1, 'default-runtime', ['runc', 'crun']),
      'invalid value for "default-runtime": 1 (expected one of runc, crun)',
    );
  });
});

describe('asAbsolutePath', () => {
  it('takes absolute paths and refuses relative ones and non-strings', () => {
    assert.equal(asAbsolutePath('/var/lib/skiff', 'data-root'), '/var/lib/skiff');
    refuses(
      () => asAbsolutePath('var/lib', 'data-root'),
      'invalid value for "data-root": "var/lib" (expected an absolute path)',
    );
    refuses(
      () => asAbsolutePath('', 'data-root'),
      'invalid value for "data-root": "" (expected an absolute path)',
    );
    refuses(
      () => asAbsolutePath(7, 'data-root'),
      'invalid value for "data-root": 7 (expected a string)',
    );
  });
});
