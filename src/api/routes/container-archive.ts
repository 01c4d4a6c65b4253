/** /containers/{id}/archive (docker cp) and /containers/{id}/export. */
import type { ContainerService } from '../../daemon/containers/container-service.js';
import type { PathStat } from '../../daemon/containers/archive/container-archive.js';
import { InvalidArgumentError } from '../../errors.js';
import { empty } from '../reply.js';
import type { Router } from '../router.js';
import { qBool } from '../wire/query.js';

export interface ArchiveRouteServices {
  readonly containers: ContainerService;
}

const STAT_HEADER = 'X-Docker-Container-Path-Stat';

function statHeader(s: PathStat): Record<string, string> {
  return { [STAT_HEADER]: Buffer.from(JSON.stringify(s)).toString('base64') };
}

function pathParam(q: URLSearchParams): string {
  const p = q.get('path');
  if (!p) throw new InvalidArgumentError('path is required');
  return p.startsWith('/') ? p : `/${p}`;
}

export function containerArchiveRoutes<S extends ArchiveRouteServices>(r: Router<S>): void {
  r.on('HEAD', '/containers/{id}/archive', async (ctx, s) => {
    const stat = await s.containers.archive.stat(ctx.params['id'] ?? '', pathParam(ctx.query));
    return empty(200, statHeader(stat));
  });

  r.on('GET', '/containers/{id}/archive', async (ctx, s) => {
    const { stat, tar } = await s.containers.archive.get(
      ctx.params['id'] ?? '',
      pathParam(ctx.query),
      ctx.signal,
    );
    return {
      kind: 'stream',
      status: 200,
      contentType: 'application/x-tar',
      headers: statHeader(stat),
      body: tar,
    };
  });

  r.on('PUT', '/containers/{id}/archive', async (ctx, s) => {
    await s.containers.archive.put(ctx.params['id'] ?? '', pathParam(ctx.query), ctx.raw, {
      noOverwriteDirNonDir: qBool(ctx.query, 'noOverwriteDirNonDir'),
      copyUIDGID: qBool(ctx.query, 'copyUIDGID'),
    });
    return empty(200);
  });

  r.on('GET', '/containers/{id}/export', async (ctx, s) => {
    const tar = await s.containers.archive.export(ctx.params['id'] ?? '', ctx.signal);
    return { kind: 'stream', status: 200, contentType: 'application/x-tar', body: tar };
  });
}
