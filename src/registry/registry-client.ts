/**
 * A client for one repository of a registry (Distribution / OCI distribution API): manifests,
 * blobs, uploads, cross-repo mounts — with anonymous or Bearer-token auth (challenge → token,
 * scoped per repository, cached until it expires) or Basic auth from the client's credentials,
 * and the https → http fallback for insecure registries.
 */
import type { Readable } from 'node:stream';
import {
  InvalidArgumentError,
  NotFoundError,
  UnauthorizedError,
  ForbiddenError,
  type EngineError,
  UnavailableError,
  messageOf,
} from '../errors.js';
import type { Credentials } from './credentials.js';
import { httpCall, readBody, type HttpResponse } from './http-request.js';
import { registryCode, registryMessage } from './registry-errors.js';
import type { Endpoint, RegistryHosts } from './registry-hosts.js';
import { parseChallenge } from './www-authenticate.js';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

interface Token {
  readonly value: string;
  readonly expires: number;
}

/** Tokens are shared by all clients of a daemon, keyed by realm+service+scope+user. */
const tokenCache = new Map<string, Token>();
/** Which scheme worked for an insecure host (so we stop trying https first). */
const schemeCache = new Map<string, string>();

export class RegistryClient {
  private endpoint: Endpoint | undefined;
  private authHeader: string | undefined;

  constructor(
    private readonly hosts: RegistryHosts,
    readonly domain: string,
    readonly repository: string,
    private readonly creds: Credentials | undefined,
    private readonly actions: readonly ('pull' | 'push')[] = ['pull'],
  ) {}

  /** GET or HEAD a manifest by tag or digest. */
  async manifest(
    reference: string,
    accept: string,
    method: 'GET' | 'HEAD' = 'GET',
  ): Promise<{ bytes: Buffer; mediaType: string; digest?: string } | undefined> {
    const r = await this.call(method, `/v2/${this.repository}/manifests/${reference}`, {
      Accept: accept,
    });
    if (r.status === 404) {
      const body = await readBody(r.body, 64 * 1024).catch(() => Buffer.alloc(0));
      if (registryCode(body) === 'NAME_UNKNOWN')
        throw new NotFoundError(
          `repository ${this.domain}/${this.repository} not found: ${registryMessage(body, 404)}`,
        );
      return undefined;
    }
    await this.ensureOk(r, `manifest ${reference}`);
    const mediaType = (r.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const digest =
      typeof r.headers['docker-content-digest'] === 'string'
        ? r.headers['docker-content-digest']
        : undefined;
    const bytes = method === 'HEAD' ? Buffer.alloc(0) : await readBody(r.body, MAX_MANIFEST_BYTES);
    if (method === 'HEAD') r.body.resume();
    return { bytes, mediaType, ...(digest ? { digest } : {}) };
  }

  async blob(digest: string, signal?: AbortSignal): Promise<{ body: Readable; size: number }> {
    const r = await this.call(
      'GET',
      `/v2/${this.repository}/blobs/${digest}`,
      {},
      undefined,
      signal,
    );
    if (r.status === 404) {
      r.body.resume();
      throw new NotFoundError(`blob ${digest} not found in ${this.domain}/${this.repository}`);
    }
    await this.ensureOk(r, `blob ${digest}`);
    return { body: r.body, size: Number(r.headers['content-length'] ?? -1) };
  }

  async blobExists(digest: string): Promise<boolean> {
    const r = await this.call('HEAD', `/v2/${this.repository}/blobs/${digest}`, {});
    r.body.resume();
    return r.status === 200;
  }

  /** Cross-repository mount; true when the registry mounted it (201). */
  async mountBlob(digest: string, fromRepository: string): Promise<boolean> {
    const r = await this.call(
      'POST',
      `/v2/${this.repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`,
      {},
    );
    r.body.resume();
    return r.status === 201;
  }

  async uploadBlob(digest: string, size: number, data: () => Readable | Buffer): Promise<void> {
    const start = await this.call('POST', `/v2/${this.repository}/blobs/uploads/`, {
      'Content-Length': '0',
    });
    await this.ensureOk(start, 'blob upload', [202]);
    start.body.resume();
    const location = start.headers.location ?? '';
    if (!location) throw new UnavailableError('registry did not return an upload location');
    const u = new URL(location, this.base());
    u.searchParams.set('digest', digest);
    const put = await this.call(
      'PUT',
      `${u.pathname}${u.search}`,
      { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size) },
      data(),
    );
    await this.ensureOk(put, `blob upload ${digest}`, [201]);
    put.body.resume();
  }

  async putManifest(
    reference: string,
    mediaType: string,
    bytes: Buffer,
  ): Promise<string | undefined> {
    const r = await this.call(
      'PUT',
      `/v2/${this.repository}/manifests/${reference}`,
      { 'Content-Type': mediaType },
      bytes,
    );
    await this.ensureOk(r, `manifest ${reference}`, [201, 200]);
    r.body.resume();
    return typeof r.headers['docker-content-digest'] === 'string'
      ? r.headers['docker-content-digest']
      : undefined;
  }

  /** `docker login`: a request to /v2/ with the credentials, answered 200 when they are good. */
  async checkLogin(): Promise<void> {
    const r = await this.call('GET', '/v2/', {});
    r.body.resume();
    if (r.status === 401)
      throw new UnauthorizedError(
        `login attempt to ${this.base()}/v2/ failed with status: 401 Unauthorized`,
      );
    await this.ensureOk(r, 'login');
  }

  private base(): string {
    return this.endpoint?.base ?? `https://${this.domain}`;
  }

  private async call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer | Readable,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const ep = await this.pickEndpoint();
    const url = `${schemeCache.get(ep.base) ?? ep.base}${path}`;
    const send = async (): Promise<HttpResponse> => {
      try {
        return await httpCall({
          method,
          url: this.absolute(url, ep),
          headers: { ...headers, ...(this.authHeader ? { Authorization: this.authHeader } : {}) },
          ...(body !== undefined ? { body } : {}),
          tls: ep.tls,
          insecure: ep.insecure,
          ...(signal ? { signal } : {}),
          timeoutMs: 60_000,
        });
      } catch (e) {
        throw new UnavailableError(`Get "${this.absolute(url, ep)}": ${messageOf(e)}`);
      }
    };
    let r = await send();
    if (r.status === 401 && !(body !== undefined && !Buffer.isBuffer(body))) {
      const challenge = parseChallenge(r.headers['www-authenticate'] ?? '');
      r.body.resume();
      if (challenge) {
        await this.authenticate(challenge.scheme, challenge.params, ep);
        r = await send();
      }
    }
    return r;
  }

  private absolute(url: string, ep: Endpoint): string {
    const cached = schemeCache.get(ep.base);
    return cached ? url.replace(ep.base, cached) : url;
  }

  /** The first endpoint that answers /v2/ (https, or http for an insecure one). */
  private async pickEndpoint(): Promise<Endpoint> {
    if (this.endpoint) return this.endpoint;
    const errors: string[] = [];
    for (const ep of await this.hosts.endpoints(this.domain)) {
      const candidates = schemeCache.has(ep.base)
        ? [schemeCache.get(ep.base) ?? ep.base]
        : ep.insecure
          ? [ep.base, ep.base.replace(/^https:/, 'http:')]
          : [ep.base];
      for (const base of candidates) {
        try {
          const r = await httpCall({
            method: 'GET',
            url: `${base}/v2/`,
            tls: ep.tls,
            insecure: ep.insecure,
            timeoutMs: 15_000,
          });
          r.body.resume();
          if (r.status === 200 || r.status === 401) {
            schemeCache.set(ep.base, base);
            this.endpoint = ep;
            return ep;
          }
          errors.push(`${base}: HTTP ${r.status}`);
        } catch (e) {
          errors.push(`${base}/v2/: ${messageOf(e)}`);
        }
      }
    }
    const hint = errors.some((e) => /certificate|self.signed|unable to verify/i.test(e))
      ? ` (add its CA as ~/.config/skiff/certs.d/${this.domain}/ca.crt, or list it in "insecure-registries")`
      : errors.some((e) => /EPROTO|wrong version number|packet length/i.test(e))
        ? ` (the registry speaks plain HTTP: add "${this.domain}" to "insecure-registries" in daemon.json)`
        : '';
    throw new UnavailableError(
      `error pinging registry ${this.domain}: ${errors.join('; ')}${hint}`,
    );
  }

  private async authenticate(
    scheme: 'bearer' | 'basic',
    params: Readonly<Record<string, string>>,
    ep: Endpoint,
  ): Promise<void> {
    if (scheme === 'basic') {
      if (!this.creds?.username) throw this.denied('authentication required');
      this.authHeader = `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
      return;
    }
    if (this.creds?.registryToken) {
      this.authHeader = `Bearer ${this.creds.registryToken}`;
      return;
    }
    const realm = params['realm'];
    if (!realm)
      throw new UnauthorizedError(
        `registry ${this.domain} sent a Bearer challenge without a realm`,
      );
    const scope = `repository:${this.repository}:${this.actions.join(',')}`;
    const key = `${realm}|${params['service'] ?? ''}|${scope}|${this.creds?.username ?? ''}`;
    const cached = tokenCache.get(key);
    if (cached && cached.expires > Date.now()) {
      this.authHeader = `Bearer ${cached.value}`;
      return;
    }
    const u = new URL(realm);
    if (params['service']) u.searchParams.set('service', params['service']);
    u.searchParams.set('scope', scope);
    const headers: Record<string, string> = {};
    if (this.creds?.username)
      headers['Authorization'] =
        `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ''}`).toString('base64')}`;
    const r = await httpCall({
      method: 'GET',
      url: u.toString(),
      headers,
      tls: ep.tls,
      insecure: ep.insecure,
      timeoutMs: 30_000,
    });
    const body = await readBody(r.body, 1024 * 1024);
    if (r.status !== 200)
      throw new UnauthorizedError(
        `getting a token from ${u.origin} failed: ${registryMessage(body, r.status)}`,
      );
    const t = JSON.parse(body.toString('utf8')) as {
      token?: string;
      access_token?: string;
      expires_in?: number;
    };
    const value = t.token ?? t.access_token;
    if (!value) throw new UnauthorizedError(`token server ${u.origin} returned no token`);
    tokenCache.set(key, {
      value,
      expires: Date.now() + Math.max(60, (t.expires_in ?? 60) - 10) * 1000,
    });
    this.authHeader = `Bearer ${value}`;
  }

  /**
   * Access denied, as dockerd reports it: a pull gets "not found" (404: the CLI must not
   * prompt for a login it cannot read), a push "denied" (403).
   */
  private denied(detail: string): EngineError {
    if (this.actions.includes('push'))
      return new ForbiddenError(
        `denied: requested access to the resource is denied (${detail}); docker login ${this.domain} first`,
      );
    return new NotFoundError(
      `pull access denied for ${this.domain}/${this.repository}, repository does not exist or may require 'docker login': ${detail}`,
    );
  }

  private async ensureOk(
    r: HttpResponse,
    what: string,
    ok: readonly number[] = [200],
  ): Promise<void> {
    if (ok.includes(r.status)) return;
    const body = await readBody(r.body, 64 * 1024).catch(() => Buffer.alloc(0));
    const msg = registryMessage(body, r.status);
    if (r.status === 401 || r.status === 403) throw this.denied(msg);
    if (r.status === 404) throw new NotFoundError(`${what}: ${msg}`);
    if (r.status >= 400 && r.status < 500) throw new InvalidArgumentError(`${what}: ${msg}`);
    throw new UnavailableError(`${what}: ${msg}`);
  }
}
