// Issue 10: `--userns keep-id` — the user's own uid/gid inside the container, so files written on
// a bind mount belong to them on the host. The docker CLI refuses `--userns keep-id` itself
// ("--userns: invalid USER mode": it knows only "" and "host"), so the API sets UsernsMode here,
// and daemon.json's `userns-mode` is how docker CLI users get it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, stat, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { ping, type TestDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { daemonWithBusybox, eventually } from '../../helpers/container-fixture.js';
import { rawRequest } from '../../helpers/raw-request.js';

const uid = process.getuid?.() ?? 0;
const gid = process.getgid?.() ?? 0;

/** A directory only the test user may write to (0700), like a home directory. */
async function privateDir(d: TestDaemon): Promise<string> {
  const dir = await mkdtemp(join(d.dir, 'bind-'));
  await chmod(dir, 0o700);
  return dir;
}

/** POST /containers/create with a raw HostConfig (the CLI cannot send keep-id). */
async function create(
  d: TestDaemon,
  cmd: string,
  hostConfig: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<{ status: number; body: string; id: string }> {
  const r = await rawRequest(
    d.socket,
    'POST',
    '/v1.50/containers/create',
    JSON.stringify({ Image: 'busybox', Cmd: ['sh', '-c', cmd], HostConfig: hostConfig, ...extra }),
  );
  const id = r.status === 201 ? (JSON.parse(r.body) as { Id: string }).Id : '';
  return { ...r, id };
}

describe('--userns keep-id', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox();
  });
  after(async () => {
    await d.cleanup();
  });

  it('writes to a bind mount the user owns, as the user; the file is theirs on the host', async () => {
    const dir = await privateDir(d);
    const c = await create(d, 'touch /x/f && id -u && id -g', {
      UsernsMode: 'keep-id',
      Binds: [`${dir}:/x`],
    });
    assert.equal(c.status, 201, c.body);
    const r = await docker(d, ['start', '-a', c.id]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.stdout, `${uid}\n${gid}\n`);
    const st = await stat(join(dir, 'f'));
    assert.equal(st.uid, uid);
    assert.equal(st.gid, gid);
    const inspect = JSON.parse(await dockerOk(d, ['inspect', c.id])) as {
      HostConfig: { UsernsMode: string };
      Config: { User: string };
    }[];
    assert.equal(inspect[0]?.HostConfig.UsernsMode, 'keep-id');
    assert.equal(inspect[0]?.Config.User, `${uid}:${gid}`);
  });

  it('without keep-id, the same user id maps into the subordinate range: Permission denied', async () => {
    const dir = await privateDir(d);
    const r = await docker(d, [
      'run',
      '--rm',
      '-u',
      String(uid),
      '-v',
      `${dir}:/x`,
      'busybox',
      'touch',
      '/x/f',
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Permission denied/);
  });

  it('keep-id:uid=1234,gid=1234 shows the user as 1234:1234 inside, still the user outside', async () => {
    const dir = await privateDir(d);
    const c = await create(d, 'touch /x/g && id -u && id -g && stat -c %u:%g /x/g', {
      UsernsMode: 'keep-id:uid=1234,gid=1234',
      Binds: [`${dir}:/x`],
    });
    assert.equal(c.status, 201, c.body);
    const r = await docker(d, ['start', '-a', c.id]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(r.stdout, '1234\n1234\n1234:1234\n');
    const st = await stat(join(dir, 'g'));
    assert.equal(st.uid, uid);
    assert.equal(st.gid, gid);
  });

  it('adds a passwd and group entry for the user when the image has none (as Podman)', async () => {
    const c = await create(d, 'id -un; id -gn; echo "$HOME"; grep -c "^root:" /etc/passwd', {
      UsernsMode: 'keep-id',
    });
    assert.equal(c.status, 201, c.body);
    const r = await docker(d, ['start', '-a', c.id]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const name = userInfo().username;
    // The image's own entries stay; HOME is the working directory (the host home is not mounted).
    assert.equal(r.stdout, `${name}\n${name}\n/\n1\n`);
  });

  it('is on its bridge network, with the network namespace its user namespace owns', async () => {
    // eth0 has an address, and sysfs is the container's own (a fresh mount, not skiffd's /sys).
    const c = await create(d, 'ip -o -4 addr show eth0 | grep -c inet; ls /sys/class/net', {
      UsernsMode: 'keep-id',
    });
    assert.equal(c.status, 201, c.body);
    const r = await docker(d, ['start', '-a', c.id]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(r.stdout.trim().split(/\s+/).sort(), ['1', 'eth0', 'lo']);
  });

  it('--user still wins: root in a keep-id container is not the host user', async () => {
    const c = await create(
      d,
      'id -u; cat /proc/self/uid_map',
      { UsernsMode: 'keep-id' },
      { User: '0' },
    );
    assert.equal(c.status, 201, c.body);
    const r = await docker(d, ['start', '-a', c.id]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const [id, ...map] = r.stdout.trim().split('\n');
    assert.equal(id, '0');
    // container id → holder id (0 = the host user), the rest of the range around it.
    const rows = map.map((l) => l.trim().split(/\s+/).map(Number));
    assert.deepEqual(rows[0]?.slice(0, 2), [0, 1]);
    assert.ok(rows.some((row) => row[0] === uid && row[1] === 0 && row[2] === 1));
  });

  it('exec in a keep-id container runs as the user too', async () => {
    const c = await create(d, 'sleep 60', { UsernsMode: 'keep-id' });
    assert.equal(c.status, 201, c.body);
    await dockerOk(d, ['start', c.id]);
    try {
      assert.equal(await dockerOk(d, ['exec', c.id, 'id', '-u']), `${uid}\n`);
    } finally {
      await docker(d, ['rm', '-f', c.id]);
    }
  });

  it('refuses an unknown mode with 400 and dockerd-style words', async () => {
    for (const mode of ['bogus', 'keep-id:uid=x', 'keep-id:size=5', 'auto']) {
      const c = await create(d, 'true', { UsernsMode: mode });
      assert.equal(c.status, 400, `${mode}: ${c.body}`);
      assert.match(c.body, /invalid USER NS mode/);
    }
  });
});

describe('daemon.json "userns-mode": "keep-id"', () => {
  let d: TestDaemon;
  before(async () => {
    d = await daemonWithBusybox({ config: { 'userns-mode': 'keep-id' } });
  });
  after(async () => {
    await d.cleanup();
  });

  it('applies to a plain docker run: the bind-mounted file belongs to the user', async () => {
    const dir = await privateDir(d);
    const out = await dockerOk(d, [
      'run',
      '--name',
      'kept',
      '-v',
      `${dir}:/x`,
      'busybox',
      'sh',
      '-c',
      'touch /x/f && id -u',
    ]);
    assert.equal(out, `${uid}\n`);
    assert.equal((await stat(join(dir, 'f'))).uid, uid);
    const mode = await dockerOk(d, ['inspect', '-f', '{{.HostConfig.UsernsMode}}', 'kept']);
    assert.equal(mode.trim(), 'keep-id');
  });

  it('--userns host opts out: root in the container, as without the setting', async () => {
    const out = await dockerOk(d, ['run', '--rm', '--userns', 'host', 'busybox', 'id', '-u']);
    assert.equal(out, '0\n');
  });

  it('--pid host works (procfs bound); --ipc host and --pid container:X are refused with the way out', async () => {
    assert.equal(
      await dockerOk(d, ['run', '--rm', '--pid', 'host', 'busybox', 'id', '-u']),
      `${uid}\n`,
    );
    const r = await docker(d, ['run', '--rm', '--ipc', 'host', 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /--ipc host cannot be combined with --userns keep-id: add --userns host/,
    );
  });

  it('a running keep-id container survives a skiffd kill -9; exec and stop work after', async () => {
    await dockerOk(d, ['run', '-d', '--name', 'survivor', 'busybox', 'sleep', '300']);
    const skiffd = await d.skiffdPid();
    process.kill(skiffd, 'SIGKILL');
    await eventually(
      async () => ((await d.skiffdPid()) !== skiffd && (await ping(d.socket)) ? true : undefined),
      30_000,
      'a new skiffd',
    );
    assert.equal(await dockerOk(d, ['exec', 'survivor', 'id', '-u']), `${uid}\n`);
    await dockerOk(d, ['rm', '-f', 'survivor']);
    // Both namespaces of the container (network, and the user namespace owning it) go; the
    // teardown after an exit runs in the background.
    await eventually(
      async () => {
        const left = await readdir(join(d.runtimeDir, 'skiff', 'netns'));
        return left.every((n) => n.startsWith('anchor-')) ? true : undefined;
      },
      20_000,
      'the namespaces removed',
    );
  });

  it('docker build RUN steps are not affected', async () => {
    const r = await docker(d, ['build', '-q', '-t', 'kept-build', '-'], {
      input: 'FROM busybox\nRUN id -u > /uid && test "$(cat /uid)" = 0\n',
      env: { DOCKER_BUILDKIT: '0' },
    });
    assert.equal(r.code, 0, r.stderr + r.stdout);
  });
});
