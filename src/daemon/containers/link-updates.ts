/**
 * Legacy links on the default bridge follow the linked container, as dockerd's link graph does
 * (it links container ids, not names): a rename rewrites the stored links that name either
 * side, and a linked container that starts again, possibly on another address, has that
 * address put into the /etc/hosts of the running containers that link to it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { messageOf } from '../../errors.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerRecord } from './container-record.js';
import { parseLink, renamedLink, retargetHostsLine } from './legacy-links.js';
import { isDefaultBridgeMode } from './network-mode.js';

const onDefaultBridge = (rec: ContainerRecord): boolean =>
  isDefaultBridgeMode(rec.hostConfig.networkMode);

/**
 * After `docker rename`: every default-bridge container whose links name `from` (and the
 * renamed container's own links, whose linking part is its name) gets them rewritten. Each
 * record under its own lock, one at a time (the caller must hold none: no lock order to keep).
 */
export async function renameInLinks(
  ctx: ContainerContext,
  id: string,
  from: string,
  to: string,
): Promise<void> {
  for (const rec of ctx.store.all()) {
    if (!onDefaultBridge(rec) || rec.hostConfig.links.length === 0) continue;
    await ctx.locks
      .with(`container:${rec.id}`, async () => {
        const cur = ctx.store.get(rec.id);
        if (!cur) return;
        const links = cur.hostConfig.links.map((l) => renamedLink(l, cur.name, from, to));
        const same = links.every((l, i) => l === cur.hostConfig.links[i]);
        if (same) return;
        await ctx.store.save({ ...cur, hostConfig: { ...cur.hostConfig, links } });
      })
      .catch((e: unknown) => {
        ctx.log.warn({ id: rec.id, renamed: id, err: messageOf(e) }, 'updating links failed');
      });
  }
}

/**
 * After `started` has started on the default bridge: the /etc/hosts line of each running
 * container linking to it carries its address now. Written in place (the file is bind-mounted);
 * best effort, logged.
 */
export async function refreshLinkers(
  ctx: ContainerContext,
  started: ContainerRecord,
): Promise<void> {
  const ip = started.state.network?.endpoints.find((e) => e.networkName === 'bridge')?.ipv4Address;
  if (!ip) return;
  for (const rec of ctx.store.all()) {
    if (rec.id === started.id || !onDefaultBridge(rec) || !rec.state.network) continue;
    if (rec.state.status !== 'running' && rec.state.status !== 'paused') continue;
    const aliases = rec.hostConfig.links
      .map(parseLink)
      .filter((l) => ctx.store.lookup(l.name)?.id === started.id)
      .map((l) => l.alias);
    if (aliases.length === 0) continue;
    try {
      const before = await readFile(rec.hostsPath, 'utf8');
      const after = aliases.reduce((text, a) => retargetHostsLine(text, a, ip), before);
      if (after !== before) await writeFile(rec.hostsPath, after);
    } catch (e) {
      ctx.log.warn({ id: rec.id, err: messageOf(e) }, 'updating a linked address failed');
    }
  }
}
