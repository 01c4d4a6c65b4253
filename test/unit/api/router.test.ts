import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type Handler } from '../../../src/api/router.js';
import { json } from '../../../src/api/reply.js';

type Services = Record<string, never>;

/** A handler that says which route it is, so that a match can be told apart. */
function named(name: string): Handler<Services> {
  return () => Promise.resolve(json({ route: name }));
}

async function routeOf(r: Router<Services>, method: string, path: string): Promise<unknown> {
  const m = r.find(method, path);
  if (!m) return undefined;
  const reply = await m.handler({} as never, {});
  assert.equal(reply.kind, 'json');
  return reply.kind === 'json' ? (reply.body as { route: string }).route : undefined;
}

function router(): Router<Services> {
  return new Router<Services>()
    .on('GET', '/_ping', named('ping'))
    .on('HEAD', '/_ping', named('ping-head'))
    .on('GET', '/containers/json', named('list'))
    .on('GET', '/containers/{id}/json', named('inspect'))
    .on('POST', '/containers/{id}/start', named('start'))
    .on('DELETE', '/containers/{id}', named('remove'))
    .on('GET', '/images/{name:.*}/json', named('image-inspect'))
    .on('GET', '/exec/{id}/json', named('exec-inspect'))
    .on('POST', '/a.b', named('dot'));
}

describe('Router.find', () => {
  it('matches method and path exactly, an optional trailing slash allowed', async () => {
    const r = router();
    assert.equal(await routeOf(r, 'GET', '/containers/json'), 'list');
    assert.equal(await routeOf(r, 'GET', '/containers/json/'), 'list');
    assert.equal(await routeOf(r, 'POST', '/containers/json'), undefined);
    assert.equal(await routeOf(r, 'GET', '/containers/json/x'), undefined);
    assert.equal(await routeOf(r, 'GET', '/v1.41/containers/json'), undefined);
  });

  it('the first registered route wins when two match', async () => {
    // /containers/{id}/json also matches /containers/json/json; registration order decides.
    const r = new Router<Services>()
      .on('GET', '/containers/{id}/json', named('inspect'))
      .on('GET', '/containers/json/json', named('literal'));
    assert.equal(await routeOf(r, 'GET', '/containers/json/json'), 'inspect');
  });

  it('{name} takes one non-empty segment; {name:.*} takes slashes', () => {
    const r = router();
    assert.deepEqual(r.find('GET', '/containers/abc123/json')?.params, { id: 'abc123' });
    assert.equal(r.find('GET', '/containers//json'), undefined);
    assert.equal(r.find('GET', '/containers/a/b/json'), undefined);
    assert.deepEqual(r.find('GET', '/images/127.0.0.1:5000/ns/app:1.0/json')?.params, {
      name: '127.0.0.1:5000/ns/app:1.0',
    });
    assert.deepEqual(r.find('GET', '/images/busybox/json')?.params, { name: 'busybox' });
  });

  it('percent-decodes params, and keeps a malformed escape as it came', () => {
    const r = router();
    assert.deepEqual(r.find('GET', '/images/my%2Fapp%3Alatest/json')?.params, {
      name: 'my/app:latest',
    });
    assert.deepEqual(r.find('DELETE', '/containers/na%20me')?.params, { id: 'na me' });
    assert.deepEqual(r.find('DELETE', '/containers/bad%E0%A4%A')?.params, { id: 'bad%E0%A4%A' });
  });

  it('escapes regex characters of literal parts', async () => {
    const r = router();
    assert.equal(await routeOf(r, 'POST', '/a.b'), 'dot');
    assert.equal(await routeOf(r, 'POST', '/aXb'), undefined);
  });

  it('HEAD uses a HEAD route when there is one, else the GET route', async () => {
    const r = router();
    assert.equal(await routeOf(r, 'HEAD', '/_ping'), 'ping-head');
    assert.equal(await routeOf(r, 'HEAD', '/containers/json'), 'list');
    assert.equal(await routeOf(r, 'HEAD', '/containers/x/start'), undefined);
  });

  it('is case-sensitive in paths', () => {
    assert.equal(router().find('GET', '/Containers/json'), undefined);
  });
});

describe('Router.hasPath', () => {
  it('tells a path known for another method from an unknown one', () => {
    const r = router();
    assert.equal(r.find('GET', '/containers/x/start'), undefined);
    assert.equal(r.hasPath('/containers/x/start'), true);
    assert.equal(r.hasPath('/containers/x/stop'), false);
  });
});
