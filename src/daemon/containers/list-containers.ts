/**
 * `docker ps` selection: running only unless `all`, newest first, `limit`, and Docker's filters
 * (id, name, label, status, ancestor, exited, before, since, volume, network, health, is-task).
 */
import { InvalidArgumentError } from '../../errors.js';
import type { ContainerRecord } from './container-record.js';

export const CONTAINER_FILTERS = [
  'id',
  'name',
  'label',
  'label!',
  'status',
  'ancestor',
  'exited',
  'before',
  'since',
  'volume',
  'network',
  'health',
  'is-task',
  'publish',
  'expose',
];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListOptions {
  readonly all: boolean;
  readonly limit: number;
  readonly filters: ReadonlyMap<string, readonly string[]>;
  /** Whether a container's image matches an `ancestor` value (name, id, or a parent). */
  readonly isAncestor: (rec: ContainerRecord, value: string) => boolean;
  /** Resolves a container reference for before/since. */
  readonly find: (ref: string) => ContainerRecord;
}

export function listContainers(
  records: readonly ContainerRecord[],
  o: ListOptions,
): ContainerRecord[] {
  const f = o.filters;
  for (const s of f.get('status') ?? [])
    if (!STATUSES.includes(s)) throw new InvalidArgumentError(`Invalid filter 'status=${s}'`);
  for (const h of f.get('health') ?? [])
    if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h))
      throw new InvalidArgumentError(`Unrecognised filter value for health: ${h}`);
  const before = (f.get('before') ?? []).map((r) => Date.parse(o.find(r).created));
  const since = (f.get('since') ?? []).map((r) => Date.parse(o.find(r).created));
  const explicitAll = o.all || o.limit > 0 || f.has('status') || f.has('exited');
  let out = [...records]
    .filter((c) => c.creating !== true)
    .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))
    .filter(
      (c) =>
        explicitAll ||
        c.state.status === 'running' ||
        c.state.status === 'paused' ||
        c.state.status === 'restarting',
    )
    .filter((c) => any(f.get('id'), (v) => c.id.startsWith(v)))
    .filter((c) => any(f.get('name'), (v) => nameMatches(c.name, v)))
    .filter((c) => all(f.get('label'), (v) => labelMatches(c.config.labels, v)))
    .filter((c) => !(f.get('label!') ?? []).some((v) => labelMatches(c.config.labels, v)))
    .filter((c) => any(f.get('status'), (v) => c.state.status === v))
    .filter((c) => any(f.get('ancestor'), (v) => o.isAncestor(c, v)))
    .filter((c) =>
      any(f.get('exited'), (v) => c.state.status === 'exited' && String(c.state.exitCode) === v),
    )
    .filter((c) => before.every((t) => Date.parse(c.created) < t))
    .filter((c) => since.every((t) => Date.parse(c.created) > t))
    .filter((c) =>
      any(f.get('volume'), (v) =>
        c.mountPoints.some((m) => m.name === v || m.destination === v || m.source === v),
      ),
    )
    .filter((c) =>
      any(
        f.get('network'),
        (v) =>
          networkName(c) === v ||
          Object.entries(c.endpoints).some(
            ([name, e]) => name === v || (e.networkId?.startsWith(v) ?? false),
          ),
      ),
    )
    .filter((c) => any(f.get('health'), (v) => (c.state.health?.status ?? 'none') === v))
    .filter((c) =>
      any(f.get('expose'), (v) => portKeys(v).some((k) => c.config.exposedPorts.includes(k))),
    )
    .filter((c) =>
      any(f.get('publish'), (v) => {
        // The container side, as dockerd: `-p` bindings, and what -P published while it runs.
        const published = new Set([
          ...Object.keys(c.hostConfig.portBindings).flatMap(portKeys),
          ...(c.state.status === 'running' || c.state.status === 'paused'
            ? (c.state.ports ?? []).map((p) => p.key)
            : []),
        ]);
        return portKeys(v).some((k) => published.has(k));
      }),
    );
  if ((f.get('is-task') ?? []).includes('true')) out = [];
  return o.limit > 0 ? out.slice(0, o.limit) : out;
}

function any(values: readonly string[] | undefined, pred: (v: string) => boolean): boolean {
  return !values || values.length === 0 || values.some(pred);
}

function all(values: readonly string[] | undefined, pred: (v: string) => boolean): boolean {
  return !values || values.every(pred);
}

function nameMatches(name: string, pattern: string): boolean {
  const p = pattern.replace(/^\//, '');
  try {
    return new RegExp(p).test(name);
  } catch {
    return name.includes(p);
  }
}

function labelMatches(labels: Readonly<Record<string, string>>, f: string): boolean {
  const i = f.indexOf('=');
  return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
}

function networkName(c: ContainerRecord): string {
  return c.hostConfig.networkMode === 'default' ? 'bridge' : c.hostConfig.networkMode;
}

/** "80" → ["80/tcp"]; "8000-8002/udp" → each port of the range; unparseable → []. */
export function portKeys(spec: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/.exec(spec.trim().toLowerCase());
  if (!m) return [];
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  if (hi < lo || hi - lo > 65535) return [];
  const out: string[] = [];
  for (let p = lo; p <= hi; p++) out.push(`${p}/${m[3] ?? 'tcp'}`);
  return out;
}
