import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { EventBus, type EngineEvent } from '../../../../src/daemon/events/event-bus.js';

describe('EventBus', () => {
  it('delivers to subscribers and keeps a history for since', () => {
    let t = 0n;
    const bus = new EventBus(() => (t += 10n));
    const got: EngineEvent[] = [];
    const off = bus.subscribe((e) => got.push(e));
    bus.publish('container', 'start', 'abc', { name: 'web' });
    bus.publish('image', 'pull', 'busybox:latest');
    off();
    bus.publish('container', 'die', 'abc');
    assert.deepEqual(
      got.map((e) => e.action),
      ['start', 'pull'],
    );
    assert.deepEqual(
      bus.since(20n).map((e) => e.action),
      ['pull', 'die'],
    );
  });

  it('ends a subscription when its signal aborts, with one abort listener, removed after', () => {
    const bus = new EventBus();
    const client = new AbortController();
    let n = 0;
    const off = bus.subscribe(() => n++, client.signal);
    for (let i = 0; i < 50; i++) bus.publish('container', 'exec_start', 'abc');
    assert.equal(n, 50);
    assert.equal(bus.listenerCount, 1);
    assert.equal(getEventListeners(client.signal, 'abort').length, 1);
    client.abort();
    assert.equal(bus.listenerCount, 0);
    bus.publish('container', 'die', 'abc');
    assert.equal(n, 50);
    off(); // after the abort: harmless

    const other = new AbortController();
    const off2 = bus.subscribe(() => undefined, other.signal);
    off2();
    assert.equal(bus.listenerCount, 0);
    assert.equal(getEventListeners(other.signal, 'abort').length, 0);

    const gone = new AbortController();
    gone.abort();
    bus.subscribe(() => undefined, gone.signal);
    assert.equal(bus.listenerCount, 0);
  });

  it("every container event carries the container's labels, under the publisher's attributes", () => {
    const bus = new EventBus();
    bus.attributesFor('container', (id): Record<string, string> =>
      id === 'abc' ? { 'com.docker.compose.project': 'p', image: 'busybox', name: 'web' } : {},
    );
    const die = bus.publish('container', 'die', 'abc', { exitCode: '0', name: 'renamed' });
    assert.deepEqual(die.attributes, {
      'com.docker.compose.project': 'p',
      image: 'busybox',
      name: 'renamed',
      exitCode: '0',
    });
    assert.deepEqual(bus.publish('container', 'destroy', 'gone', { name: 'x' }).attributes, {
      name: 'x',
    });
    assert.deepEqual(bus.publish('image', 'pull', 'abc').attributes, {});
  });
});
