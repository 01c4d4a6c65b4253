/** POST /containers/{id}/update, /containers/prune, /commit. */
import type { ContainerService } from '../../daemon/containers/container-service.js';
import type { CommitConfig, ImageCommitter } from '../../daemon/containers/commit-container.js';
import { commitContainer } from '../../daemon/containers/commit-container.js';
import { InvalidArgumentError } from '../../errors.js';
import { json } from '../reply.js';
import type { Router } from '../router.js';
import { parseFilters } from '../wire/filters.js';
import { parseUpdateBody } from '../wire/host-config.js';
import { asObject, strList, strSlice } from '../wire/json-fields.js';
import { qTime } from '../wire/query.js';
import { parseConfig } from '../wire/container-create.js';

export interface MaintenanceRouteServices {
  readonly containers: ContainerService;
  readonly imageCommitter: ImageCommitter;
}

export function containerMaintenanceRoutes<S extends MaintenanceRouteServices>(r: Router<S>): void {
  r.on('POST', '/containers/{id}/update', async (ctx, s) => {
    // Same field types and resource rules as create (dockerd's verifyContainerSettings).
    const { resources, restartPolicy: rp } = parseUpdateBody(asObject(await ctx.body(), 'body'));
    const warnings = await s.containers.update(ctx.params['id'] ?? '', {
      ...(rp ? { restartPolicy: rp } : {}),
      ...(Object.keys(resources).length > 0 ? { resources } : {}),
    });
    return json({ Warnings: warnings });
  });

  r.on('POST', '/containers/prune', async (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), ['until', 'label', 'label!']);
    const untilRaw = f.get('until')?.[0];
    const until = untilRaw ? qTime(new URLSearchParams({ until: untilRaw }), 'until') : undefined;
    const res = await s.containers.prune({
      ...(until ? { until } : {}),
      labels: f.get('label') ?? [],
      notLabels: f.get('label!') ?? [],
    });
    return json({
      ContainersDeleted: res.deleted.length > 0 ? res.deleted : null,
      SpaceReclaimed: res.reclaimed,
    });
  });

  r.on('POST', '/commit', async (ctx, s) => {
    const container = ctx.query.get('container');
    if (!container) throw new InvalidArgumentError('container is required');
    const repo = ctx.query.get('repo') ?? '';
    const tag = ctx.query.get('tag') ?? '';
    const body = asObject(await ctx.body(), 'body');
    const overrides = Object.keys(body).length > 0 ? commitOverrides(body) : undefined;
    const id = await commitContainer(s.containers.ctx, s.imageCommitter, container, {
      ...(repo ? { repoTag: tag ? `${repo}:${tag}` : repo } : {}),
      comment: ctx.query.get('comment') ?? '',
      author: ctx.query.get('author') ?? '',
      changes: ctx.query
        .getAll('changes')
        .flatMap((c) => c.split('\n'))
        .filter((c) => c.trim() !== ''),
      ...(overrides ? { config: overrides } : {}),
    });
    return json({ Id: id }, 201);
  });
}

/** The body of /commit is a container Config; only the fields it sets override. */
function commitOverrides(o: Readonly<Record<string, unknown>>): Partial<CommitConfig> {
  const c = parseConfig({ Image: 'ignored', ...o });
  const out: Partial<CommitConfig> = {
    ...(o['Env'] ? { env: strList(o, 'Env') } : {}),
    ...(c.cmd ? { cmd: c.cmd } : {}),
    ...(c.entrypoint ? { entrypoint: c.entrypoint } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    ...(c.user ? { user: c.user } : {}),
    ...(o['ExposedPorts'] ? { exposedPorts: c.exposedPorts } : {}),
    ...(o['Volumes'] ? { volumes: c.volumes } : {}),
    ...(o['Labels'] ? { labels: c.labels } : {}),
    ...(c.stopSignal ? { stopSignal: c.stopSignal } : {}),
    ...(c.healthcheck ? { healthcheck: c.healthcheck } : {}),
    ...(strSlice(o, 'Shell') ? { shell: strSlice(o, 'Shell') ?? [] } : {}),
  };
  return out;
}
