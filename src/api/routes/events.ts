/** GET /events: the recent past (since) then live events, as JSON lines, until `until` or the client leaves. */
import type { EngineEvent, EventBus } from '../../daemon/events/event-bus.js';
import { EVENT_FILTERS, eventMatches } from '../../daemon/events/event-filter.js';
import type { Router } from '../router.js';
import { parseFilters } from '../wire/filters.js';
import { qTime } from '../wire/query.js';

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
      const unsubscribe = bus.subscribe((e) => {
        queue.push(e);
        wake?.();
      });
      const untilNano = until ? BigInt(until.getTime()) * 1_000_000n : undefined;
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
            const timer =
              untilNano !== undefined
                ? setTimeout(
                    resolve,
                    Math.max(
                      0,
                      Number((untilNano - BigInt(Date.now()) * 1_000_000n) / 1_000_000n),
                    ) + 1,
                  )
                : undefined;
            ctx.signal.addEventListener(
              'abort',
              () => {
                if (timer) clearTimeout(timer);
                resolve();
              },
              { once: true },
            );
          });
          wake = undefined;
        }
      } finally {
        unsubscribe();
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
