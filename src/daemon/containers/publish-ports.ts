/**
 * -p / -P for containers in the holder's network namespace: each binding becomes a rootlesskit
 * forward (host port → the holder's namespace, to the container's address on its bridge, or
 * to the holder itself for containers that share its namespace). An empty host port (and every
 * port with -P) gets a free ephemeral one, as Docker does.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { ConflictError, InvalidArgumentError } from '../../errors.js';
import type { PortForwarder } from '../../network/port-forwarder.js';
import type { HostConfig } from './container-config.js';
import type { PublishedPort } from './container-record.js';

export interface PortRequest {
  readonly key: string;
  readonly proto: 'tcp' | 'udp' | 'sctp';
  readonly containerPort: number;
  readonly hostIp: string;
  /** 0 = pick one. */
  readonly hostPort: number;
}

/** Expands bindings (ranges included) and -P into one request per host port. */
export function portRequests(hc: HostConfig, exposed: readonly string[]): PortRequest[] {
  const out: PortRequest[] = [];
  const keys = new Set([...Object.keys(hc.portBindings), ...(hc.publishAllPorts ? exposed : [])]);
  for (const key of keys) {
    const [portText = '', protoText = 'tcp'] = key.split('/');
    const proto = protoText as PortRequest['proto'];
    const [lo = 0, hi = lo] = portText.split('-').map(Number);
    const bindings = hc.portBindings[key] ?? [{ hostIp: '', hostPort: '' }];
    for (const b of bindings.length > 0 ? bindings : [{ hostIp: '', hostPort: '' }]) {
      const [hlo = 0, hhi = hlo] = b.hostPort === '' ? [0, 0] : b.hostPort.split('-').map(Number);
      for (let p = lo; p <= hi; p++) {
        const host = b.hostPort === '' ? 0 : hhi > hlo ? hlo + (p - lo) : hlo;
        if (host > hhi && hhi !== 0)
          throw new InvalidArgumentError(
            `invalid port range: ${b.hostPort} is smaller than ${portText}`,
          );
        out.push({
          key: `${p}/${proto}`,
          proto,
          containerPort: p,
          hostIp: b.hostIp,
          hostPort: host,
        });
      }
    }
  }
  return out;
}

export async function publishPorts(
  fw: PortForwarder,
  reqs: readonly PortRequest[],
  /** A bridge container's address in the holder's namespace; undefined: the holder itself. */
  containerIp?: string,
): Promise<PublishedPort[]> {
  const done: PublishedPort[] = [];
  try {
    for (const r of reqs) {
      const spec = {
        proto: r.proto,
        hostIp: r.hostIp,
        containerPort: r.containerPort,
        ...(containerIp ? { containerIp } : {}),
      };
      let hostPort = r.hostPort;
      let id: number;
      if (hostPort !== 0) id = await fw.add({ ...spec, hostPort });
      else
        // A port found free here can be taken before rootlesskit binds it: pick another then.
        for (let attempt = 1; ; attempt++) {
          hostPort = await freePort(r.hostIp, r.proto);
          try {
            id = await fw.add({ ...spec, hostPort });
            break;
          } catch (e) {
            if (!(e instanceof ConflictError) || attempt >= 5) throw e;
          }
        }
      done.push({ key: r.key, hostIp: r.hostIp || '0.0.0.0', hostPort, forwardId: id });
    }
  } catch (e) {
    await unpublishPorts(fw, done);
    throw e;
  }
  return done;
}

export async function unpublishPorts(
  fw: PortForwarder,
  ports: readonly PublishedPort[],
): Promise<void> {
  for (const p of ports) await fw.remove(p.forwardId).catch(() => undefined);
}

/** An ephemeral port free on the host (skiffd runs in the host's network namespace). */
function freePort(hostIp: string, proto: PortRequest['proto']): Promise<number> {
  if (proto === 'udp') return freeUdpPort(hostIp);
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, hostIp || '0.0.0.0', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
  });
}

function freeUdpPort(hostIp: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket(hostIp.includes(':') ? 'udp6' : 'udp4');
    s.once('error', reject);
    s.bind(0, hostIp || '0.0.0.0', () => {
      const port = s.address().port;
      s.close(() => {
        resolve(port);
      });
    });
  });
}
