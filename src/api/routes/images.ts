/** /images/*, /distribution/*, /auth. */
import { distributionInfo } from '../../daemon/images/distribution-info.js';
import type { ImageService } from '../../daemon/images/image-service.js';
import { layerSize } from '../../daemon/images/unpack-layer.js';
import { InvalidArgumentError } from '../../errors.js';
import { familiar, parseReference } from '../../image/reference.js';
import { decodeRegistryAuth, parseAuthConfig } from '../../registry/credentials.js';
import { json, type Reply } from '../reply.js';
import type { Router } from '../router.js';
import { errorLine, errorsInStream, progressStream, streamLine } from '../streams/json-progress.js';
import { boolFilter, parseFilters } from '../wire/filters.js';
import { historyJson, imageInspectJson, imageSummaryJson } from '../wire/image-json.js';
import { isObject } from '../wire/json-fields.js';
import { qBool, qTime } from '../wire/query.js';
import { compareVersions } from '../version.js';

export interface ImageRouteServices {
  readonly images: ImageService;
}

const streamReply = (body: AsyncIterable<string>): Reply => ({
  kind: 'stream',
  status: 200,
  contentType: 'application/json',
  body,
  errorFor: errorLine,
});

export function imageRoutes<S extends ImageRouteServices>(r: Router<S>): void {
  r.on('POST', '/images/create', (ctx, s) => {
    const q = ctx.query;
    const fromImage = q.get('fromImage');
    const fromSrc = q.get('fromSrc');
    const creds = decodeRegistryAuth(headerOf(ctx.headers['x-registry-auth']));
    if (fromImage) {
      const tag = q.get('tag') ?? undefined;
      if (tag) checkTag(tag);
      const platform = q.get('platform') ?? undefined;
      return Promise.resolve(
        streamReply(
          progressStream((sink) =>
            s.images.pull(
              {
                image: fromImage,
                ...(tag ? { tag } : {}),
                ...(platform ? { platform } : {}),
                ...(creds ? { creds } : {}),
                signal: ctx.signal,
              },
              sink,
            ),
          ),
        ),
      );
    }
    if (fromSrc === '-') {
      const repo = q.get('repo');
      const tag = q.get('tag');
      const repoTag = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
      if (repoTag) parseReference(repoTag);
      return Promise.resolve(
        streamReply(
          progressStream(
            () =>
              s.images.importTar({
                input: ctx.raw,
                ...(repoTag ? { repoTag } : {}),
                changes: q.getAll('changes'),
                message: q.get('message') ?? '',
                ...(q.get('platform') ? { platform: q.get('platform') ?? '' } : {}),
              }),
            (img) => [`${JSON.stringify({ status: img.id })}\n`],
          ),
        ),
      );
    }
    if (fromSrc)
      throw new InvalidArgumentError(
        'importing from a URL is not supported: download it and use "docker import -"',
      );
    throw new InvalidArgumentError('fromImage or fromSrc is required');
  });

  r.on('GET', '/images/json', async (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), [
      'dangling',
      'reference',
      'label',
      'before',
      'since',
      'until',
    ]);
    const dangling = boolFilter(f.get('dangling'), 'dangling');
    const all = qBool(ctx.query, 'all');
    const before = (f.get('before') ?? []).map((x) => s.images.details(x));
    const since = (f.get('since') ?? []).map((x) => s.images.details(x));
    const beforeT = (await Promise.all(before)).map((d) => Date.parse(d.image.created));
    const sinceT = (await Promise.all(since)).map((d) => Date.parse(d.image.created));
    const usage = new Map((await s.images.diskUsage()).map((u) => [u.image.id, u]));
    const out: Record<string, unknown>[] = [];
    for (const img of s.images
      .all()
      .sort((a, b) => Date.parse(b.created) - Date.parse(a.created))) {
      const tags = s.images.tagsOf(img.id);
      const digests = s.images.digestsOf(img.id);
      if (dangling === true && tags.length > 0) continue;
      if (dangling === false && tags.length === 0) continue;
      if (
        !all &&
        tags.length === 0 &&
        digests.length === 0 &&
        dangling !== true &&
        isIntermediate(img.id, s)
      )
        continue;
      const refs = f.get('reference');
      if (
        refs &&
        !refs.some((p) =>
          tags.some((t) => globMatch(p, t) || globMatch(p, t.replace(/:[^:/]+$/, ''))),
        )
      )
        continue;
      if (
        beforeT.some((t) => Date.parse(img.created) >= t) ||
        sinceT.some((t) => Date.parse(img.created) <= t)
      )
        continue;
      const config = await s.images.configOf(img.id);
      const labels = f.get('label');
      if (
        labels &&
        !labels.every((l) =>
          l.includes('=')
            ? config.config.labels[l.slice(0, l.indexOf('='))] === l.slice(l.indexOf('=') + 1)
            : l in config.config.labels,
        )
      )
        continue;
      out.push(
        imageSummaryJson(img, config, tags, digests, usage.get(img.id)?.containers ?? 0, {
          legacySize: compareVersions(ctx.version, '1.44') < 0,
        }),
      );
    }
    return json(out);
  });

  r.on('GET', '/images/get', (ctx, s) => {
    const names = ctx.query.getAll('names');
    if (names.length === 0) throw new InvalidArgumentError('names is required');
    return Promise.resolve({
      kind: 'stream',
      status: 200,
      contentType: 'application/x-tar',
      body: s.images.save(names),
    });
  });

  r.on('POST', '/images/load', (ctx, s) =>
    // Each "Loaded image" line once, as a `stream` line when it happens (moby's
    // NewStdoutWriter), never also as a status. `quiet` changes nothing: skiff sends no
    // "Loading layer" progress, the only thing dockerd's quiet hides.
    Promise.resolve(
      streamReply(
        errorsInStream(
          progressStream((_sink, raw) =>
            s.images.load(ctx.raw, (l) => {
              raw(streamLine(`${l}\n`));
            }),
          ),
        ),
      ),
    ),
  );

  r.on('POST', '/images/prune', async (ctx, s) => {
    const f = parseFilters(ctx.query.get('filters'), ['dangling', 'until', 'label', 'label!']);
    const danglingOnly = boolFilter(f.get('dangling'), 'dangling') ?? true;
    const untilRaw = f.get('until')?.[0];
    const until = untilRaw ? qTime(new URLSearchParams({ until: untilRaw }), 'until') : undefined;
    const res = await s.images.prune({
      all: !danglingOnly,
      ...(until ? { until } : {}),
      labels: f.get('label') ?? [],
    });
    return json({
      ImagesDeleted: res.deleted.length > 0 ? res.deleted : null,
      SpaceReclaimed: res.reclaimed,
    });
  });

  r.on('POST', '/auth', async (ctx, s) => {
    const body = await ctx.body();
    // Only the top-level strings: serializing the whole body again would recurse through
    // whatever nesting the client sent (a stack overflow, a 500).
    const fields = isObject(body)
      ? Object.fromEntries(Object.entries(body).filter(([, v]) => typeof v === 'string'))
      : {};
    const creds = parseAuthConfig(JSON.stringify(fields));
    if (!creds) throw new InvalidArgumentError('invalid auth configuration');
    // An address no URL can be made of is the client's error, not an unreachable registry.
    const addr = creds.serverAddress;
    if (addr !== undefined && !URL.canParse(`https://${addr.replace(/^https?:\/\//, '')}`))
      throw new InvalidArgumentError(`invalid registry address "${addr}"`);
    await s.images.login(creds);
    return json({ Status: 'Login Succeeded', IdentityToken: '' });
  });

  r.on('GET', '/distribution/{name:.*}/json', async (ctx, s) => {
    const ref = parseReference(ctx.params['name'] ?? '');
    const creds = decodeRegistryAuth(headerOf(ctx.headers['x-registry-auth']));
    const info = await distributionInfo(s.images.ctx.hosts, ref, creds);
    return json({
      Descriptor: info.descriptor,
      // dockerd: null when the config named no platform (a nil Go slice).
      Platforms:
        info.platforms.length === 0
          ? null
          : info.platforms.map((p) => ({
              architecture: p.architecture,
              os: p.os,
              ...(p.variant ? { variant: p.variant } : {}),
            })),
    });
  });

  r.on('GET', '/images/{name:.*}/json', async (ctx, s) => {
    const d = await s.images.details(ctx.params['name'] ?? '');
    return json(
      imageInspectJson(
        d,
        { name: s.images.ctx.snapshots.driver, data: {} },
        { legacySize: compareVersions(ctx.version, '1.44') < 0 },
      ),
    );
  });

  r.on('GET', '/images/{name:.*}/history', async (ctx, s) => {
    const d = await s.images.details(ctx.params['name'] ?? '');
    const sizes = await Promise.all(
      d.image.chainIds.map((c) => layerSize(s.images.ctx.snapshots, c)),
    );
    // dockerd names the entries from the top down after the image and its parent chain
    // (a local build's intermediate images); the rest stay "<missing>".
    const chain: { id: string; tags: string[] }[] = [];
    for (let img = s.images.ctx.store.get(d.image.id); img;) {
      chain.push({ id: img.id, tags: s.images.tagsOf(img.id) });
      img = img.parent ? s.images.ctx.store.get(img.parent) : undefined;
    }
    return json(historyJson(d, sizes, chain));
  });

  r.on('GET', '/images/{name:.*}/get', (ctx, s) =>
    Promise.resolve({
      kind: 'stream',
      status: 200,
      contentType: 'application/x-tar',
      body: s.images.save([ctx.params['name'] ?? '']),
    }),
  );

  r.on('POST', '/images/{name:.*}/tag', async (ctx, s) => {
    const repo = ctx.query.get('repo');
    if (!repo) throw new InvalidArgumentError('repo is required');
    await s.images.tag(ctx.params['name'] ?? '', repo, ctx.query.get('tag') ?? undefined);
    return { kind: 'empty', status: 201 };
  });

  r.on('POST', '/images/{name:.*}/push', (ctx, s) => {
    const creds = decodeRegistryAuth(headerOf(ctx.headers['x-registry-auth']));
    const name = ctx.params['name'] ?? '';
    const tag = ctx.query.get('tag') || undefined;
    parseReference(name);
    if (tag) checkTag(tag);
    // dockerd writes "The push refers to repository" before it looks for the image, so a push
    // of an image it lacks is a 200 with the error in the stream (moby distribution/push.go).
    return Promise.resolve(
      streamReply(
        errorsInStream(
          progressStream(
            (sink) => s.images.push(name, tag, creds, sink),
            (res) => [
              `${JSON.stringify({ progressDetail: {}, aux: { Tag: res.tag, Digest: res.digest, Size: res.size } })}\n`,
            ],
          ),
        ),
      ),
    );
  });

  r.on('DELETE', '/images/{name:.*}', async (ctx, s) =>
    json(
      await s.images.remove(ctx.params['name'] ?? '', {
        force: qBool(ctx.query, 'force'),
        prune: !qBool(ctx.query, 'noprune'),
      }),
    ),
  );
}

/**
 * The `tag` query value of a pull or push: a tag or a digest, checked before the registry is
 * contacted, with dockerd's message.
 */
function checkTag(tag: string): void {
  try {
    parseReference(tag.startsWith('sha256:') ? `x@${tag}` : `x:${tag}`);
  } catch {
    throw new InvalidArgumentError('invalid tag format');
  }
}

function headerOf(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** An untagged image that is the parent of another (hidden by `docker images` without -a). */
function isIntermediate(id: string, s: ImageRouteServices): boolean {
  return s.images.all().some((i) => i.parent === id);
}

/** Docker's reference filter: path.Match-style globs on "repo" or "repo:tag". */
function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return re.test(value) || re.test(familiar(parseReference(value)));
}
