import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  killCommand,
  parseOciState,
  signalArg,
  deleteCommand,
  execArgv,
} from '../../../../src/runtime/oci/runtime-commands.js';
import { globalRuntimeArgs } from '../../../../src/runtime/oci/runtime-args.js';
import { conmonCreateArgv, parseSyncLine } from '../../../../src/runtime/conmon/conmon-args.js';
import { cleanRuntimeMessage } from '../../../../src/runtime/conmon/conmon-runtime.js';

describe('OCI runtime CLI', () => {
  it('builds argv without the binary', () => {
    assert.deepEqual(killCommand(['--root', '/r'], 'c1', 'SIGTERM', false).argv, [
      '--root',
      '/r',
      'kill',
      'c1',
      'SIGTERM',
    ]);
    assert.deepEqual(killCommand([], 'c1', 'SIGKILL', true).argv, [
      'kill',
      '--all',
      'c1',
      'SIGKILL',
    ]);
    assert.deepEqual(deleteCommand([], 'c1', true).argv, ['delete', '--force', 'c1']);
    assert.deepEqual(execArgv([], 'c1', '/p.json', '/pid', true), [
      'exec',
      '--process',
      '/p.json',
      '--pid-file',
      '/pid',
      '--detach',
      'c1',
    ]);
    assert.deepEqual(globalRuntimeArgs('crun', '/s'), [
      '--cgroup-manager=disabled',
      '--root',
      '/s',
    ]);
    assert.deepEqual(globalRuntimeArgs('runc', '/s'), ['--root', '/s']);
    assert.equal(signalArg('term'), 'SIGTERM');
    assert.equal(signalArg(9), '9');
  });

  it('parses runtime state', () => {
    const s = parseOciState(
      '{"ociVersion":"1.0.2","id":"c1","status":"running","pid":42,"bundle":"/b"}',
    );
    assert.deepEqual(s, { id: 'c1', status: 'running', pid: 42, bundle: '/b' });
    assert.equal(parseOciState('{"status":"weird"}').status, 'unknown');
    assert.throws(() => parseOciState('not json'), /not JSON/);
  });
});

describe('conmon', () => {
  it('create argv carries the monitor files, log and runtime flags', () => {
    const argv = conmonCreateArgv({
      id: 'abc',
      cuuid: 'abc',
      name: 'web',
      runtimePath: '/usr/bin/runc',
      runtimeArgs: ['--root', '/r'],
      bundle: '/b',
      paths: {
        conmonPidFile: '/b/conmon.pid',
        containerPidFile: '/b/pidfile',
        exitDir: '/e',
        persistDir: '/b',
        socketDir: '/s',
      },
      tty: true,
      stdin: true,
      leaveStdinOpen: false,
      log: { kind: 'file', path: '/l' },
    });
    assert.ok(argv.includes('-t') && argv.includes('-i') && !argv.includes('--leave-stdin-open'));
    assert.deepEqual(argv.slice(argv.indexOf('-l'), argv.indexOf('-l') + 2), ['-l', 'k8s-file:/l']);
    assert.deepEqual(
      argv.filter((_, i) => argv[i - 1] === '--runtime-arg'),
      ['--root', '/r'],
    );
  });

  it('reads sync-pipe messages and keeps the error lines of runc', () => {
    assert.deepEqual(parseSyncLine('{"data": 1234}'), { data: 1234 });
    assert.deepEqual(parseSyncLine('{"data": -1, "message": "boom"}'), {
      data: -1,
      message: 'boom',
    });
    assert.equal(parseSyncLine('garbage'), undefined);
    const raw =
      'time="x" level=warning msg="unable to get oom kill count"\ntime="x" level=error msg="runc create failed: exec: \\"nope\\": executable file not found"';
    assert.equal(
      cleanRuntimeMessage(raw),
      'runc create failed: exec: "nope": executable file not found',
    );
  });
});
