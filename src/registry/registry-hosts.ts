/**
 * How to reach a registry: https with per-registry CAs and client certificates from
 * `~/.config/skiff/certs.d/<host:port>/` (Docker's certs.d layout), plain http allowed for
 * insecure registries (daemon.json `insecure-registries`, CIDRs or host:port; 127.0.0.0/8
 * always, as Docker), and docker.io's mirrors.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isIP } from 'node:net';
import { DEFAULT_DOMAIN } from '../image/reference.js';

export interface TlsMaterial {
  readonly ca?: Buffer[];
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface Endpoint {
  /** https://host:port or http://host:port */
  readonly base: string;
  readonly tls: TlsMaterial;
  /** Insecure: https without verification and a fallback to http are allowed. */
  readonly insecure: boolean;
  readonly mirror: boolean;
}

export interface RegistryHostsOptions {
  readonly certsDir: string;
  readonly insecureRegistries: readonly string[];
  readonly mirrors: readonly string[];
}

export class RegistryHosts {
  constructor(private readonly o: RegistryHostsOptions) {}

  /** Endpoints to try for a registry domain, in order (mirrors first for docker.io). */
  async endpoints(domain: string): Promise<Endpoint[]> {
    const out: Endpoint[] = [];
    if (domain === DEFAULT_DOMAIN)
      for (const m of this.o.mirrors) {
        const u = new URL(m);
        out.push({
          base: `${u.protocol}//${u.host}`,
          tls: await this.tlsFor(u.host),
          insecure: u.protocol === 'http:' || this.isInsecure(u.host),
          mirror: true,
        });
      }
    const host = domain === DEFAULT_DOMAIN ? 'registry-1.docker.io' : domain;
    out.push({
      base: `https://${host}`,
      tls: await this.tlsFor(domain),
      insecure: this.isInsecure(domain),
      mirror: false,
    });
    return out;
  }

  isInsecure(hostPort: string): boolean {
    const host = hostPort.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    for (const entry of ['127.0.0.0/8', ...this.o.insecureRegistries]) {
      if (entry.includes('/')) {
        if (isIP(host) === 4 && inCidr(host, entry)) return true;
      } else if (entry === hostPort || entry === host) return true;
    }
    return host === 'localhost' || host === '::1';
  }

  private async tlsFor(hostPort: string): Promise<TlsMaterial> {
    const dir = join(this.o.certsDir, hostPort);
    const files = await readdir(dir).catch(() => [] as string[]);
    const ca: Buffer[] = [];
    let cert: Buffer | undefined;
    let key: Buffer | undefined;
    for (const f of files) {
      if (f.endsWith('.crt')) ca.push(await readFile(join(dir, f)));
      else if (f.endsWith('.cert')) cert = await readFile(join(dir, f));
      else if (f.endsWith('.key')) key = await readFile(join(dir, f));
    }
    return { ...(ca.length > 0 ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
  }
}

function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bitsText = '32'] = cidr.split('/');
  const bits = Number(bitsText);
  const toInt = (s: string): number => s.split('.').reduce((n, p) => (n << 8) + Number(p), 0) >>> 0;
  if (isIP(base) !== 4) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (toInt(ip) & mask) === (toInt(base) & mask);
}
