import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FrameParser, frame } from '../../../../src/api/streams/stdcopy.js';
import { DetachKeyScanner, parseDetachKeys } from '../../../../src/api/streams/detach-keys.js';

describe('stdcopy frames', () => {
  it('frames and parses across chunk boundaries', () => {
    const a = frame(1, Buffer.from('hello '));
    const b = frame(2, Buffer.from('world'));
    const all = Buffer.concat([a, b]);
    const p = new FrameParser();
    const out = [
      ...p.push(all.subarray(0, 5)),
      ...p.push(all.subarray(5, 17)),
      ...p.push(all.subarray(17)),
    ];
    assert.deepEqual(
      out.map((f) => [f.stream, f.payload.toString()]),
      [
        [1, 'hello '],
        [2, 'world'],
      ],
    );
    assert.equal(a.readUInt32BE(4), 6);
    assert.deepEqual([...a.subarray(0, 4)], [1, 0, 0, 0]);
  });
});

describe('detach keys', () => {
  it('parses ctrl- sequences and plain keys', () => {
    assert.deepEqual([...parseDetachKeys(undefined)], [16, 17]);
    assert.deepEqual([...parseDetachKeys('ctrl-a,x')], [1, 120]);
    assert.throws(() => parseDetachKeys('ctrl-'), /Invalid detach keys/);
  });

  it('holds back a partial match, releases it when broken, detaches on a full one', () => {
    const s = new DetachKeyScanner();
    assert.deepEqual(s.scan(Buffer.from([65, 16])), { data: Buffer.from([65]), detached: false });
    assert.deepEqual(s.scan(Buffer.from([66])), { data: Buffer.from([16, 66]), detached: false });
    assert.equal(s.scan(Buffer.from([16, 17, 67])).detached, true);
  });
});
