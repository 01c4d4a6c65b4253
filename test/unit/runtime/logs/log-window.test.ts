// Issue 10: `docker logs --since/--until` boundaries as dockerd's forwarder.Do
// (moby daemon/logger/loggerutils/logfile.go): both inclusive, `since` stops filtering after
// the first line it lets through, the first line after `until` ends the read.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K8sLogReader, logWindow } from '../../../../src/runtime/logs/k8s-log-reader.js';

const at = (s: number): Date => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const rec = (s: number, text: string): string =>
  `${at(s).toISOString().replace('Z', '000000Z')} stdout F ${text}\n`;

describe('logWindow', () => {
  it('lets a line at exactly since and exactly until through', () => {
    const w = logWindow(at(2), at(4));
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((s) => w({ time: at(s) })),
      ['skip', 'emit', 'emit', 'emit', 'stop'],
    );
  });

  it('filters on since only until the first line at or after it', () => {
    const w = logWindow(at(5));
    assert.deepEqual(
      [3, 5, 4, 6].map((s) => w({ time: at(s) })),
      ['skip', 'emit', 'emit', 'emit'],
    );
  });

  it('without bounds emits everything', () => {
    const w = logWindow();
    assert.equal(w({ time: at(0) }), 'emit');
  });
});

describe('K8sLogReader: since/until', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-log-window-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const read = async (path: string, since?: Date, until?: Date): Promise<string[]> => {
    const out: string[] = [];
    for await (const l of new K8sLogReader().read(path, {
      follow: false,
      signal: new AbortController().signal,
      ...(since ? { since } : {}),
      ...(until ? { until } : {}),
    }))
      out.push(l.line.toString().trim());
    return out;
  };

  it('reads the lines at the boundaries, and stops at the first line past until', async () => {
    const path = join(dir, 'window.log');
    // A clock step back after "d": dockerd stops at "e" and never reaches the later "f".
    await writeFile(
      path,
      [rec(1, 'a'), rec(2, 'b'), rec(3, 'c'), rec(4, 'd'), rec(9, 'e'), rec(3, 'f')].join(''),
    );
    assert.deepEqual(await read(path, at(2), at(4)), ['b', 'c', 'd']);
    assert.deepEqual(await read(path, at(4)), ['d', 'e', 'f']);
    assert.deepEqual(await read(path, undefined, at(3)), ['a', 'b', 'c']);
    assert.deepEqual(await read(path, at(5), at(9)), ['e', 'f']);
  });
});
