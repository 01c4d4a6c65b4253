/**
 * The composition root proper: the one place that does `new` on services, handing each its
 * dependencies explicitly (STYLE §1 note 2). Order: stores, images, volumes, runtime, containers
 * (which restores what outlived a previous skiffd), then the cross-links (who uses an image, a
 * volume).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { HostProfile } from '../host.js';
import type { ApiServices } from '../api/services.js';
import { messageOf } from '../errors.js';
import { SystemService, type EngineIdentity } from '../daemon/system/system-service.js';
import { EventBus } from '../daemon/events/event-bus.js';
import { FileContentStore } from '../content/content-store.js';
import { ImageStore } from '../image/image-store.js';
import { RegistryHosts } from '../registry/registry-hosts.js';
import { createSnapshotDriver } from '../snapshot/create-driver.js';
import { spreadSubdirectories } from '../snapshot/spread-directories.js';
import { RootfsMounter } from '../snapshot/mount-rootfs.js';
import { BlobLeases } from '../daemon/images/layer-blobs.js';
import { ImageService } from '../daemon/images/image-service.js';
import { BuildService } from '../build/build-service.js';
import { stepContainers } from './build-adapters.js';
import type { ImageContext } from '../daemon/images/image-context.js';
import { ensureHelloWorld } from '../daemon/images/embedded-hello.js';
import { VolumeService } from '../daemon/volumes/volume-service.js';
import { ContainerStore } from '../daemon/containers/container-store.js';
import { ContainerService } from '../daemon/containers/container-service.js';
import type { ContainerContext } from '../daemon/containers/container-context.js';
import { newLocks } from '../daemon/containers/container-context.js';
import { ConmonRuntime } from '../runtime/conmon/conmon-runtime.js';
import { globalRuntimeArgs } from '../runtime/oci/runtime-args.js';
import { K8sLogReader } from '../runtime/logs/k8s-log-reader.js';
import { RootlesskitPortForwarder } from '../rootless/rootlesskit/port-client.js';
import { HolderNat } from '../rootless/rootlesskit/holder-nat.js';
import { SourceIpPortForwarder } from '../rootless/rootlesskit/source-ip-ports.js';
import { lowPortFacts } from '../rootless/rootlesskit/low-ports.js';
import { KeyLock } from '../store/key-lock.js';
import type { DaemonConfig } from './config/daemon-config.js';
import type { SkiffdEnvironment } from './config/environment.js';
import { buildSpecFactory } from './spec-factory.js';
import { imageResolver, imageCommitter } from './image-adapters.js';
import { buildContainerNetworking, buildNetworkService, searchPath } from './build-networks.js';
import type { PortForwarder } from '../network/port-forwarder.js';
import { mark } from '../start-marks.js';

export interface ServiceInputs {
  readonly config: DaemonConfig;
  readonly host: HostProfile;
  readonly identity: EngineIdentity;
  readonly env: SkiffdEnvironment;
  readonly log: Logger;
  readonly projectRoot: string;
}

export interface BuiltServices {
  readonly api: ApiServices;
  shutdown(o: { stopContainers: boolean }): Promise<void>;
}

export async function buildServices(i: ServiceInputs): Promise<BuiltServices> {
  const { config, host, log } = i;
  const events = new EventBus();
  const content = await FileContentStore.open(join(config.dataRoot, 'content'));
  const imageStore = await ImageStore.open(join(config.dataRoot, 'images'));
  const snapshots = await createSnapshotDriver({
    driver: host.storage.driver,
    dataRoot: config.dataRoot,
    overlayUserXattr: host.storage.overlayUserXattr,
    binaries: host.binaries,
    log: log.child({ component: 'snapshot' }),
  });
  const configHome = i.env.vars['XDG_CONFIG_HOME'] || join(i.env.home, '.config');
  const imageCtx: ImageContext = {
    content,
    store: imageStore,
    snapshots,
    hosts: new RegistryHosts({
      certsDir: join(configHome, 'skiff', 'certs.d'),
      insecureRegistries: config.insecureRegistries,
      mirrors: config.registryMirrors,
    }),
    events,
    log: log.child({ component: 'images' }),
    arch: host.architecture,
    ...(host.binaries.zstd ? { zstd: host.binaries.zstd } : {}),
    maxConcurrentDownloads: config.maxConcurrentDownloads,
    maxConcurrentUploads: config.maxConcurrentUploads,
    locks: new KeyLock(),
    leases: new BlobLeases(),
    containersUsing: () => [],
  };
  mark('stores-opened');
  const images = new ImageService(imageCtx, join(config.dataRoot, 'tmp'));
  await images.recover();
  await ensureHelloWorld(images, join(i.projectRoot, 'native', 'build', 'hello')).catch(
    (e: unknown) => {
      log.warn({ err: messageOf(e) }, 'could not load the embedded hello-world image');
    },
  );
  mark('images-recovered');

  const volumes = new VolumeService(
    join(config.dataRoot, 'volumes'),
    events,
    log.child({ component: 'volumes' }),
  );
  await volumes.load();
  await spreadSubdirectories(join(config.dataRoot, 'volumes'), host.binaries.skiffFsops, log);
  mark('volumes-loaded');
  const networks = await buildNetworkService({
    config,
    host,
    engineId: i.identity.id,
    events,
    log,
  });
  const networking = await buildContainerNetworking({ config, env: i.env, host, networks, log });
  mark('networks-loaded');

  const runtimeStateRoot = host.runtime
    ? join(config.execRoot, 'runtime', host.runtime.name)
    : undefined;
  const runtime =
    host.runtime && host.binaries.conmon && runtimeStateRoot
      ? await ConmonRuntime.create({
          conmon: host.binaries.conmon,
          runtimeName: host.runtime.name,
          runtimePath: host.runtime.path,
          runtimeVersion: host.runtime.version,
          globalArgs: globalRuntimeArgs(
            host.runtime.name,
            runtimeStateRoot,
            host.cgroup.delegated.length > 0,
          ),
          stateRoot: runtimeStateRoot,
          execRoot: config.execRoot,
          ...(host.binaries.skiffBridge ? { bridge: host.binaries.skiffBridge } : {}),
          cgroups: host.cgroup.delegated.length > 0,
          freezer: {
            usable: host.cgroup.freezer,
            reason: `no usable freezer: the cgroup layout is ${host.cgroup.layout} and no cgroup v2 controllers are delegated to this user`,
          },
          env: i.env.vars,
        })
      : undefined;
  mark('runtime-ready');

  const ctx: ContainerContext = {
    store: new ContainerStore(
      join(config.dataRoot, 'containers'),
      log.child({ component: 'containers' }),
    ),
    locks: newLocks(),
    images: imageResolver(images),
    snapshots,
    mounter: new RootfsMounter(host.binaries),
    volumes,
    spec: await buildSpecFactory(host),
    ...(runtime ? { runtime } : {}),
    logs: new K8sLogReader(),
    events,
    ...(host.holderPid !== undefined
      ? {
          ports: rootlessPorts(
            join(config.execRoot, 'rootlesskit', 'api.sock'),
            host.holderPid,
            host.binaries.nsenter,
            { ...i.env.vars, PATH: searchPath(i.env.pathEnv) },
          ),
          lowPorts: () => lowPortFacts(host.holderPid ?? 0),
        }
      : {}),
    ...(networking ? { networking } : {}),
    host,
    defaults: {
      logDriver: config.logDriver,
      logOpts: config.logOpts,
      init: config.init,
      ...(config.initPath ? { initPath: config.initPath } : {}),
      noNewPrivileges: config.noNewPrivileges,
      shmSize: config.defaultShmSize,
      ulimits: Object.entries(config.defaultUlimits).map(([name, v]) => ({
        name,
        soft: v.soft,
        hard: v.hard,
      })),
      dns: config.dns,
      dnsSearch: config.dnsSearch,
      dnsOptions: config.dnsOptions,
      shutdownTimeout: config.shutdownTimeout,
      ...(config.hostGatewayIp ? { hostGatewayIp: config.hostGatewayIp } : {}),
      usernsMode: config.usernsMode,
      cdiSpecDirs: config.cdiSpecDirs,
    },
    bundleRoot: join(config.execRoot, 'containers'),
    log: log.child({ component: 'containers' }),
  };
  const containers = new ContainerService(ctx);
  events.attributesFor('container', (id) => {
    const rec = ctx.store.get(id);
    return rec ? { ...rec.config.labels, image: rec.config.image, name: rec.name } : {};
  });
  imageCtx.containersUsing = (id) => containers.usingImage(id);
  volumes.usedBy = (name) => containers.usingVolume(name);
  networks.usedBy = (n) => containers.onNetwork(n.id).map((c) => c.id);
  networks.endpointsOf = (n) =>
    containers.onNetwork(n.id).flatMap((c) =>
      (c.state.network?.endpoints ?? [])
        .filter((e) => e.networkId === n.id)
        .map((e) => ({
          containerId: c.id,
          name: c.name,
          endpointId: e.endpointId,
          macAddress: e.macAddress,
          ipv4Address: e.ipv4Address ? `${e.ipv4Address}/${String(e.ipv4PrefixLen)}` : '',
          ipv6Address: e.ipv6Address ? `${e.ipv6Address}/${String(e.ipv6PrefixLen)}` : '',
        })),
    );
  networks.connectContainer = async (n, ref, e) => (await containers.connectNetwork(ref, n, e)).id;
  networks.disconnectContainer = async (n, ref) => (await containers.disconnectNetwork(ref, n)).id;
  await containers.restore();
  mark('containers-restored');

  const builds = new BuildService(
    images,
    stepContainers(containers),
    ctx.mounter,
    join(config.dataRoot, 'build'),
  );
  await builds.recover();
  mark('builds-recovered');

  const system = new SystemService({
    host,
    identity: i.identity,
    config: {
      dataRoot: config.dataRoot,
      debug: config.logLevel === 'debug' || config.logLevel === 'trace',
      experimental: config.experimental,
      liveRestore: config.liveRestore,
      logDriver: config.logDriver,
      noNewPrivileges: config.noNewPrivileges,
      insecureRegistries: config.insecureRegistries,
      registryMirrors: config.registryMirrors,
      labels: config.labels,
      initBinary: config.initPath ?? host.binaries.tini ?? host.binaries.catatonit ?? '',
      httpProxy: i.env.httpProxy,
      httpsProxy: i.env.httpsProxy,
      noProxy: i.env.noProxy,
      cdiSpecDirs: config.cdiSpecDirs,
    },
    counts: () => {
      const all = containers.list();
      const count = (st: string[]): number => all.filter((c) => st.includes(c.state.status)).length;
      return Promise.resolve({
        containers: all.length,
        running: count(['running', 'restarting']),
        paused: count(['paused']),
        stopped: count(['created', 'exited', 'dead', 'removing']),
        images: images.all().length,
      });
    },
    eventListeners: () => events.listenerCount,
    openFileDescriptors: async () => (await readdir('/proc/self/fd')).length,
  });
  return {
    api: {
      system,
      containers,
      volumes,
      events,
      images,
      imageCommitter: imageCommitter(images),
      networks,
      builds,
    },
    shutdown: async (o) => {
      if (o.stopContainers) await containers.stopAll();
      await networking?.settle();
      runtime?.close();
    },
  };
}

/**
 * rootlesskit's port API; with its slirp4netns port driver, DNAT in the holder keeps the
 * client's source address (source-ip-ports.ts); that needs nsenter.
 */
function rootlessPorts(
  socket: string,
  holderPid: number,
  nsenter: string | undefined,
  env: NodeJS.ProcessEnv,
): PortForwarder {
  const kit = new RootlesskitPortForwarder(socket);
  if (!nsenter) return kit;
  return new SourceIpPortForwarder(kit, new HolderNat({ nsenter, holderPid, env }));
}
