import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiServer } from '../../../../src/api/server.js';
import { Router } from '../../../../src/api/router.js';
import { eventRoutes, type EventRouteServices } from '../../../../src/api/routes/events.js';
import { EventBus } from '../../../../src/daemon/events/event-bus.js';
import { silentLogger } from '../../../../src/log.js';

interface Watch {
  readonly req: ClientRequest;
  readonly res: IncomingMessage;
  /** Resolves with the next `n` event lines. */
  next(n?: number): Promise<{ Action: string; id: string }[]>;
  readonly ended: Promise<void>;
}

function watchEvents(sock: string, query = ''): Promise<Watch> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock, path: `/events${query}`, agent: false }, (res) => {
      const lines: string[] = [];
      let partial = '';
      let waiter: (() => void) | undefined;
      res.on('data', (b: Buffer) => {
        const parts = (partial + b.toString()).split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
        waiter?.();
      });
      const ended = new Promise<void>((r) => res.on('end', r));
      resolve({
        req,
        res,
        ended,
        async next(n = 1) {
          while (lines.length < n) await new Promise<void>((r) => (waiter = r));
          return lines.splice(0, n).map((l) => JSON.parse(l) as { Action: string; id: string });
        },
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('GET /events', () => {
  let dir = '';
  let sock = '';
  let server: ApiServer<EventRouteServices> | undefined;
  const bus = new EventBus();
  const signals: AbortSignal[] = [];
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-events-'));
    sock = join(dir, 'api.sock');
    const real = new Router<EventRouteServices>();
    eventRoutes(real);
    const events = real.find('GET', '/events')!.handler;
    // The real route, with a look at the signal the server hands it.
    const router = new Router<EventRouteServices>().on('GET', '/events', (ctx, s) => {
      signals.push(ctx.signal);
      return events(ctx, s);
    });
    server = new ApiServer({
      router,
      services: { events: bus },
      log: silentLogger(),
      serverHeader: 'skiff/test',
      experimental: false,
    });
    await server.listen([`unix://${sock}`]);
    process.on('warning', onWarning);
  });

  after(async () => {
    process.off('warning', onWarning);
    await server?.close(500);
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'holds one listener per client however many events pass, and drops it when the client leaves',
    { timeout: 10_000 },
    async () => {
      const w = await watchEvents(sock);
      try {
        const signal = signals.at(-1)!;
        while (bus.listenerCount === 0) await sleep(5);
        for (let i = 0; i < 30; i++) {
          bus.publish('container', 'exec_start', `c${i}`);
          assert.deepEqual(
            (await w.next()).map((e) => e.id),
            [`c${i}`],
          );
        }
        assert.equal(bus.listenerCount, 1);
        const during = getEventListeners(signal, 'abort').length;
        assert.ok(during <= 2, `${during} abort listeners after 30 events`);
        w.req.destroy();
        while (bus.listenerCount > 0) await sleep(5);
        assert.equal(getEventListeners(signal, 'abort').length, 0);
        await sleep(10); // warnings are emitted on the next tick
        assert.deepEqual(
          warnings.filter((x) => x.name === 'MaxListenersExceededWarning').map((x) => x.message),
          [],
        );
      } finally {
        w.req.destroy();
      }
    },
  );

  it('keeps a bounded backlog for a client that does not read', { timeout: 20_000 }, async () => {
    const w = await watchEvents(sock);
    try {
      while (bus.listenerCount === 0) await sleep(5);
      w.res.pause();
      // Far more than the backlog, all at once and to a client that is not reading.
      const published = 20_000;
      for (let i = 0; i < published; i++)
        bus.publish('container', 'exec_start', `slow${i}`, { pad: 'x'.repeat(200) });
      await sleep(50);
      w.res.resume();
      const marker = 'after-the-flood';
      let received = 0;
      let seenMarker = false;
      // The queue drains; a new event still comes through afterwards.
      const pump = (async () => {
        for (;;) {
          const [e] = await w.next();
          if (e?.id === marker) {
            seenMarker = true;
            return;
          }
          received++;
        }
      })();
      await sleep(100);
      bus.publish('container', 'die', marker);
      await pump;
      assert.ok(seenMarker);
      // dockerd drops events for a subscriber that does not keep up rather than buffer them all.
      assert.ok(received < published, `received ${received} of ${published}`);
    } finally {
      w.req.destroy();
    }
  });

  it('replays since and ends at until', { timeout: 10_000 }, async () => {
    bus.publish('image', 'pull', 'busybox:latest');
    const now = Date.now() / 1000;
    const w = await watchEvents(sock, `?since=${now - 60}&until=${now + 0.3}`);
    const got: string[] = [];
    const pump = (async () => {
      for (;;) {
        const more = await Promise.race([w.next(), w.ended.then(() => undefined)]);
        if (!more) return;
        got.push(...more.map((e) => e.id));
      }
    })();
    await w.ended;
    await Promise.race([pump, sleep(10)]);
    assert.ok(got.includes('busybox:latest'), JSON.stringify(got.slice(-3)));
  });
});
