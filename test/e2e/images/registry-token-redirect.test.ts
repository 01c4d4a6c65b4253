// Issue 8: what Docker Hub, GHCR and Quay do, with the real docker CLI against Debian's
// Distribution registry in `auth: token` mode and a token server: anonymous pull tokens, login
// with credentials the token server checks, and blob GETs redirected (307) to a storage host
// that must never see the registry's Authorization header.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { TestDaemon } from '../../helpers/daemon.js';
import { startDaemon } from '../../helpers/daemon.js';
import { docker, dockerOk } from '../../helpers/docker-cli.js';
import { busyboxRef } from '../../helpers/test-registry-env.js';
import { startTokenRegistry } from '../../helpers/token-server.js';
import { startRedirectFront, type RedirectFront } from '../../helpers/redirect-front.js';

type TokenRegistry = Awaited<ReturnType<typeof startTokenRegistry>>;

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('registry token auth and blob redirects', () => {
  let d: TestDaemon;
  /** Anonymous pull, alice may push. */
  let pub: TokenRegistry;
  let front: RedirectFront;
  let pushedId: string;
  const login = (addr: string, user: string, password: string) =>
    docker(d, ['login', '-u', user, '--password-stdin', addr], { input: `${password}\n` });

  before(async () => {
    d = await startDaemon();
    pub = await startTokenRegistry({ users: { alice: 'wonderland' }, anonymous: ['pull'] });
    front = await startRedirectFront({ upstream: pub.registry.addr });
    await dockerOk(d, ['pull', busyboxRef()]);
    pushedId = (await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', busyboxRef()])).trim();
    const ref = `${pub.registry.addr}/lib/busybox:v1`;
    await dockerOk(d, ['tag', busyboxRef(), ref]);
    assert.equal((await login(pub.registry.addr, 'alice', 'wonderland')).code, 0);
    await dockerOk(d, ['push', ref]);
    await dockerOk(d, ['logout', pub.registry.addr]);
    // Nothing of the image stays local: every test below downloads its blobs again.
    await dockerOk(d, ['rmi', ref, busyboxRef()]);
  });
  after(async () => {
    await d.cleanup();
    await front.stop();
    await pub.stop();
  });

  it('pulls through a registry that redirects blob GETs to another host; the storage host never sees Authorization', async () => {
    const ref = `${front.addr}/lib/busybox:v1`;
    const pull = await docker(d, ['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    assert.match(pull.stdout, /Status: Downloaded newer image for/);
    // Config and layer both went through a 307, and the front saw them with the Bearer token
    // (so the check below is about a header that was really there to leak).
    assert.ok(front.redirected.length >= 2, JSON.stringify(front.redirected));
    for (const r of front.redirected) assert.match(r.authorization ?? '', /^Bearer \S+$/);
    assert.equal(front.storageHits.length, front.redirected.length);
    for (const hit of front.storageHits) {
      assert.equal(hit.status, 200, hit.path);
      assert.equal(hit.authorization, undefined, `Authorization reached storage on ${hit.path}`);
    }
    assert.equal((await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', ref])).trim(), pushedId);
    assert.equal(
      (await dockerOk(d, ['run', '--rm', ref, 'echo', 'redirected'])).trim(),
      'redirected',
    );
    await dockerOk(d, ['rmi', ref]);
  });

  it('pulls anonymously from a token-auth registry whose token server grants pull', async () => {
    const ref = `${pub.registry.addr}/lib/busybox:v1`;
    const before = pub.tokens.requests.length;
    const pull = await docker(d, ['pull', ref]);
    assert.equal(pull.code, 0, pull.stderr);
    const asked = pub.tokens.requests.slice(before);
    assert.ok(asked.length >= 1, 'no token was requested: the registry did not challenge');
    for (const t of asked) {
      assert.equal(t.account, undefined);
      assert.equal(t.status, 200);
      assert.equal(t.service, pub.tokens.service);
      assert.deepEqual(t.scopes, ['repository:lib/busybox:pull']);
      assert.deepEqual(t.granted, ['lib/busybox:pull']);
    }
    assert.equal((await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', ref])).trim(), pushedId);
    assert.equal(
      (await dockerOk(d, ['run', '--rm', ref, 'echo', 'anonymous'])).trim(),
      'anonymous',
    );
    await dockerOk(d, ['rmi', ref]);
  });

  it("push and pull with docker login where the token server requires credentials; a wrong password fails with Docker's message", async () => {
    const priv = await startTokenRegistry({ users: { bob: 'builder' } });
    try {
      const addr = priv.registry.addr;
      const ref = `${addr}/team/busybox:v1`;
      await dockerOk(d, ['pull', busyboxRef()]);
      await dockerOk(d, ['tag', busyboxRef(), ref]);

      const anonymousPush = await docker(d, ['push', ref]);
      assert.notEqual(anonymousPush.code, 0);
      assert.match(anonymousPush.stderr, /denied: requested access to the resource is denied/);

      const bad = await login(addr, 'bob', 'wrong');
      assert.notEqual(bad.code, 0);
      assert.match(
        bad.stderr,
        new RegExp(
          `Error response from daemon: Get "http://${escape(addr)}/v2/": unauthorized: incorrect username or password`,
        ),
      );
      const refused = priv.tokens.requests.at(-1);
      assert.equal(refused?.account, 'bob');
      assert.equal(refused?.status, 401);

      const good = await login(addr, 'bob', 'builder');
      assert.equal(good.code, 0, good.stderr);
      assert.match(good.stdout, /Login Succeeded/);
      const push = await dockerOk(d, ['push', ref]);
      assert.match(push, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
      assert.ok(
        priv.tokens.requests.some(
          (t) => t.account === 'bob' && t.granted.includes('team/busybox:pull,push'),
        ),
        JSON.stringify(priv.tokens.requests),
      );
      await dockerOk(d, ['rmi', ref]);
      await dockerOk(d, ['pull', ref]);
      assert.equal(
        (await dockerOk(d, ['image', 'inspect', '-f', '{{.Id}}', ref])).trim(),
        pushedId,
      );

      await dockerOk(d, ['logout', addr]);
      await dockerOk(d, ['rmi', ref]);
      const anonymousPull = await docker(d, ['pull', ref]);
      assert.notEqual(anonymousPull.code, 0);
      assert.match(
        anonymousPull.stderr,
        new RegExp(
          `pull access denied for ${escape(addr)}/team/busybox, repository does not exist or may require 'docker login'`,
        ),
      );
    } finally {
      await priv.stop();
    }
  });
});
