import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LineAssembler,
  parseRecord,
  parseTime,
} from '../../../../src/runtime/logs/k8s-log-format.js';
import { K8sLogReader } from '../../../../src/runtime/logs/k8s-log-reader.js';
import { rotateIfNeeded } from '../../../../src/runtime/logs/log-rotator.js';

describe("conmon's k8s-file log format", () => {
  it('parses records and joins partial lines', () => {
    const r = parseRecord(Buffer.from('2026-11-24T01:02:03.123456789+00:00 stdout P hel'));
    assert.equal(r?.stream, 'stdout');
    assert.equal(r?.partial, true);
    assert.equal(r?.time.toISOString(), '2026-11-24T01:02:03.123Z');
    const a = new LineAssembler();
    assert.equal(a.push(r ?? assert.fail()), undefined);
    const line = a.push(
      parseRecord(Buffer.from('2026-11-24T01:02:04.000000000+00:00 stdout F lo')) ?? assert.fail(),
    );
    assert.equal(line?.line.toString(), 'hello\n');
    assert.equal(parseRecord(Buffer.from('garbage')), undefined);
    assert.equal(parseTime('2026-11-24T01:02:03Z')?.toISOString(), '2026-11-24T01:02:03.000Z');
  });
});

describe('reading and rotating logs', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-logs-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tail, since and stream filtering over rotated files', async () => {
    const path = join(dir, 'c.log');
    const rec = (s: number, stream: string, text: string): string =>
      `2026-01-01T00:00:${String(s).padStart(2, '0')}.000000000Z ${stream} F ${text}\n`;
    await writeFile(`${path}.1`, rec(1, 'stdout', 'one') + rec(2, 'stderr', 'two'));
    await writeFile(path, rec(3, 'stdout', 'three') + rec(4, 'stdout', 'four'));
    const read = async (o: { tail?: number; since?: Date }): Promise<string[]> => {
      const out: string[] = [];
      for await (const l of new K8sLogReader().read(path, {
        follow: false,
        signal: new AbortController().signal,
        ...o,
      }))
        out.push(l.line.toString().trim());
      return out;
    };
    assert.deepEqual(await read({}), ['one', 'two', 'three', 'four']);
    assert.deepEqual(await read({ tail: 3 }), ['two', 'three', 'four']);
    assert.deepEqual(await read({ tail: 1 }), ['four']);
    assert.deepEqual(await read({ since: new Date('2026-01-01T00:00:03Z') }), ['three', 'four']);
  });

  it('rotates at max-size and keeps max-file - 1 old files', async () => {
    const path = join(dir, 'r.log');
    await writeFile(path, 'x'.repeat(100));
    let reopened = 0;
    assert.equal(
      await rotateIfNeeded(path, { maxSize: 50, maxFiles: 2 }, () => {
        reopened++;
        return Promise.resolve();
      }),
      true,
    );
    assert.equal(reopened, 1);
    await writeFile(path, 'y'.repeat(100));
    await rotateIfNeeded(path, { maxSize: 50, maxFiles: 2 }, () => Promise.resolve());
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('r.log')).sort(), ['r.log.1']);
  });
});
