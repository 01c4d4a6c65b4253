/**
 * Published ports that keep the client's source address, with rootlesskit's slirp4netns port
 * driver (SKIFF_ROOTLESSKIT_PORT_DRIVER=slirp4netns): slirp4netns can only deliver to the
 * holder's own address, so rootlesskit forwards host port P to the holder's P, and a DNAT rule
 * in the holder (holder-nat.ts) sends it on to the container's address and port. With the
 * builtin driver (the default, about 2× the throughput) ports go through as before: rootlesskit
 * dials the container itself, and the container sees its gateway as the source.
 */
import { ConflictError } from '../../errors.js';
import type { PortForwarder, PortSpec, PortStatus } from '../../network/port-forwarder.js';
import type { HolderNat } from './holder-nat.js';
import type { RootlesskitPortForwarder } from './port-client.js';

interface Mode {
  readonly dnat: boolean;
  readonly childIp: string;
}

export class SourceIpPortForwarder implements PortForwarder {
  private mode?: Promise<Mode>;

  constructor(
    private readonly kit: RootlesskitPortForwarder,
    private readonly nat: HolderNat,
  ) {}

  async add(p: PortSpec): Promise<number> {
    const mode = await this.modeOf();
    if (!mode.dnat || !p.containerIp) return this.kit.add(p);
    // The holder's port P stands for host port P: two host addresses with one port number
    // cannot both go to different containers.
    const taken = (await this.kit.list()).some(
      (s) => s.spec.proto === p.proto && s.spec.containerPort === p.hostPort,
    );
    if (taken)
      throw new ConflictError(
        `Bind for ${p.hostIp || '0.0.0.0'}:${String(p.hostPort)} failed: port is already allocated (with the slirp4netns port driver a port number is published once, whatever the host address)`,
      );
    const { containerIp, ...rest } = p;
    const id = await this.kit.add({ ...rest, containerPort: p.hostPort });
    try {
      await this.nat.add({
        proto: p.proto,
        listenIp: mode.childIp,
        listenPort: p.hostPort,
        toIp: containerIp,
        toPort: p.containerPort,
        portId: id,
      });
    } catch (e) {
      await this.kit.remove(id).catch(() => undefined);
      throw e;
    }
    return id;
  }

  async remove(id: number): Promise<void> {
    if ((await this.modeOf()).dnat) await this.nat.remove(id);
    await this.kit.remove(id);
  }

  list(): Promise<PortStatus[]> {
    return this.kit.list();
  }

  /** Asked of rootlesskit once, on the first port: no cost at start. */
  private modeOf(): Promise<Mode> {
    this.mode ??= this.kit.info().then((i) => ({
      dnat: i.portDriver === 'slirp4netns',
      childIp: i.childIp || '10.0.2.100',
    }));
    const p = this.mode;
    p.catch(() => {
      if (this.mode === p) delete this.mode;
    });
    return p;
  }
}
