/** /containers/{id}/top, /stats, /changes: looking into a container. */
import type { ContainerService } from '../../daemon/containers/container-service.js';
import { json } from '../reply.js';
import type { Router } from '../router.js';
import { qBool, qBoolDefault } from '../wire/query.js';
import { statsJson } from '../wire/stats-json.js';

export interface InspectionRouteServices {
  readonly containers: ContainerService;
}

const KIND = { modified: 0, added: 1, deleted: 2 } as const;

export function containerInspectionRoutes<S extends InspectionRouteServices>(r: Router<S>): void {
  r.on('GET', '/containers/{id}/top', async (ctx, s) => {
    const top = await s.containers.top(ctx.params['id'] ?? '', ctx.query.get('ps_args') ?? '-ef');
    return json({ Titles: top.titles, Processes: top.processes });
  });

  r.on('GET', '/containers/{id}/changes', async (ctx, s) => {
    const changes = await s.containers.changes(ctx.params['id'] ?? '');
    return json(
      changes.length > 0 ? changes.map((c) => ({ Path: c.path, Kind: KIND[c.kind] })) : null,
    );
  });

  r.on('GET', '/containers/{id}/stats', (ctx, s) => {
    s.containers.get(ctx.params['id'] ?? '');
    const stream = qBoolDefault(ctx.query, 'stream', true);
    const samples = s.containers.stats(
      ctx.params['id'] ?? '',
      { stream, oneShot: qBool(ctx.query, 'one-shot') },
      ctx.signal,
    );
    async function* body(): AsyncIterable<string> {
      for await (const x of samples)
        yield `${JSON.stringify(statsJson(x.rec.name, x.rec.id, x.cur, x.pre))}\n`;
    }
    return Promise.resolve({
      kind: 'stream',
      status: 200,
      contentType: 'application/json',
      body: body(),
      eagerHeaders: stream,
    });
  });
}
