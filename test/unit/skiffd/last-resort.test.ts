// Issue 8 A: an exception nobody caught is logged as a bug, with the failing operation, and the
// daemon keeps serving instead of exiting.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { failingOperation, installLastResortHandlers } from '../../../src/skiffd/last-resort.js';
import { exec } from '../../helpers/exec.js';
import { repoRoot } from '../../helpers/paths.js';

function capturingLogger(): { log: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      out.push(chunk.toString());
      cb();
    },
  });
  return {
    log: pino({ level: 'info' }, sink),
    lines: () =>
      out
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('last-resort handlers', () => {
  it('names the system call and path of a failed write (a real ENOSPC from /dev/full)', async () => {
    const err: unknown = await writeFile('/dev/full', 'x').catch((e: unknown) => e);
    assert.equal((err as { code?: string }).code, 'ENOSPC');
    assert.match(failingOperation(err) ?? '', /^write/);
    assert.equal(
      failingOperation(
        Object.assign(new Error('EACCES'), {
          syscall: 'rename',
          path: '/a/ingest/x',
          dest: '/a/blobs/y',
        }),
      ),
      'rename /a/ingest/x → /a/blobs/y',
    );
    assert.equal(
      failingOperation(
        Object.assign(new Error('ENOENT'), {
          syscall: 'spawn /usr/bin/zstd',
          path: '/usr/bin/zstd',
          spawnargs: ['-d', '-c'],
        }),
      ),
      'spawn /usr/bin/zstd /usr/bin/zstd -d -c',
    );
    assert.equal(failingOperation(new Error('plain')), undefined);
    assert.equal(failingOperation('a string'), undefined);
  });

  it('logs an uncaught exception and an unhandled rejection as bugs, with the operation', () => {
    const { log, lines } = capturingLogger();
    const proc = new EventEmitter();
    const remove = installLastResortHandlers(log, proc);
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
      path: '/data/content/ingest/ab12',
    });
    proc.emit('uncaughtException', enospc, 'uncaughtException');
    proc.emit('unhandledRejection', new Error('forgotten'), Promise.resolve());
    const [first, second] = lines();
    assert.equal(first?.['level'], 50);
    assert.equal(first?.['operation'], 'write /data/content/ingest/ab12');
    assert.match(
      String(first?.['msg']),
      /^BUG: uncaught exception in write \/data\/content\/ingest\/ab12; skiffd keeps serving/,
    );
    assert.match(JSON.stringify(first?.['err']), /no space left on device/);
    assert.match(String(second?.['msg']), /^BUG: unhandled rejection; skiffd keeps serving/);
    remove();
    assert.equal(proc.listenerCount('uncaughtException'), 0);
    assert.equal(proc.listenerCount('unhandledRejection'), 0);
  });

  it('a real process survives a stream error without a listener and a forgotten rejection', async () => {
    const script = `
      import { createWriteStream } from 'node:fs';
      import { pino } from 'pino';
      const { installLastResortHandlers } = await import(${JSON.stringify(`${repoRoot}src/skiffd/last-resort.ts`)});
      installLastResortHandlers(pino({ level: 'info' }, pino.destination({ fd: 2, sync: true })));
      // The shape of issue 8: a write stream whose 'error' nobody listens to.
      createWriteStream('/nonexistent-dir/ingest/x').write('data');
      void Promise.reject(new Error('forgotten'));
      setTimeout(() => { process.stdout.write('still serving\\n'); }, 300);
    `;
    const r = await exec(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: repoRoot },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'still serving\n');
    assert.match(r.stderr, /BUG: uncaught exception in open \/nonexistent-dir\/ingest\/x/);
    assert.match(r.stderr, /BUG: unhandled rejection/);
  });
});
