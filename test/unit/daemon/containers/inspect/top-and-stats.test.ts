import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePs } from '../../../../../src/daemon/containers/inspect/container-top.js';
import { parseNetDev } from '../../../../../src/daemon/containers/inspect/container-stats.js';

describe('docker top: ps output filtered by the container pids', () => {
  it('keeps the command with its spaces and only the wanted pids', () => {
    const out =
      'UID PID PPID C STIME TTY TIME CMD\nroot 10 1 0 10:00 ? 00:00:00 sleep 100\nroot 11 1 0 10:00 ? 00:00:00 other thing\n';
    const r = parsePs(out, new Set([10]));
    assert.deepEqual(r.titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
    assert.deepEqual(r.processes, [
      ['root', '10', '1', '0', '10:00', '?', '00:00:00', 'sleep 100'],
    ]);
  });
});

describe('network counters from /proc/<pid>/net/dev', () => {
  it('skips lo', () => {
    const text =
      'Inter-|   Receive\n face |bytes packets errs drop fifo frame compressed multicast|bytes packets errs drop\n    lo: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n  tap0: 100 2 0 0 0 0 0 0 200 3 0 0 0 0 0 0\n';
    const n = parseNetDev(text);
    assert.deepEqual(Object.keys(n), ['tap0']);
    assert.equal(n['tap0']?.rxBytes, 100);
    assert.equal(n['tap0']?.txPackets, 3);
  });
});
