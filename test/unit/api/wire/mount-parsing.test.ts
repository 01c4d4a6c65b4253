import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isLocalPath, parseMount } from '../../../../src/api/wire/mount-parsing.js';

describe('isLocalPath: a volume subpath must stay inside the volume (Go filepath.IsLocal)', () => {
  it('accepts relative paths that never climb above the volume', () => {
    assert.equal(isLocalPath('sub'), true);
    assert.equal(isLocalPath('a/b/../c'), true);
    assert.equal(isLocalPath('./a'), true);
  });
  it('refuses absolute, empty and climbing paths', () => {
    assert.equal(isLocalPath('/sub'), false);
    assert.equal(isLocalPath(''), false);
    assert.equal(isLocalPath('../x'), false);
    assert.equal(isLocalPath('a/../../x'), false);
  });
});

describe('parseMount: VolumeOptions.Subpath (API 1.45)', () => {
  const mount = (source: string, subpath: string): unknown => ({
    Type: 'volume',
    Source: source,
    Target: '/d',
    VolumeOptions: { Subpath: subpath },
  });
  it('keeps the subpath of a named volume', () => {
    assert.equal(parseMount(mount('vol', 'sub/dir'), 0).volumeSubpath, 'sub/dir');
    assert.equal(parseMount(mount('vol', ''), 0).volumeSubpath, undefined);
  });
  it('refuses it on an anonymous volume and outside the volume, with dockerd’s words', () => {
    assert.throws(
      () => parseMount(mount('', 'sub'), 0),
      /invalid mount config for type "volume": must not set Subpath when using anonymous volumes/,
    );
    assert.throws(
      () => parseMount(mount('vol', '../up'), 0),
      /subpath must be a relative path within the volume/,
    );
    assert.throws(() => parseMount(mount('vol', '/abs'), 0), /subpath must be a relative path/);
  });
});
