/** /networks/*: user-defined and predefined networks through Docker's API. */
import type { NetworkService } from '../../daemon/networks/network-service.js';
import { InvalidArgumentError } from '../../errors.js';
import { empty, json } from '../reply.js';
import type { Router } from '../router.js';
import { parseFilters, type Filters } from '../wire/filters.js';
import { asObject, str } from '../wire/json-fields.js';
import { networkJson, parseNetworkConnect, parseNetworkCreate } from '../wire/network-json.js';
import { qTime } from '../wire/query.js';

export interface NetworkRouteServices {
  readonly networks: NetworkService;
}

const LIST_FILTERS = ['dangling', 'driver', 'id', 'label', 'name', 'scope', 'type'];

/** dockerd takes one dangling value, true|1|false|0 (moby daemon/network/filter.go). */
function danglingFilter(f: Filters): boolean | undefined {
  const values = f.get('dangling');
  if (!values || values.length === 0) return undefined;
  if (values.length > 1)
    throw new InvalidArgumentError('got more than one value for filter key "dangling"');
  const v = values[0];
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(
    `invalid value for filter 'dangling', must be "true" (or "1"), or "false" (or "0")`,
  );
}

function pick(f: Filters, key: string): { [k: string]: readonly string[] } {
  const v = f.get(key);
  return v ? { [key]: v } : {};
}

export function networkRoutes<S extends NetworkRouteServices>(r: Router<S>): void {
  r.on('GET', '/networks', (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), LIST_FILTERS);
    const dangling = danglingFilter(f);
    const list = s.networks.list({
      ...pick(f, 'driver'),
      ...pick(f, 'id'),
      ...pick(f, 'label'),
      ...pick(f, 'name'),
      ...pick(f, 'scope'),
      ...pick(f, 'type'),
      ...(dangling !== undefined ? { dangling } : {}),
    });
    return Promise.resolve(json(list.map((n) => networkJson(n))));
  });

  r.on('POST', '/networks/create', async (ctx, s) => {
    const req = parseNetworkCreate(await ctx.body(), ctx.version);
    const { id, warnings } = await s.networks.create(req);
    return json({ Id: id, Warning: warnings.join('\n') }, 201);
  });

  r.on('POST', '/networks/prune', async (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), ['until', 'label', 'label!']);
    const untilRaw = f.get('until')?.[0];
    const until = untilRaw ? qTime(new URLSearchParams({ until: untilRaw }), 'until') : undefined;
    const deleted = await s.networks.prune({
      ...(until ? { until } : {}),
      ...(f.get('label') ? { label: f.get('label') } : {}),
      ...(f.get('label!') ? { labelNot: f.get('label!') } : {}),
    });
    return json({ NetworksDeleted: deleted });
  });

  // `verbose` adds only swarm details in dockerd; skiff's networks are all local.
  r.on('GET', '/networks/{id}', (ctx, s) => {
    const scope = ctx.query.get('scope') ?? '';
    return Promise.resolve(json(networkJson(s.networks.inspect(ctx.params['id'] ?? '', scope))));
  });

  r.on('DELETE', '/networks/{id}', async (ctx, s) => {
    await s.networks.remove(ctx.params['id'] ?? '');
    return empty(204);
  });

  r.on('POST', '/networks/{id}/connect', async (ctx, s) => {
    const req = parseNetworkConnect(await ctx.body());
    await s.networks.connect(ctx.params['id'] ?? '', req.container, req.endpoint);
    return empty(200);
  });

  r.on('POST', '/networks/{id}/disconnect', async (ctx, s) => {
    const body = asObject(await ctx.body(), 'body');
    await s.networks.disconnect(
      ctx.params['id'] ?? '',
      str(body, 'Container'),
      body['Force'] === true,
    );
    return empty(200);
  });
}
