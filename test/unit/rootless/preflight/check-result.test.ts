import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fail, ok, warn, worstStatus } from '../../../../src/rootless/preflight/check-result.js';

describe('check results', () => {
  it('carry a fix only when one is given', () => {
    assert.deepEqual(ok('a', 'A', 'fine'), { id: 'a', title: 'A', status: 'ok', detail: 'fine' });
    assert.equal('fix' in warn('a', 'A', 'hm'), false);
    assert.deepEqual(fail('a', 'A', 'bad', ['do this']).fix, ['do this']);
    assert.equal(fail('a', 'A', 'bad').status, 'fail');
  });

  it('worstStatus: any fail is fail, else any warn is warn, else ok', () => {
    assert.equal(worstStatus([]), 'ok');
    assert.equal(worstStatus([ok('a', 'A', ''), ok('b', 'B', '')]), 'ok');
    assert.equal(worstStatus([ok('a', 'A', ''), warn('b', 'B', '')]), 'warn');
    assert.equal(worstStatus([warn('a', 'A', ''), fail('b', 'B', ''), ok('c', 'C', '')]), 'fail');
    assert.equal(worstStatus([fail('a', 'A', ''), warn('b', 'B', '')]), 'fail');
  });
});
