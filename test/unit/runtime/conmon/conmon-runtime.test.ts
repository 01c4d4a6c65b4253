import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { access, chmod, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConmonRuntime } from '../../../../src/runtime/conmon/conmon-runtime.js';

const CONMON = '/usr/bin/conmon';

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** An OCI runtime that refuses every container, as runc does for a missing command. */
const FAILING_RUNTIME = `#!/bin/sh
log=""
while [ $# -gt 0 ]; do
  case "$1" in
    --log) log="$2"; shift ;;
  esac
  shift
done
msg='{"level":"error","msg":"exec: \\"nope\\": executable file not found in $PATH"}'
[ -n "$log" ] && echo "$msg" >> "$log"
echo "$msg" >&2
exit 1
`;

describe('conmon runtime: attach-socket links', { skip: !(await exists(CONMON)) }, () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-conmon-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function runtime(): Promise<ConmonRuntime> {
    const fake = join(dir, 'fake-runc');
    await writeFile(fake, FAILING_RUNTIME);
    await chmod(fake, 0o755);
    return ConmonRuntime.create({
      conmon: CONMON,
      runtimeName: 'runc',
      runtimePath: fake,
      runtimeVersion: '0',
      globalArgs: [],
      stateRoot: join(dir, 'state'),
      execRoot: join(dir, 'exec'),
      freezer: { usable: false, reason: 'test' },
      cgroups: false,
      env: { PATH: '/usr/bin:/bin' },
    });
  }

  it('a container the OCI runtime refuses leaves no socks/ link behind', async () => {
    const rt = await runtime();
    try {
      const id = 'c'.repeat(64);
      const bundle = join(dir, 'bundles', id);
      await mkdir(bundle, { recursive: true });
      await writeFile(join(bundle, 'config.json'), '{}');
      for (let i = 0; i < 3; i++)
        await assert.rejects(
          rt.create({
            id,
            name: 'x',
            bundle,
            io: { tty: false, stdin: false, log: { kind: 'none' } },
          }),
        );
      assert.deepEqual(await readdir(join(dir, 'exec', 'socks')), []);
    } finally {
      rt.close();
    }
  });

  it('starting drops links whose bundle is gone and keeps the others', async () => {
    const socks = join(dir, 'exec', 'socks');
    await mkdir(socks, { recursive: true });
    await mkdir(join(dir, 'bundles', 'alive'), { recursive: true });
    await symlink(join(dir, 'bundles', 'alive'), join(socks, 'aaaaaaaaaaaa'));
    await symlink(join(dir, 'bundles', 'removed'), join(socks, 'bbbbbbbbbbbb'));
    const rt = await runtime();
    rt.close();
    assert.deepEqual(await readdir(socks), ['aaaaaaaaaaaa']);
  });
});
