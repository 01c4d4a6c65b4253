/** /volumes/*: the local volume driver through Docker's API. */
import type { VolumeService, VolumeView } from '../../daemon/volumes/volume-service.js';
import { compareVersions } from '../version.js';
import { empty, json } from '../reply.js';
import type { Router } from '../router.js';
import { boolFilter, parseFilters } from '../wire/filters.js';
import { asObject, optString, strMap } from '../wire/json-fields.js';
import { qBool } from '../wire/query.js';

export interface VolumeRouteServices {
  readonly volumes: VolumeService;
}

export function volumeJson(
  v: VolumeView,
  usage?: { bytes: number; refCount: number },
): Record<string, unknown> {
  return {
    CreatedAt: v.createdAt,
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: v.options,
    Scope: 'local',
    ...(usage ? { UsageData: { Size: usage.bytes, RefCount: usage.refCount } } : {}),
  };
}

export function volumeRoutes<S extends VolumeRouteServices>(r: Router<S>): void {
  r.on('GET', '/volumes', (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), ['dangling', 'driver', 'label', 'name']);
    const dangling = boolFilter(f.get('dangling'), 'dangling');
    const list = s.volumes.list({
      ...(dangling !== undefined ? { dangling } : {}),
      ...(f.get('driver') ? { driver: f.get('driver') } : {}),
      ...(f.get('label') ? { label: f.get('label') } : {}),
      ...(f.get('name') ? { name: f.get('name') } : {}),
    });
    return Promise.resolve(json({ Volumes: list.map((v) => volumeJson(v)), Warnings: [] }));
  });

  r.on('POST', '/volumes/create', async (ctx, s) => {
    const body = asObject(await ctx.body(), 'body');
    const name = optString(body, 'Name');
    const driver = optString(body, 'Driver');
    const { volume } = await s.volumes.create({
      ...(name ? { name } : {}),
      ...(driver ? { driver } : {}),
      labels: strMap(body, 'Labels'),
      options: strMap(body, 'DriverOpts'),
    });
    return json(volumeJson(volume), 201);
  });

  r.on('GET', '/volumes/{name}', (ctx, s) =>
    Promise.resolve(json(volumeJson(s.volumes.inspect(ctx.params['name'] ?? '')))),
  );

  r.on('DELETE', '/volumes/{name}', async (ctx, s) => {
    await s.volumes.remove(ctx.params['name'] ?? '', qBool(ctx.query, 'force'));
    return empty(204);
  });

  r.on('POST', '/volumes/prune', async (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), ['label', 'label!', 'all']);
    // API < 1.42 pruned every unused volume; since, only anonymous ones unless all=true.
    const all = boolFilter(f.get('all'), 'all') ?? compareVersions(ctx.version, '1.42') < 0;
    const res = await s.volumes.prune({
      all,
      ...(f.get('label') ? { label: f.get('label') } : {}),
    });
    return json({ VolumesDeleted: res.deleted, SpaceReclaimed: res.reclaimed });
  });
}
