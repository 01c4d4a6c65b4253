import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  envPrefix,
  linkEnv,
  linkHostsEntry,
  parseLink,
  storedLink,
  withLinkEnv,
} from '../../../../src/daemon/containers/legacy-links.js';
import { InvalidArgumentError } from '../../../../src/errors.js';

describe('parseLink', () => {
  it('takes name, name:alias, and the stored /db:/web/dbalias form', () => {
    assert.deepEqual(parseLink('db'), { name: 'db', alias: 'db' });
    assert.deepEqual(parseLink('db:dbalias'), { name: 'db', alias: 'dbalias' });
    assert.deepEqual(parseLink('/db:/web/dbalias'), { name: 'db', alias: 'dbalias' });
  });

  it("refuses dockerd's bad formats", () => {
    assert.throws(
      () => parseLink(''),
      (e: unknown) =>
        e instanceof InvalidArgumentError && e.message === 'empty string specified for links',
    );
    assert.throws(() => parseLink('a:b:c'), /^InvalidArgumentError: bad format for links: a:b:c$/);
    assert.throws(() => parseLink(':x'), /bad format for links: :x/);
    assert.throws(() => parseLink('db:/web/'), /bad format for links/);
  });

  it('stores what inspect shows', () => {
    assert.equal(storedLink('db', 'web', 'dbalias'), '/db:/web/dbalias');
  });
});

describe('linkEnv', () => {
  it("sets dockerd's variables for one exposed port, the name and the linked environment", () => {
    assert.deepEqual(
      linkEnv({
        linkName: '/web/dbalias',
        ip: '172.17.0.3',
        env: ['PATH=/usr/bin', 'POSTGRES_PASSWORD=s3cret', 'HOME=/root', 'EMPTY=', 'junk'],
        exposedPorts: ['5432/tcp'],
      }),
      [
        'DBALIAS_PORT=tcp://172.17.0.3:5432',
        'DBALIAS_PORT_5432_TCP=tcp://172.17.0.3:5432',
        'DBALIAS_PORT_5432_TCP_ADDR=172.17.0.3',
        'DBALIAS_PORT_5432_TCP_PORT=5432',
        'DBALIAS_PORT_5432_TCP_PROTO=tcp',
        'DBALIAS_NAME=/web/dbalias',
        'DBALIAS_ENV_POSTGRES_PASSWORD=s3cret',
        'DBALIAS_ENV_EMPTY=',
      ],
    );
  });

  it('the lowest port is the default, tcp before udp; no ports: only the name', () => {
    const env = linkEnv({
      linkName: '/web/dns',
      ip: '10.0.0.2',
      env: [],
      exposedPorts: ['8080/tcp', '53/udp', '53/tcp'],
    });
    assert.equal(env[0], 'DNS_PORT=tcp://10.0.0.2:53');
    assert.deepEqual(
      env.filter((v) => /_PORT_\d+_[A-Z]+=/.test(v)),
      [
        'DNS_PORT_53_TCP=tcp://10.0.0.2:53',
        'DNS_PORT_53_UDP=udp://10.0.0.2:53',
        'DNS_PORT_8080_TCP=tcp://10.0.0.2:8080',
      ],
    );
    assert.deepEqual(linkEnv({ linkName: '/a/b', ip: '1.2.3.4', env: [], exposedPorts: [] }), [
      'B_NAME=/a/b',
    ]);
  });

  it('three or more consecutive ports of one protocol become a range; two stay single', () => {
    const env = linkEnv({
      linkName: '/web/app',
      ip: '10.0.0.9',
      env: [],
      exposedPorts: ['7000/tcp', '7001/tcp', '7002/tcp', '9000/tcp', '9001/tcp'],
    });
    assert.deepEqual(env, [
      'APP_PORT=tcp://10.0.0.9:7000',
      'APP_PORT_7000_TCP_START=tcp://10.0.0.9:7000',
      'APP_PORT_7000_TCP_ADDR=10.0.0.9',
      'APP_PORT_7000_TCP_PROTO=tcp',
      'APP_PORT_7000_TCP_PORT_START=7000',
      'APP_PORT_7000_TCP_END=tcp://10.0.0.9:7002',
      'APP_PORT_7000_TCP_PORT_END=7002',
      'APP_PORT_9000_TCP=tcp://10.0.0.9:9000',
      'APP_PORT_9000_TCP_ADDR=10.0.0.9',
      'APP_PORT_9000_TCP_PORT=9000',
      'APP_PORT_9000_TCP_PROTO=tcp',
      'APP_PORT_9001_TCP=tcp://10.0.0.9:9001',
      'APP_PORT_9001_TCP_ADDR=10.0.0.9',
      'APP_PORT_9001_TCP_PORT=9001',
      'APP_PORT_9001_TCP_PROTO=tcp',
      'APP_NAME=/web/app',
    ]);
  });

  it('the prefix is the alias in upper case with - as _', () => {
    assert.equal(envPrefix('/my-web/my-db'), 'MY_DB');
  });

  it("the container's own variables win over link variables of the same name", () => {
    assert.deepEqual(withLinkEnv(['DB_PORT=tcp://x:1', 'DB_NAME=/w/db'], ['DB_PORT=5', 'A=1']), [
      'DB_NAME=/w/db',
      'DB_PORT=5',
      'A=1',
    ]);
  });
});

describe('linkHostsEntry', () => {
  it('names the alias, the hostname, and the name when it differs from the alias', () => {
    assert.deepEqual(
      linkHostsEntry('dbalias', { name: 'db', hostname: '0123456789ab' }, '172.17.0.3'),
      {
        ip: '172.17.0.3',
        names: 'dbalias 0123456789ab db',
      },
    );
    assert.deepEqual(linkHostsEntry('db', { name: 'db', hostname: 'dbhost' }, '172.17.0.3'), {
      ip: '172.17.0.3',
      names: 'db dbhost',
    });
  });
});
