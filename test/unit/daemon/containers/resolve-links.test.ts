import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { testContext, type TestContext } from './container-test-context.js';
import { normalizeLinks, resolveLinks } from '../../../../src/daemon/containers/resolve-links.js';
import type { ContainerRecord } from '../../../../src/daemon/containers/container-record.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

describe('legacy links (create and start, without bridge networks)', () => {
  let t: TestContext | undefined;
  afterEach(async () => {
    await t?.cleanup();
  });

  const db = {
    Image: 'busybox',
    Cmd: ['sh'],
    Env: ['POSTGRES_USER=app'],
    ExposedPorts: { '5432/tcp': {} },
  };
  const get =
    (c: TestContext) =>
    (ref: string): ContainerRecord | undefined => {
      try {
        return c.store.find(ref);
      } catch {
        return undefined;
      }
    };

  it('are stored as inspect shows them; an unknown container or host networking is a 400', async () => {
    t = await testContext();
    await t.create(db, 'db');
    const web = await t.create(
      { Image: 'busybox', Cmd: ['sh'], HostConfig: { Links: ['db:dbalias'] } },
      'web',
    );
    assert.deepEqual(t.store.find(web).hostConfig.links, ['/db:/web/dbalias']);
    await assert.rejects(
      t.create({ Image: 'busybox', Cmd: ['sh'], HostConfig: { Links: ['nope:x'] } }, 'w2'),
      (e: unknown) =>
        e instanceof InvalidArgumentError &&
        e.message === 'could not get container for nope: No such container: nope',
    );
    assert.equal(t.store.nameTaken('w2'), undefined);
    await assert.rejects(
      t.create({
        Image: 'busybox',
        Cmd: ['sh'],
        HostConfig: { NetworkMode: 'host', Links: ['db'] },
      }),
      /host type networking can't be used with links/,
    );
  });

  it('a stopped linked container refuses the start; a running one gives variables and a hosts line', async () => {
    t = await testContext();
    const dbId = await t.create(db, 'db');
    const web = await t.create(
      { Image: 'busybox', Cmd: ['sh'], HostConfig: { Links: ['/db:/web/dbalias'] } },
      'web',
    );
    await assert.rejects(
      t.runner.start('web'),
      /^ConflictError: Cannot link to a non running container: \/db AS \/web\/dbalias$/,
    );
    await t.runner.start('db');
    await t.runner.start('web');
    const hosts = await readFile(t.store.find(web).hostsPath, 'utf8');
    assert.match(hosts, new RegExp(`^10\\.0\\.2\\.100\\tdbalias ${dbId.slice(0, 12)} db$`, 'm'));
    const { env } = resolveLinks(t.store.find(web), undefined, get(t));
    assert.ok(env.includes('DBALIAS_PORT=tcp://10.0.2.100:5432'), env.join('\n'));
    assert.ok(env.includes('DBALIAS_NAME=/web/dbalias'));
    assert.ok(env.includes('DBALIAS_ENV_POSTGRES_USER=app'));
  });
});

describe('normalizeLinks', () => {
  const none = (): never => {
    throw new Error('not looked up');
  };
  it('keeps links on a user-defined network as given (aliases, no lookup)', () => {
    assert.deepEqual(normalizeLinks(['db:alias'], 'appnet', 'web', none), ['db:alias']);
    assert.deepEqual(normalizeLinks([], 'host', 'web', none), []);
  });
  it('refuses links with container networking', () => {
    assert.throws(
      () => normalizeLinks(['db'], 'container:x', 'web', none),
      /container type network can't be used with links/,
    );
  });
});
