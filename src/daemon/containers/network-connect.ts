/**
 * `docker network connect` / `disconnect`: a created or stopped container only changes the
 * networks it will join at its next start; a running one gets the interface added to (or
 * removed from) its network namespace at once, and its /etc/hosts and resolv.conf rewritten.
 * Under the container's lock, so that a start or an exit never sees half of it.
 */
import { ForbiddenError, NotImplementedError } from '../../errors.js';
import type { NetworkRecord } from '../networks/network-record.js';
import type { ContainerContext } from './container-context.js';
import { rewriteEtcFiles } from './container-etc-files.js';
import type { ContainerRecord } from './container-record.js';
import type { EndpointRequest } from './create-request.js';
import { networkModeKind } from './network-mode.js';

export async function connectContainer(
  ctx: ContainerContext,
  ref: string,
  net: NetworkRecord,
  requested: EndpointRequest | undefined,
): Promise<ContainerRecord> {
  const id = ctx.store.find(ref).id;
  return ctx.locks.with(`container:${id}`, async () => {
    const rec = ctx.store.find(id);
    const networking = checkAttachable(ctx, rec);
    if (Object.values(rec.endpoints).some((e) => e.networkId === net.id) || rec.endpoints[net.name])
      throw new ForbiddenError(
        `endpoint with name ${rec.name} already exists in network ${net.name}`,
      );
    const endpoint = networking.endpointFor(net, requested);
    const withEndpoint: ContainerRecord = {
      ...rec,
      endpoints: { ...rec.endpoints, [net.name]: endpoint },
    };
    const state = rec.state.network;
    if (!state || (rec.state.status !== 'running' && rec.state.status !== 'paused'))
      return ctx.store.save(withEndpoint);
    const attached = await networking.connect(withEndpoint, state, net.name, ctx.store.all());
    let saved: ContainerRecord;
    try {
      saved = await ctx.store.save({
        ...withEndpoint,
        state: {
          ...rec.state,
          network: { ...state, endpoints: [...state.endpoints, attached] },
        },
      });
    } catch (e) {
      await networking.disconnect(withEndpoint, state, attached);
      throw e;
    }
    // As dockerd: /etc/hosts gains the new address; the first user network brings its DNS.
    await rewriteEtcFiles(ctx, saved);
    return saved;
  });
}

export async function disconnectContainer(
  ctx: ContainerContext,
  ref: string,
  net: NetworkRecord,
): Promise<ContainerRecord> {
  const id = ctx.store.find(ref).id;
  return ctx.locks.with(`container:${id}`, async () => {
    const rec = ctx.store.find(id);
    const networking = checkAttachable(ctx, rec);
    const key = Object.entries(rec.endpoints).find(
      ([name, e]) => e.networkId === net.id || name === net.name,
    )?.[0];
    if (key === undefined)
      throw new ForbiddenError(`container ${rec.id} is not connected to network ${net.name}`);
    const { [key]: _gone, ...endpoints } = rec.endpoints;
    const state = rec.state.network;
    const attached = state?.endpoints.find((e) => e.networkId === net.id);
    if (state && attached) await networking.disconnect(rec, state, attached);
    const saved = await ctx.store.save({
      ...rec,
      endpoints,
      state: state
        ? {
            ...rec.state,
            network: { ...state, endpoints: state.endpoints.filter((e) => e !== attached) },
          }
        : rec.state,
    });
    // The address goes from /etc/hosts; without a user network left, so does its DNS server
    // (unlike dockerd, whose 127.0.0.11 stays in the namespace: aardvark's gateway does not).
    if (state && attached) await rewriteEtcFiles(ctx, saved);
    return saved;
  });
}

function checkAttachable(
  ctx: ContainerContext,
  rec: ContainerRecord,
): NonNullable<ContainerContext['networking']> {
  const kind = networkModeKind(rec.hostConfig.networkMode).kind;
  if (kind === 'host')
    throw new ForbiddenError(
      'container cannot be disconnected from host network or connected to host network',
    );
  if (kind === 'container' || kind === 'none')
    throw new ForbiddenError(
      'container sharing network namespace with another container or host cannot be connected to any other network',
    );
  if (!ctx.networking)
    throw new NotImplementedError(
      'this skiff has no bridge networks (they need the rootlesskit holder and netavark)',
    );
  return ctx.networking;
}
