/** GET /events: the recent past (since) then live events, as JSON lines, until `until` or the client leaves. */
import type { EngineEvent, EventBus } from '../../daemon/events/event-bus.js';
import { EVENT_FILTERS, eventMatches } from '../../daemon/events/event-filter.js';
import type { Router } from '../router.js';
import { parseFilters } from '../wire/filters.js';
import { qTime } from '../wire/query.js';

/** Events kept for a client that is not reading (dockerd's subscriber buffer holds 1024). */
const MAX_BACKLOG = 1024;

/** setTimeout waits at most 2^31-1 ms (about 24.8 days): longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fire` once the clock passes `atMs`. */
class UntilTimer {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly atMs: number,
    private readonly fire: () => void,
  ) {
    this.arm();
  }

  cancel(): void {
    clearTimeout(this.timer);
  }

  private arm(): void {
    const left = this.atMs - Date.now();
    if (left < 0) {
      this.fire();
      return;
    }
    this.timer = setTimeout(
      () => {
        this.arm();
      },
      Math.min(left + 1, MAX_TIMER_MS),
    );
  }
}

export interface EventRouteServices {
  readonly events: EventBus;
}

export function eventJson(e: EngineEvent): Record<string, unknown> {
  const seconds = Number(e.timeNano / 1_000_000_000n);
  const legacy =
    e.type === 'container' || e.type === 'image'
      ? {
          status: e.action,
          id: e.id,
          ...(e.attributes['image'] ? { from: e.attributes['image'] } : {}),
        }
      : {};
  return {
    ...legacy,
    Type: e.type,
    Action: e.action,
    Actor: { ID: e.id, Attributes: e.attributes },
    scope: e.scope,
    time: seconds,
    timeNano: Number(e.timeNano),
  };
}

export function eventRoutes<S extends EventRouteServices>(r: Router<S>): void {
  r.on('GET', '/events', (ctx, s) => {
    const filters = parseFilters(ctx.query.get('filters'), EVENT_FILTERS);
    const since = qTime(ctx.query, 'since');
    const until = qTime(ctx.query, 'until');
    const bus = s.events;
    async function* body(): AsyncIterable<string> {
      const queue: EngineEvent[] = [];
      let wake: (() => void) | undefined;
      const poke = (): void => {
        const w = wake;
        wake = undefined;
        w?.();
      };
      // One bus listener and one abort listener for the whole subscription, both gone when
      // the client is (the bus drops its own on abort) or the stream ends.
      const unsubscribe = bus.subscribe((e) => {
        // A client that stopped reading loses events rather than grow the daemon, as dockerd.
        if (queue.length < MAX_BACKLOG) queue.push(e);
        poke();
      }, ctx.signal);
      ctx.signal.addEventListener('abort', poke, { once: true });
      const untilNano = until ? BigInt(until.getTime()) * 1_000_000n : undefined;
      const untilTimer = until ? new UntilTimer(until.getTime(), poke) : undefined;
      // Taken right after subscribing: an event is either in the replay or in the queue, never lost.
      const replay = since ? bus.since(BigInt(since.getTime()) * 1_000_000n) : [];
      const replayed = new Set(replay);
      try {
        for (const e of replay)
          if (eventMatches(e, filters) && (untilNano === undefined || e.timeNano <= untilNano))
            yield `${JSON.stringify(eventJson(e))}\n`;
        for (;;) {
          if (untilNano !== undefined && BigInt(Date.now()) * 1_000_000n > untilNano) return;
          if (ctx.signal.aborted) return;
          const e = queue.shift();
          if (e && replayed.has(e)) continue;
          if (e) {
            if (untilNano !== undefined && e.timeNano > untilNano) return;
            if (eventMatches(e, filters)) yield `${JSON.stringify(eventJson(e))}\n`;
            continue;
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener('abort', poke);
        untilTimer?.cancel();
      }
    }
    return Promise.resolve({
      kind: 'stream',
      status: 200,
      contentType: 'application/json',
      body: body(),
      eagerHeaders: true,
    });
  });
}
