/**
 * rootlesskit's port API (state-dir/api.sock, /v1/ports) as a PortForwarder: the rootlesskit
 * parent listens on the host and forwards into the holder's network namespace (builtin driver).
 */
import { request } from 'node:http';
import { ConflictError, InvalidArgumentError, UnavailableError } from '../../errors.js';
import { privilegedPortMessage } from '../../daemon/containers/privileged-ports.js';
import { unprivilegedPortStart } from './low-ports.js';
import type { PortForwarder, PortSpec, PortStatus } from '../../network/port-forwarder.js';

interface Wire {
  id?: number;
  spec?: {
    proto?: string;
    parentIP?: string;
    parentPort?: number;
    childPort?: number;
    childIP?: string;
  };
  message?: string;
}

export class RootlesskitPortForwarder implements PortForwarder {
  constructor(private readonly socketPath: string) {}

  async add(p: PortSpec): Promise<number> {
    const body = {
      proto: p.proto,
      parentIP: p.hostIp || '0.0.0.0',
      parentPort: p.hostPort,
      childPort: p.containerPort,
      // rootlesskit ≥ 0.14 dials this address in the child namespace instead of 127.0.0.1.
      ...(p.containerIp ? { childIP: p.containerIp } : {}),
    };
    const r = await this.call('POST', '/v1/ports', body);
    if (r.status !== 201 && r.status !== 200) {
      const msg = parseMessage(r.body);
      if (/permission denied/i.test(msg))
        throw new InvalidArgumentError(
          privilegedPortMessage(p.hostIp, p.hostPort, await unprivilegedPortStart()),
        );
      if (/address already in use|conflict/i.test(msg))
        throw new ConflictError(
          `Bind for ${p.hostIp || '0.0.0.0'}:${p.hostPort} failed: port is already allocated`,
        );
      throw new UnavailableError(
        `rootlesskit could not publish ${p.hostIp || '0.0.0.0'}:${p.hostPort}->${p.containerPort}/${p.proto}: ${msg}`,
      );
    }
    const w = JSON.parse(r.body) as Wire;
    if (typeof w.id !== 'number')
      throw new UnavailableError('rootlesskit answered without a port id');
    return w.id;
  }

  /** rootlesskit's port driver and the holder's own address (`GET /v1/info`). */
  async info(): Promise<{ portDriver: string; childIp: string }> {
    const r = await this.call('GET', '/v1/info');
    if (r.status !== 200)
      throw new UnavailableError(`rootlesskit API: /v1/info answered ${String(r.status)}`);
    const w = JSON.parse(r.body) as {
      portDriver?: { driver?: string };
      networkDriver?: { childIP?: string };
    };
    return { portDriver: w.portDriver?.driver ?? '', childIp: w.networkDriver?.childIP ?? '' };
  }

  async remove(id: number): Promise<void> {
    const r = await this.call('DELETE', `/v1/ports/${id}`);
    if (r.status >= 300 && r.status !== 404)
      throw new UnavailableError(
        `rootlesskit could not remove port ${id}: ${parseMessage(r.body)}`,
      );
  }

  async list(): Promise<PortStatus[]> {
    const r = await this.call('GET', '/v1/ports');
    // rootlesskit answers `null` when no port is published.
    const items = (JSON.parse(r.body) as Wire[] | null) ?? [];
    return items.map((w) => ({
      id: w.id ?? 0,
      spec: {
        proto: (w.spec?.proto?.replace(/[46]$/, '') ?? 'tcp') as PortSpec['proto'],
        hostIp: w.spec?.parentIP ?? '',
        hostPort: w.spec?.parentPort ?? 0,
        containerPort: w.spec?.childPort ?? 0,
        ...(w.spec?.childIP ? { containerIp: w.spec.childIP } : {}),
      },
    }));
  }

  private call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: data
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      req.on('error', (e) => {
        reject(
          new UnavailableError(`rootlesskit API (${this.socketPath}) unreachable: ${e.message}`),
        );
      });
      req.end(data);
    });
  }
}

function parseMessage(body: string): string {
  try {
    const w = JSON.parse(body) as Wire;
    return w.message ?? body.trim();
  } catch {
    return body.trim();
  }
}
