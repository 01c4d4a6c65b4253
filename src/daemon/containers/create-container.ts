/**
 * `docker create`: resolve the image, merge its defaults, reserve the name, prepare the writable
 * snapshot and the volumes, persist the record. A crash midway leaves a record marked
 * `creating`, which the next start removes with its snapshot.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, messageOf } from '../../errors.js';
import { newId } from '../../store/ids.js';
import type { ContainerContext } from './container-context.js';
import type { ContainerConfig, HostConfig, MountSpec } from './container-config.js';
import { generateName, validateName } from './container-names.js';
import { initialState, type ContainerRecord, type MountPoint } from './container-record.js';
import type { CreateRequest } from './create-request.js';
import { mergeImageConfig } from './merge-image-config.js';
import { checkNetworkMode, networkModeKind } from './network-mode.js';
import { checkPrivilegedPorts } from './privileged-ports.js';
import { portRequests } from './publish-ports.js';
import { cleanVolumeTarget } from './volume-target.js';
import { normalizeLinks } from './resolve-links.js';
import {
  cgroupFieldWarnings,
  checkImagePlatform,
  effectiveCgroupns,
  effectiveRuntime,
  securityOptWarnings,
} from './create-fields.js';
import { populateVolume } from './populate-volume.js';
import { resolveDeviceRequests } from './device-requests.js';
import { inheritedMountPoints, parseVolumesFrom } from './volumes-from.js';
import { mountContainerRootfs } from './container-rootfs.js';
import { parseUsernsMode } from '../../runtime/spec/keep-id-mappings.js';

const LOG_DRIVERS = ['json-file', 'local', 'none'];

export interface CreateResult {
  readonly id: string;
  readonly warnings: string[];
}

export async function createContainer(
  ctx: ContainerContext,
  req: CreateRequest,
): Promise<CreateResult> {
  checkNanoCpus(req.hostConfig.resources.nanoCpus, ctx.host.ncpu);
  const image = await ctx.images.resolve(req.config.image);
  if (req.platform && image.platform)
    checkImagePlatform(req.config.image, req.platform, image.platform);
  const userns = keepIdUser(ctx, {
    ...req.hostConfig,
    usernsMode: req.hostConfig.usernsMode || ctx.defaults.usernsMode,
  });
  const merged = mergeImageConfig(req.config, image.config);
  // keep-id runs as the user (Podman's behaviour) unless --user or the image's USER says otherwise.
  const config =
    userns && merged.user === '' ? { ...merged, user: `${userns.uid}:${userns.gid}` } : merged;
  const cgroupns = effectiveCgroupns(req.hostConfig.cgroupnsMode, ctx.host.cgroup.version);
  // CDI devices (--gpus, --device vendor/class=name) are resolved now, so that an unknown one is
  // a 400 before the container exists; start resolves them again (the specs as they are then).
  // The CDI directories are read only when a device is asked for: no I/O on every create.
  await resolveDeviceRequests(req.hostConfig.deviceRequests, ctx.defaults.cdiSpecDirs);
  const hostConfig = withDefaults(ctx, {
    ...req.hostConfig,
    // NetworkDisabled: no network at all, as `--network none`.
    ...(config.networkDisabled ? { networkMode: 'none' } : {}),
    // Inspect says what the container got: the runtime and cgroup namespace really used.
    runtime: effectiveRuntime(req.hostConfig.runtime, ctx.host.runtime?.name ?? 'runc'),
    cgroupnsMode: cgroupns.mode,
    // Inspect shows the mode the container got, the daemon's default included.
    usernsMode: req.hostConfig.usernsMode || ctx.defaults.usernsMode,
  });
  // Bridge networks are looked up now (404 `network X not found`), and joined at start.
  const endpoints =
    ctx.networking && networkModeKind(hostConfig.networkMode).kind === 'holder'
      ? ctx.networking.resolveEndpoints(hostConfig.networkMode || 'default', req.endpoints)
      : config.networkDisabled
        ? {}
        : req.endpoints;
  if (!ctx.networking) checkNetworkMode(hostConfig.networkMode);
  const warnings = [
    ...ctx.spec.resourceWarnings(hostConfig),
    ...cgroupFieldWarnings(hostConfig, ctx.host.cgroup.delegated),
    ...securityOptWarnings(hostConfig.securityOpt),
    ...(cgroupns.warning ? [cgroupns.warning] : []),
  ];
  const netKind = networkModeKind(hostConfig.networkMode).kind;
  if (
    (Object.keys(hostConfig.portBindings).length > 0 || hostConfig.publishAllPorts) &&
    (netKind === 'host' || netKind === 'none')
  )
    warnings.push(`Published ports are discarded when using ${netKind} network mode`);
  if (config.cmd.length === 0 && config.entrypoint.length === 0)
    throw new InvalidArgumentError('no command specified');
  if (netKind === 'holder') {
    // Bad ranges and privileged host ports are refused now, before anything exists.
    const reqs = portRequests(hostConfig, config.exposedPorts);
    if (reqs.length > 0 && ctx.lowPorts) checkPrivilegedPorts(reqs, await ctx.lowPorts());
  }

  const id = newId();
  const name =
    req.name !== undefined
      ? validateName(req.name)
      : generateName((n) => ctx.store.nameTaken(n) !== undefined);
  const links = normalizeLinks(hostConfig.links, hostConfig.networkMode, name, (ref) =>
    ctx.store.find(ref),
  );
  ctx.store.reserveName(name, id);
  const dir = ctx.store.dir(id);
  const [path = '', ...args] = [...config.entrypoint, ...config.cmd];
  let rec: ContainerRecord = {
    id,
    name,
    created: new Date().toISOString(),
    path,
    args,
    // dockerd stores the hostname the container gets (its short id, or with --network host the
    // host's name) in Config.Hostname at create, where inspect and commit see it.
    config: config.hostname
      ? config
      : {
          ...config,
          hostname:
            networkModeKind(hostConfig.networkMode).kind === 'host'
              ? ctx.host.hostname
              : id.slice(0, 12),
        },
    hostConfig: { ...hostConfig, links },
    imageId: image.id,
    state: initialState(),
    restartCount: 0,
    driver: ctx.host.storage.driver,
    mountPoints: [],
    logPath: hostConfig.logConfig.type === 'none' ? '' : join(dir, `${id}-json.log`),
    hostnamePath: join(dir, 'hostname'),
    hostsPath: join(dir, 'hosts'),
    resolvConfPath: join(dir, 'resolv.conf'),
    endpoints,
    creating: true,
  };
  try {
    rec = await ctx.store.save(rec);
    await ctx.snapshots.prepare(id, image.chainIds[image.chainIds.length - 1], {
      'skiff.container': id,
    });
    const mountPoints = await populateVolumes(
      ctx,
      id,
      await resolveMounts(ctx, config, hostConfig),
    );
    await mkdir(join(dir, 'checkpoints'), { recursive: true });
    const { creating: _creating, ...done } = { ...rec, mountPoints };
    rec = await ctx.store.save(done);
  } catch (e) {
    await ctx.snapshots.remove(id).catch(() => undefined);
    await ctx.store.delete(id).catch(() => undefined);
    // delete() frees the name of a saved record; when the first save failed there is none.
    ctx.store.releaseName(name, id);
    throw e;
  }
  ctx.events.publish('container', 'create', id, { image: config.image, name });
  return { id, warnings };
}

/**
 * dockerd 28's CPU count check (verifyPlatformContainerResources, daemon/daemon_unix.go), with
 * its words: `--cpus` between 0.01 and the CPUs of this host.
 */
export function checkNanoCpus(nanoCpus: number, ncpu: number): void {
  if (nanoCpus !== 0 && (nanoCpus < 0 || nanoCpus > ncpu * 1e9))
    throw new InvalidArgumentError(
      `range of CPUs is from 0.01 to ${ncpu}.00, as there are only ${ncpu} CPUs available`,
    );
}

/**
 * HostConfig.UsernsMode checked (400 for an unknown mode): for keep-id, the ids the user has in
 * the container; undefined when the container shares skiffd's user namespace.
 */
function keepIdUser(
  ctx: ContainerContext,
  hc: HostConfig,
): { uid: number; gid: number } | undefined {
  const choice = parseUsernsMode(hc.usernsMode);
  if (choice.kind === 'host') return undefined;
  // Podman's words: as real root there is no user to keep.
  if (!ctx.host.rootless)
    throw new InvalidArgumentError('keep-id is only supported in rootless mode');
  // runc 1.1 enters the container's own user namespace first, and from there it may not join
  // these (owned by skiffd's or another container's user namespace): refused here with the
  // way out, instead of runc's "can't get final child's PID from pipe: EOF" at start.
  for (const [flag, mode] of [
    ['--ipc', hc.ipcMode],
    ['--pid', hc.pidMode],
  ] as const)
    if (mode === 'host' ? flag === '--ipc' : mode.startsWith('container:'))
      throw new InvalidArgumentError(
        `${flag} ${mode} cannot be combined with --userns ${hc.usernsMode}: add --userns host`,
      );
  return { uid: choice.uid ?? ctx.host.hostUid, gid: choice.gid ?? ctx.host.hostGid };
}

function withDefaults(ctx: ContainerContext, hc: HostConfig): HostConfig {
  const type = hc.logConfig.type || ctx.defaults.logDriver;
  if (!LOG_DRIVERS.includes(type))
    throw new InvalidArgumentError(
      // dockerd's exact words (clients match on them); the drivers skiff has are in docs/errors.md.
      `logger: no log driver named '${type}' is registered`,
    );
  const config = hc.logConfig.type
    ? hc.logConfig.config
    : { ...ctx.defaults.logOpts, ...hc.logConfig.config };
  for (const k of Object.keys(config))
    if (
      ![
        'max-size',
        'max-file',
        'compress',
        'mode',
        'max-buffer-size',
        'labels',
        'env',
        'tag',
      ].includes(k)
    )
      throw new InvalidArgumentError(`unknown log opt '${k}' for ${type} log driver`);
  return { ...hc, logConfig: { type, config } };
}

/** Binds, named and anonymous volumes (from --mount, -v and the image's VOLUME), tmpfs. */
async function resolveMounts(
  ctx: ContainerContext,
  config: ContainerConfig,
  hc: HostConfig,
): Promise<MountPoint[]> {
  const points: MountPoint[] = [];
  const targets = new Set(hc.mounts.map((m) => m.target));
  // As dockerd: --volumes-from first, the container's own mounts override them by destination.
  const inherited = new Map<string, MountPoint>();
  for (const spec of hc.volumesFrom) {
    const { ref, readOnly } = parseVolumesFrom(spec);
    for (const m of inheritedMountPoints(volumesFromSource(ctx, ref).mountPoints, readOnly))
      if (!targets.has(m.destination)) inherited.set(m.destination, m);
  }
  const specs: MountSpec[] = [
    ...hc.mounts,
    ...[...new Set(config.volumes.map(cleanVolumeTarget))]
      .filter((v) => !targets.has(v) && !inherited.has(v))
      .map((target): MountSpec => ({ type: 'volume', source: '', target, readOnly: false })),
  ];
  points.push(...inherited.values());
  for (const m of specs) points.push(await resolveMount(ctx, m));
  return points;
}

/**
 * As dockerd, a new volume is filled with what the image has at its destination when the
 * container is created, so that a `docker cp` before the first start lands on top of the image's
 * files (testcontainers: create, copy, start). The snapshot is mounted for the copy only.
 */
async function populateVolumes(
  ctx: ContainerContext,
  id: string,
  points: MountPoint[],
): Promise<MountPoint[]> {
  const todo = (m: MountPoint): boolean =>
    m.type === 'volume' && !m.noCopy && !m.populated && m.subpath === undefined;
  if (!points.some(todo)) return points;
  const rootfs = await mountContainerRootfs(ctx, id);
  try {
    const out: MountPoint[] = [];
    for (const m of points) {
      if (todo(m)) await populateVolume(rootfs, m.destination, m.source);
      out.push(todo(m) ? { ...m, populated: true } : m);
    }
    return out;
  } finally {
    await ctx.mounter.unmount(rootfs).catch(() => undefined);
  }
}

async function resolveMount(ctx: ContainerContext, m: MountSpec): Promise<MountPoint> {
  const propagation = m.propagation ?? (m.type === 'bind' ? 'rprivate' : '');
  const mode = [m.readOnly ? 'ro' : '', m.propagation ?? ''].filter((x) => x !== '').join(',');
  switch (m.type) {
    case 'bind': {
      const exists = await stat(m.source).then(
        () => true,
        () => false,
      );
      if (!exists) {
        if (!m.createHostPath)
          throw new InvalidArgumentError(
            `invalid mount config for type "bind": bind source path does not exist: ${m.source}`,
          );
        try {
          await mkdir(m.source, { recursive: true, mode: 0o755 });
        } catch (e) {
          throw new InvalidArgumentError(
            `error while creating mount source path '${m.source}': ${messageOf(e)}`,
          );
        }
      }
      return {
        type: 'bind',
        source: m.source,
        destination: m.target,
        mode,
        rw: !m.readOnly,
        propagation,
      };
    }
    case 'volume': {
      const anonymous = m.source === '';
      const { volume } = await ctx.volumes.create({
        ...(anonymous ? {} : { name: m.source }),
        ...(m.volumeDriver ? { driver: m.volumeDriver } : {}),
        ...(m.volumeLabels ? { labels: m.volumeLabels } : {}),
        ...(m.volumeOptions ? { options: m.volumeOptions } : {}),
      });
      return {
        type: 'volume',
        name: volume.name,
        source: volume.mountpoint,
        destination: m.target,
        driver: volume.driver,
        mode: m.readOnly ? 'ro' : 'z',
        rw: !m.readOnly,
        propagation: '',
        ...(anonymous ? { anonymous: true } : {}),
        ...(m.noCopy ? { noCopy: true } : {}),
        ...(m.volumeSubpath !== undefined ? { subpath: m.volumeSubpath } : {}),
      };
    }
    case 'tmpfs':
      return {
        type: 'tmpfs',
        source: '',
        destination: m.target,
        mode: mode,
        rw: !m.readOnly,
        propagation: '',
      };
  }
}

/** dockerd's words, as a 400 (errdefs.InvalidParameter): a 404 makes the docker CLI pull the image. */
function volumesFromSource(ctx: ContainerContext, ref: string): ContainerRecord {
  try {
    return ctx.store.find(ref);
  } catch (e) {
    if (e instanceof NotFoundError) throw new InvalidArgumentError(e.message);
    throw e;
  }
}
