import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyWhiteout, normalizeEntryName } from '../../../src/snapshot/layer-paths.js';
import { filterDiff } from '../../../src/snapshot/layer-diff.js';

describe('layer entry paths', () => {
  it('normalises names and refuses escapes', () => {
    assert.equal(normalizeEntryName('./a/b/'), 'a/b');
    assert.equal(normalizeEntryName('/abs/path'), 'abs/path');
    assert.equal(normalizeEntryName('./'), '');
    assert.throws(() => normalizeEntryName('../etc/passwd'), /leave the layer/);
    assert.throws(() => normalizeEntryName('a/../../b'), /leave the layer/);
  });

  it('recognises OCI whiteouts and opaque markers', () => {
    assert.deepEqual(classifyWhiteout('etc/.wh.passwd'), { kind: 'whiteout', path: 'etc/passwd' });
    assert.deepEqual(classifyWhiteout('.wh.top'), { kind: 'whiteout', path: 'top' });
    assert.deepEqual(classifyWhiteout('var/cache/.wh..wh..opq'), {
      kind: 'opaque',
      dir: 'var/cache',
    });
    assert.deepEqual(classifyWhiteout('etc/passwd'), { kind: 'none' });
    assert.throws(() => classifyWhiteout('a/.wh..'), /invalid whiteout/);
  });

  it('filters excluded paths and the directories changed only by them', () => {
    const entries = [
      { kind: 'modified' as const, rel: 'etc' },
      { kind: 'added' as const, rel: 'etc/hosts' },
      { kind: 'modified' as const, rel: 'var' },
      { kind: 'added' as const, rel: 'var/x' },
    ];
    const kept = filterDiff(entries, (p) => p === '/etc/hosts').map((e) => e.rel);
    assert.deepEqual(kept, ['var', 'var/x']);
  });
});
