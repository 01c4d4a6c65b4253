import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError } from '../../../../src/errors.js';
import {
  ExecService,
  ExecStartError,
  type ExecConfig,
} from '../../../../src/daemon/containers/exec-service.js';
import { ExecStartFailed } from '../../../../src/runtime/runtime.js';
import {
  fakeExecProcess,
  gate,
  testContext,
  type FakeTask,
  type TestContext,
} from './container-test-context.js';

const CONFIG: ExecConfig = {
  cmd: ['true'],
  env: [],
  user: '',
  workingDir: '',
  tty: false,
  attachStdin: false,
  attachStdout: false,
  attachStderr: false,
  privileged: false,
  detachKeys: '',
};

describe('exec records are bounded', () => {
  let t: TestContext;
  let id: string;
  let task: FakeTask;
  let now: number;
  beforeEach(async () => {
    t = await testContext();
    id = await t.create({ Image: 'busybox', Cmd: ['sleep', '300'] }, 'box');
    await t.runner.start(id);
    const started = t.runtime.tasks[0];
    assert.ok(started);
    task = started;
    now = 1_000_000;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  const service = (maxIdlePerContainer = 100): ExecService =>
    new ExecService(t.ctx, t.runner, { ttlMs: 5 * 60_000, maxIdlePerContainer, now: () => now });

  async function runOne(execs: ExecService): Promise<string> {
    const e = execs.create(id, CONFIG);
    const { done } = await execs.start(e, { detach: true });
    await done;
    return e;
  }

  it('a finished exec stays inspectable for a while, then is dropped; a running one stays', async () => {
    const execs = service();
    const finished = await runOne(execs);
    const exit = gate();
    task.onExec = () => Promise.resolve(fakeExecProcess(exit.opened.then(() => 0)));
    const running = execs.create(id, CONFIG);
    await execs.start(running, { detach: true });
    const neverStarted = execs.create(id, CONFIG);

    now += 4 * 60_000;
    assert.equal(execs.get(finished).exitCode, 0);
    now += 2 * 60_000;
    assert.throws(() => execs.get(finished), NotFoundError);
    assert.throws(() => execs.get(neverStarted), NotFoundError);
    assert.equal(execs.get(running).running, true);
    assert.deepEqual(execs.idsOf(id), [running]);

    exit.open();
    await new Promise((r) => setImmediate(r));
    assert.equal(execs.get(running).exitCode, 0);
    now += 5 * 60_000;
    assert.deepEqual(execs.idsOf(id), []);
  });

  it('beyond the cap, a container keeps its newest finished execs only', async () => {
    const execs = service(3);
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      ids.push(await runOne(execs));
      now += 1000;
    }
    const kept = execs.idsOf(id);
    assert.deepEqual(kept.sort(), ids.slice(-3).sort());
    assert.throws(() => execs.get(ids[0] ?? ''), NotFoundError);
  });
});

describe('exec start as dockerd (issue 10)', () => {
  let t: TestContext;
  let id: string;
  let task: FakeTask;
  beforeEach(async () => {
    t = await testContext();
    id = await t.create({ Image: 'busybox', Cmd: ['sleep', '300'] }, 'box');
    await t.runner.start(id);
    const started = t.runtime.tasks[0];
    assert.ok(started);
    task = started;
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('the TTY is the one of the create config', async () => {
    const execs = new ExecService(t.ctx, t.runner);
    const e = execs.create(id, { ...CONFIG, tty: true });
    const st = await execs.start(e, { detach: false });
    assert.equal(st.tty, true);
  });

  it('a command the runtime cannot start: the message of dockerd, a 400 kind, exit code 126', async () => {
    const execs = new ExecService(t.ctx, t.runner);
    const said =
      'exec failed: unable to start container process: exec: "nosuch": executable file not found in $PATH';
    task.onExec = () => Promise.reject(new ExecStartFailed(said));
    const e = execs.create(id, { ...CONFIG, cmd: ['nosuch'] });
    await assert.rejects(execs.start(e, { detach: false }), (err: unknown) => {
      assert.ok(err instanceof ExecStartError);
      assert.equal(err.kind, 'invalid-argument');
      assert.equal(err.message, `OCI runtime exec failed: ${said}: unknown`);
      return true;
    });
    assert.equal(execs.get(e).exitCode, 126);
    assert.equal(execs.get(e).running, false);
  });
});
