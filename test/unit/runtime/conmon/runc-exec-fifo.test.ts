import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  runcExecFifo,
  startThroughExecFifo,
} from '../../../../src/runtime/conmon/runc-exec-fifo.js';

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

describe('runc start through the exec fifo', () => {
  let dir: string;
  let fifo: string;
  const children: ChildProcess[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-fifo-'));
    fifo = runcExecFifo(dir, 'c1');
    spawnSync('mkdir', [join(dir, 'c1')]);
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  /** Plays runc init: after `delay` s opens the fifo for writing, writes `byte`, lives on. */
  function init(delay: string, byte: string): ChildProcess {
    const c = spawn('sh', ['-c', `sleep ${delay}; printf '${byte}' > "$1"; sleep 5`, 'sh', fifo], {
      stdio: 'ignore',
    });
    children.push(c);
    return c;
  }

  it('is the state root, the id and exec.fifo', () => {
    assert.equal(runcExecFifo('/r/runc', 'abc'), '/r/runc/abc/exec.fifo');
  });

  it('reads the byte runc init writes and removes the fifo (init first or start first)', async () => {
    for (const delay of ['0', '0.3']) {
      if (!(await exists(fifo))) assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
      const c = init(delay, '0');
      if (delay === '0') await new Promise((r) => setTimeout(r, 100));
      assert.equal(await startThroughExecFifo(fifo, c.pid ?? 0), true);
      assert.equal(await exists(fifo), false);
      // The writer got past its write: it is in its `sleep 5` now, not blocked on the fifo.
      assert.equal(c.exitCode, null);
    }
  });

  it('does nothing and says so when there is no fifo', async () => {
    await rm(fifo);
    assert.equal(await startThroughExecFifo(fifo, process.pid), false);
  });

  it('fails when the init is gone before it wrote', async () => {
    const c = spawn('true');
    await new Promise((r) => c.on('exit', r));
    await assert.rejects(startThroughExecFifo(fifo, c.pid ?? 0), /already dead/);
  });

  it('fails on anything but the "0" runc writes', async () => {
    const c = init('0', 'x');
    await assert.rejects(startThroughExecFifo(fifo, c.pid ?? 0), /unexpected data/);
  });
});
