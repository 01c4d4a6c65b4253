import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, quirks, MAX_API_VERSION } from '../../../src/api/version.js';

describe('API version negotiation', () => {
  it('accepts 1.24 to 1.50; no prefix means the newest', () => {
    assert.equal(negotiate('1.24'), '1.24');
    assert.equal(negotiate('1.50'), '1.50');
    assert.equal(negotiate(undefined), MAX_API_VERSION);
  });

  it("refuses older and newer ones with dockerd's messages", () => {
    assert.throws(
      () => negotiate('1.12'),
      /^InvalidArgumentError: client version 1\.12 is too old\. Minimum supported API version is 1\.24, please upgrade your client to a newer version$/,
    );
    assert.throws(
      () => negotiate('1.51'),
      /client version 1\.51 is too new\. Maximum supported API version is 1\.50/,
    );
    assert.throws(() => negotiate('v2'), /invalid API version: v2/);
  });

  it('compares minor versions numerically (1.9 < 1.24)', () => {
    assert.throws(() => negotiate('1.9'), /too old/);
    assert.equal(quirks('1.40').defaultNetworkModeName, 'default');
    assert.equal(quirks('1.41').defaultNetworkModeName, 'bridge');
  });
});
