import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { figureTable, shortNumber } from '../../../bench/bench-table.js';

describe('figureTable', () => {
  const table = figureTable(
    [
      {
        metric: 'exec',
        engine: 'skiff',
        unit: 'ms',
        values: [40, 30, 50],
        better: 'lower',
        aim: '≤ 35 ms',
      },
      {
        metric: 'exec',
        engine: 'rootless-docker',
        unit: 'ms',
        values: [80, 60, 100],
        better: 'lower',
      },
      { metric: 'exec', engine: 'floor', unit: 'ms', values: [20], better: 'lower' },
      { metric: 'unpack', engine: 'skiff', unit: 'MB/s', values: [210], better: 'higher' },
      { metric: 'unpack', engine: 'podman-service', unit: 'MB/s', values: [105], better: 'higher' },
    ],
    'now',
  );
  const rows = table.split('\n');

  it('has one row per metric, engines in columns, median (min–max), ratios and the aim', () => {
    assert.equal(
      rows[0],
      '| figure | skiff | Rootless Docker | Podman service | floor | skiff / Docker | skiff / Podman | aim |',
    );
    assert.equal(
      rows[2],
      '| exec | 40.0 ms (30.0–50.0) | 80.0 ms (60.0–100) |  | 20.0 ms | 0.50x |  | ≤ 35 ms |',
    );
    assert.equal(rows[3], '| unpack | 210 MB/s |  | 105 MB/s |  |  | 2.00x |  |');
    assert.match(table, /of `npm run bench` \(now\)/);
  });

  it('rounds to three significant digits without exponents', () => {
    assert.deepEqual([0, 0.01234, 1.234, 12.34, 123.4, 12345.6].map(shortNumber), [
      '0',
      '0.012',
      '1.23',
      '12.3',
      '123',
      '12346',
    ]);
  });
});
