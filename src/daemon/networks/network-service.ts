/**
 * Networks: create, inspect, list, remove, prune, connect, disconnect, with dockerd's rules.
 * The containers service plugs in through the `usedBy` / `endpointsOf` / `connectContainer` /
 * `disconnectContainer` hooks (set by the composition root): attaching a container is its job
 * (container-networking.ts), this service keeps the networks and announces the events.
 */
import { ForbiddenError, NotFoundError, NotImplementedError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { AddressPool } from '../../network/address-pools.js';
import { parsePrefix, type IpPrefix } from '../../network/ip-address.js';
import { KeyLock } from '../../store/key-lock.js';
import { newId } from '../../store/ids.js';
import type { EventBus } from '../events/event-bus.js';
import { findNetwork } from './find-network.js';
import { filterNetworks, labelsMatch, type NetworkFilters } from './network-filters.js';
import { isPredefinedName, type NetworkRecord } from './network-record.js';
import { buildNetworkRecord, type NetworkCreateRequest } from './network-request.js';
import type { NetworkStore } from './network-store.js';
import { defaultBridge, hostNetwork, noneNetwork } from './predefined-networks.js';

/** A container on a network, as inspect's `Containers` map shows it. */
export interface EndpointView {
  readonly containerId: string;
  readonly name: string;
  readonly endpointId: string;
  readonly macAddress: string;
  /** CIDR form (172.18.0.2/16), or empty. */
  readonly ipv4Address: string;
  readonly ipv6Address: string;
}

/** What `docker network connect` asks for on the network (its EndpointConfig). */
export interface ConnectEndpoint {
  readonly aliases: readonly string[];
  readonly links: readonly string[];
  readonly ipv4Address?: string;
  readonly ipv6Address?: string;
  readonly macAddress?: string;
}

export interface NetworkView {
  readonly record: NetworkRecord;
  readonly endpoints: readonly EndpointView[];
}

export interface NetworkServiceDeps {
  readonly store: NetworkStore;
  readonly events: EventBus;
  readonly log: Logger;
  /** Effective default-address-pools (see effectivePools). */
  readonly pools: readonly AddressPool[];
  /** Host routes and name servers, read at each allocation (see readReservedNetworks). */
  readonly reserved: () => Promise<IpPrefix[]>;
  /** daemon.json `mtu`: the default bridge's MTU (1500 without it) and user networks'. */
  readonly mtu?: number;
  readonly clock?: () => Date;
}

export interface NetworkPruneFilters {
  readonly until?: Date;
  readonly label?: readonly string[];
  readonly labelNot?: readonly string[];
}

const ALL = 'networks';

export class NetworkService {
  private readonly records = new Map<string, NetworkRecord>();
  /** One lock for all networks: a create must see every name and subnet of the others. */
  private readonly lock = new KeyLock();
  /** Ids of the containers attached to a network; injected by the composition root. */
  usedBy: (network: NetworkRecord) => string[] = () => [];
  /** Inspect's `Containers` entries; injected by the composition root. */
  endpointsOf: (network: NetworkRecord) => EndpointView[] = () => [];
  /** Connects a container (name or id) to a network; resolves with the container's id. */
  connectContainer: (
    network: NetworkRecord,
    container: string,
    endpoint: ConnectEndpoint | undefined,
  ) => Promise<string> = (network, container) =>
    Promise.reject(
      new NotImplementedError(
        `cannot connect container ${container} to network ${network.name}: skiff does not attach containers to networks here`,
      ),
    );
  /** Disconnects a container from a network; resolves with the container's id. */
  disconnectContainer: (
    network: NetworkRecord,
    container: string,
    force: boolean,
  ) => Promise<string> = (network, container) =>
    Promise.reject(
      new NotImplementedError(
        `cannot disconnect container ${container} from network ${network.name}: skiff does not attach containers to networks here`,
      ),
    );

  constructor(private readonly d: NetworkServiceDeps) {}

  /** Reads the stored networks and creates the predefined ones that are missing (first start). */
  async load(): Promise<void> {
    for (const rec of await this.d.store.loadAll()) this.records.set(rec.id, rec);
    const missing = [
      { name: 'bridge', make: defaultBridge },
      { name: 'host', make: hostNetwork },
      { name: 'none', make: noneNetwork },
    ].filter((p) => ![...this.records.values()].some((r) => r.predefined && r.name === p.name));
    if (missing.length === 0) return;
    const taken = [...(await this.d.reserved()), ...this.subnetsInUse()];
    for (const p of missing) {
      const rec = p.make({
        newId,
        created: this.now(),
        pools: this.d.pools,
        taken,
        mtu: this.d.mtu ?? 1500,
      });
      await this.d.store.put(rec);
      this.records.set(rec.id, rec);
      this.d.log.info({ network: rec.name, id: rec.id }, 'created predefined network');
    }
  }

  list(f: NetworkFilters = {}): NetworkView[] {
    const all = [...this.records.values()].sort((a, b) => a.created.localeCompare(b.created));
    return filterNetworks(all, f, (n) => this.usedBy(n).length > 0).map((r) => this.view(r));
  }

  /** `scope` (inspect's query): only networks of that scope are found; all of skiff's are local. */
  inspect(ref: string, scope?: string): NetworkView {
    const rec = findNetwork(this.records.values(), ref);
    if (scope && scope !== 'local') throw new NotFoundError(`network ${ref} not found`);
    return this.view(rec);
  }

  /** The record a reference means (full id, name, id prefix): what an attach step starts from. */
  get(ref: string): NetworkRecord {
    return findNetwork(this.records.values(), ref);
  }

  async create(req: NetworkCreateRequest): Promise<{ id: string; warnings: readonly string[] }> {
    return this.lock.with(ALL, async () => {
      const built = buildNetworkRecord(req, {
        id: this.freshId(),
        created: this.now(),
        existing: [...this.records.values()],
        pools: this.d.pools,
        reserved: await this.d.reserved(),
        ...(this.d.mtu !== undefined ? { defaultMtu: this.d.mtu } : {}),
      });
      const rec = built.record;
      await this.d.store.put(rec);
      this.records.set(rec.id, rec);
      this.d.events.publish('network', 'create', rec.id, { name: rec.name, type: rec.driver });
      return { id: rec.id, warnings: built.warnings };
    });
  }

  async remove(ref: string): Promise<void> {
    await this.lock.with(ALL, async () => {
      const rec = findNetwork(this.records.values(), ref);
      if (rec.predefined || isPredefinedName(rec.name))
        throw new ForbiddenError(`${rec.name} is a pre-defined network and cannot be removed`);
      const users = this.usedBy(rec);
      if (users.length > 0)
        throw new ForbiddenError(
          `error while removing network: network ${rec.name} id ${rec.id} has active endpoints (${users.join(', ')})`,
        );
      await this.destroy(rec);
    });
  }

  /** `docker network prune`: every unused user-defined network that the filters select; names. */
  async prune(f: NetworkPruneFilters = {}): Promise<string[]> {
    return this.lock.with(ALL, async () => {
      const deleted: string[] = [];
      for (const rec of [...this.records.values()]) {
        if (rec.predefined || this.usedBy(rec).length > 0) continue;
        if (f.until && Date.parse(rec.created) >= f.until.getTime()) continue;
        if (f.label && !labelsMatch(rec.labels, f.label)) continue;
        if (f.labelNot?.some((l) => labelsMatch(rec.labels, [l]))) continue;
        await this.destroy(rec);
        deleted.push(rec.name);
      }
      return deleted;
    });
  }

  /** `docker network connect`: under the networks' lock, so that a remove cannot interleave. */
  connect(ref: string, container: string, endpoint?: ConnectEndpoint): Promise<void> {
    return this.lock.with(ALL, async () => {
      const rec = findNetwork(this.records.values(), ref);
      const id = await this.connectContainer(rec, container, endpoint);
      this.d.events.publish('network', 'connect', rec.id, {
        container: id,
        name: rec.name,
        type: rec.driver,
      });
    });
  }

  disconnect(ref: string, container: string, force = false): Promise<void> {
    return this.lock.with(ALL, async () => {
      const rec = findNetwork(this.records.values(), ref);
      const id = await this.disconnectContainer(rec, container, force);
      this.d.events.publish('network', 'disconnect', rec.id, {
        container: id,
        name: rec.name,
        type: rec.driver,
      });
    });
  }

  /** For container start and exit: the events Docker sends when a container joins or leaves. */
  announce(action: 'connect' | 'disconnect', networkId: string, container: string): void {
    const rec = this.records.get(networkId);
    if (!rec) return;
    this.d.events.publish('network', action, rec.id, {
      container,
      name: rec.name,
      type: rec.driver,
    });
  }

  private async destroy(rec: NetworkRecord): Promise<void> {
    await this.d.store.delete(rec.id);
    this.records.delete(rec.id);
    this.d.events.publish('network', 'destroy', rec.id, { name: rec.name, type: rec.driver });
  }

  private view(rec: NetworkRecord): NetworkView {
    return { record: rec, endpoints: this.endpointsOf(rec) };
  }

  private subnetsInUse(): IpPrefix[] {
    return [...this.records.values()].flatMap((r) =>
      r.subnets.map((s) => parsePrefix(s.subnet)).filter((p): p is IpPrefix => !!p),
    );
  }

  /** A new id that no network has, not even as a prefix of another's. */
  private freshId(): string {
    for (;;) {
      const id = newId();
      if (![...this.records.values()].some((r) => r.id.slice(0, 12) === id.slice(0, 12))) return id;
    }
  }

  private now(): string {
    return (this.d.clock?.() ?? new Date()).toISOString();
  }
}
