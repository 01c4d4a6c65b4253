import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  hasNetBindService,
  parsePortStart,
  statusField,
} from '../../../../src/rootless/rootlesskit/low-ports.js';

const status = (capEff: string): string =>
  `Name:\trootlesskit\nState:\tS (sleeping)\nPPid:\t28687\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\n`;

describe('rootlesskit low ports', () => {
  it('reads /proc/<pid>/status fields', () => {
    assert.equal(statusField(status('0'), 'PPid'), '28687');
    assert.equal(statusField(status('0'), 'Nope'), undefined);
  });

  it('finds CAP_NET_BIND_SERVICE (bit 10) in CapEff only', () => {
    assert.equal(hasNetBindService(status('0000000000000400')), true);
    assert.equal(hasNetBindService(status('000001ffffffffff')), true);
    assert.equal(hasNetBindService(status('0000000000000000')), false);
    assert.equal(hasNetBindService(status('0000000000000200')), false);
    assert.equal(hasNetBindService('CapPrm:\t0000000000000400\n'), false);
  });

  it('parses the sysctl, 1024 when unreadable or garbled', () => {
    assert.equal(parsePortStart('0\n'), 0);
    assert.equal(parsePortStart('80\n'), 80);
    assert.equal(parsePortStart(undefined), 1024);
    assert.equal(parsePortStart('x'), 1024);
  });
});
