/**
 * `docker rmi` with dockerd's rules: a name is untagged; the image goes with its last name
 * unless a container uses it; conflicts answer 409 with Docker's messages; unused layers
 * (snapshots) and blobs are collected afterwards.
 */
import { ConflictError } from '../../errors.js';
import { familiar, parseReference } from '../../image/reference.js';
import { shortId } from '../../store/ids.js';
import type { ImageContext } from './image-context.js';

export type DeleteResponseItem = { readonly Untagged: string } | { readonly Deleted: string };

export async function removeImage(
  ctx: ImageContext,
  refOrId: string,
  o: { force: boolean; prune: boolean },
): Promise<DeleteResponseItem[]> {
  const found = ctx.store.lookup(refOrId);
  const id = found.id;
  const users = ctx.containersUsing(id);
  const names = [...ctx.store.tagsOf(id), ...ctx.store.digestsOf(id)];
  const out: DeleteResponseItem[] = [];
  const short = shortId(id);
  if (found.via !== 'id' && found.key) {
    const lastName = names.length <= 1;
    if (lastName && users.length > 0 && !o.force) {
      const c = users[0];
      throw new ConflictError(
        `conflict: unable to remove repository reference "${refOrId}" (must force) - container ${shortId(c?.id ?? '')} is using its referenced image ${short}`,
      );
    }
    await ctx.store.untag(found.key);
    const display = familiar(parseReference(found.key));
    out.push({ Untagged: display });
    ctx.events.publish('image', 'untag', id, { name: display });
    // Removing a tag also removes the repo digests of that repository when nothing else names the image.
    const remaining = ctx.store.tagsOf(id);
    if (remaining.length === 0) {
      for (const d of ctx.store.digestsOf(id)) {
        await ctx.store.untag(d);
        out.push({ Untagged: familiar(parseReference(d)) });
      }
      if (users.length === 0) out.push(...(await deleteImage(ctx, id, o.prune)));
    }
    return out;
  }
  if (ctx.store.all().some((i) => i.parent === id))
    throw new ConflictError(
      `conflict: unable to delete ${short} (cannot be forced) - image has dependent child images`,
    );
  const running = users.find((u) => u.running);
  if (running)
    throw new ConflictError(
      `conflict: unable to delete ${short} (cannot be forced) - image is being used by running container ${shortId(running.id)}`,
    );
  if (!o.force) {
    if (users.length > 0)
      throw new ConflictError(
        `conflict: unable to delete ${short} (must be forced) - image is being used by stopped container ${shortId(users[0]?.id ?? '')}`,
      );
    if (ctx.store.tagsOf(id).length > 1)
      throw new ConflictError(
        `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
      );
  }
  for (const n of names) {
    await ctx.store.untag(n);
    const display = familiar(parseReference(n));
    out.push({ Untagged: display });
    ctx.events.publish('image', 'untag', id, { name: display });
  }
  out.push(...(await deleteImage(ctx, id, o.prune)));
  return out;
}

/**
 * Drops the image record, then the snapshots and blobs no other image needs. With `prune` (the
 * default of `docker rmi`), its untagged parents that nothing else uses go too — a build's
 * intermediate images, as dockerd removes them with the image built on them.
 */
export async function deleteImage(
  ctx: ImageContext,
  id: string,
  prune: boolean,
): Promise<DeleteResponseItem[]> {
  const img = ctx.store.get(id);
  if (!img) return [];
  await ctx.store.remove(id);
  ctx.events.publish('image', 'delete', id, {});
  await collectGarbage(ctx, img.chainIds, [
    id,
    ...(img.manifestDigest ? [img.manifestDigest] : []),
    ...img.layers.map((l) => l.digest),
  ]);
  const out: DeleteResponseItem[] = [{ Deleted: id }];
  const parent = img.parent ? ctx.store.get(img.parent) : undefined;
  if (prune && parent && isUnusedIntermediate(ctx, parent.id))
    out.push(...(await deleteImage(ctx, parent.id, true)));
  return out;
}

function isUnusedIntermediate(ctx: ImageContext, id: string): boolean {
  return (
    ctx.store.tagsOf(id).length === 0 &&
    ctx.store.digestsOf(id).length === 0 &&
    ctx.containersUsing(id).length === 0 &&
    !ctx.store.all().some((i) => i.parent === id)
  );
}

export async function collectGarbage(
  ctx: ImageContext,
  chainIds: readonly string[],
  blobs: readonly string[],
): Promise<void> {
  const usedChains = new Set(ctx.store.all().flatMap((i) => i.chainIds));
  const usedBlobs = new Set(
    ctx.store
      .all()
      .flatMap((i) => [
        i.id,
        ...(i.manifestDigest ? [i.manifestDigest] : []),
        ...i.layers.map((l) => l.digest),
      ]),
  );
  for (const c of [...chainIds].reverse()) {
    if (usedChains.has(c)) break;
    // A container's writable layer may still sit on it: then it stays (remove refuses).
    const removed = await ctx.snapshots.remove(c).then(
      () => true,
      () => false,
    );
    if (!removed) break;
  }
  for (const b of blobs) if (!usedBlobs.has(b)) await ctx.content.delete(b).catch(() => undefined);
}
