import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { pumpSession } from '../../../../src/api/streams/attach-pump.js';

describe('pumpSession', () => {
  it('ctrl-p ctrl-q ends the pump at once, though the output goes on (an exec still running)', async () => {
    const socket = new PassThrough();
    const output = new PassThrough();
    const input = new PassThrough();
    let closed = false;
    const session = {
      output,
      input,
      close: () => {
        closed = true;
      },
    };
    const pumped = pumpSession(
      socket,
      session,
      { tty: true, stdin: true, stdout: true, stderr: true },
      new AbortController().signal,
    );
    socket.write(Buffer.from('ls\n'));
    socket.write(Buffer.from([0x10, 0x11]));
    assert.equal(await pumped, 'detached');
    assert.equal(closed, true);
    assert.equal(String(input.read() as Buffer), 'ls\n');
    assert.equal(output.readableEnded, false);
  });

  it('an output that ends is an ended pump', async () => {
    const socket = new PassThrough();
    const output = new PassThrough();
    const session = { output, input: new PassThrough(), close: () => undefined };
    const pumped = pumpSession(
      socket,
      session,
      { tty: true, stdin: false, stdout: true, stderr: true },
      new AbortController().signal,
    );
    output.end();
    assert.equal(await pumped, 'ended');
  });
});
