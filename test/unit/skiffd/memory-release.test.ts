import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryRelease } from '../../../src/skiffd/memory-release.js';
import { confined } from '../../../src/confine/confined-fs.js';

describe('MemoryRelease', () => {
  it('releases once, quietMs after the last of a burst of requests, GC first', async () => {
    const calls: string[] = [];
    const m = new MemoryRelease(
      () => calls.push('release'),
      60,
      () => calls.push('gc'),
    );
    for (let i = 0; i < 5; i++) {
      m.activity();
      await sleep(20);
    }
    // 100 ms since the first request, 20 since the last: a per-request or fixed-period timer
    // would have fired by now.
    assert.deepEqual(calls, []);
    await sleep(120);
    assert.deepEqual(calls, ['gc', 'release']);
    m.activity();
    await sleep(120);
    assert.deepEqual(calls, ['gc', 'release', 'gc', 'release']);
  });

  it('does nothing after stop', async () => {
    let released = 0;
    const m = new MemoryRelease(() => released++, 20, undefined);
    m.activity();
    m.stop();
    await sleep(60);
    assert.equal(released, 0);
  });

  it("calls glibc's malloc_trim through the skiff-confine addon", () => {
    assert.equal(typeof confined().mallocTrim(), 'boolean');
  });
});
