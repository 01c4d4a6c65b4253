/**
 * A client for one repository of a registry (Distribution / OCI distribution API): manifests,
 * blobs, uploads, cross-repo mounts — with anonymous or Bearer-token auth (challenge → token,
 * scoped per repository, cached until it expires) or Basic auth from the client's credentials,
 * the https → http fallback for insecure registries, and redirects of GET and HEAD (a blob GET on
 * Docker Hub or any CDN-backed registry answers 307 to the storage provider).
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
import {
  hopTransport,
  MAX_REDIRECTS,
  methodOp,
  REDIRECT_STATUSES,
  redirectTarget,
} from './redirects.js';
import { registryCode, registryMessage } from './registry-errors.js';
import type { Endpoint, RegistryHosts, TlsMaterial } from './registry-hosts.js';
import { parseChallenge } from './www-authenticate.js';

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

interface Token {
  readonly value: string;
  readonly expires: number;
}

/**
 * Tokens are shared by all clients of a daemon, keyed by registry+realm+service+scope+user: two
 * registries behind one token service must not get each other's tokens.
 */
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
    /**
     * How a refusal is reported: as the pull or push it stops (see denied), or as the
     * registry's own answer, a 401 (distribution inspect: dockerd passes the registry's
     * errcode through, moby api/server/router/distribution/distribution_routes.go).
     */
    private readonly refusal: 'operation' | 'registry' = 'operation',
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
        `login attempt to ${this.urlOf('/v2/')} failed with status: 401 Unauthorized`,
      );
    await this.ensureOk(r, 'login');
  }

  private base(): string {
    return this.endpoint?.base ?? `https://${this.domain}`;
  }

  /** The URL of a path on the endpoint in use, with the scheme that answered. */
  private urlOf(path: string): string {
    const base = this.base();
    return `${schemeCache.get(base) ?? base}${path}`;
  }

  /**
   * One registry request: a 401 challenge on the first hop is answered once (token or Basic),
   * then redirects of a GET or HEAD are followed (see redirects.ts for what each hop may carry).
   */
  private async call(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Buffer | Readable,
    signal?: AbortSignal,
  ): Promise<HttpResponse> {
    const ep = await this.pickEndpoint();
    const url = this.urlOf(path);
    const send = (): Promise<HttpResponse> =>
      this.send(method, url, this.withAuth(headers), ep.tls, ep.insecure, body, signal);
    let r = await send();
    if (r.status === 401 && !(body !== undefined && !Buffer.isBuffer(body))) {
      const challenge = parseChallenge(r.headers['www-authenticate'] ?? '');
      r.body.resume();
      if (challenge) {
        await this.authenticate(challenge.scheme, challenge.params, ep, method, url);
        r = await send();
      }
    }
    if (method === 'GET' || method === 'HEAD')
      r = await this.followRedirects(r, method, new URL(url), headers, ep, signal);
    return r;
  }

  private async followRedirects(
    first: HttpResponse,
    method: string,
    home: URL,
    headers: Record<string, string>,
    ep: Endpoint,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    let r = first;
    let current = home;
    for (let hops = 0; REDIRECT_STATUSES.has(r.status); hops++) {
      r.body.resume();
      const next = redirectTarget(current, r.headers.location);
      if (!next)
        throw new UnavailableError(
          `${methodOp(method)} "${current.href}": redirect ${r.status} without a usable Location (${r.headers.location ?? 'none'})`,
        );
      if (hops === MAX_REDIRECTS)
        throw new UnavailableError(
          `${methodOp(method)} "${next.href}": stopped after ${MAX_REDIRECTS} redirects`,
        );
      const hop = hopTransport(ep, home, next);
      r = await this.send(
        method,
        next.href,
        hop.sendAuthorization ? this.withAuth(headers) : headers,
        hop.tls,
        hop.insecure,
        undefined,
        signal,
      );
      current = next;
    }
    return r;
  }

  private withAuth(headers: Record<string, string>): Record<string, string> {
    return this.authHeader ? { ...headers, Authorization: this.authHeader } : headers;
  }

  private async send(
    method: string,
    url: string,
    headers: Record<string, string>,
    tls: TlsMaterial,
    insecure: boolean,
    body: Buffer | Readable | undefined,
    signal: AbortSignal | undefined,
  ): Promise<HttpResponse> {
    try {
      return await httpCall({
        method,
        url,
        headers,
        ...(body !== undefined ? { body } : {}),
        tls,
        insecure,
        ...(signal ? { signal } : {}),
        timeoutMs: 60_000,
      });
    } catch (e) {
      throw new UnavailableError(`${methodOp(method)} "${url}": ${messageOf(e)}`);
    }
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

  /**
   * Answers a challenge: Basic with the client's credentials, or a Bearer token from the realm
   * (Docker's token protocol: GET realm?service=..&scope=.., Basic credentials when logged in).
   * `method` and `url` name the request that was challenged, for Docker's error wording.
   */
  private async authenticate(
    scheme: 'bearer' | 'basic',
    params: Readonly<Record<string, string>>,
    ep: Endpoint,
    method: string,
    url: string,
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
    // `docker login` (no repository) asks for a token without a scope, as Docker does.
    const scope = this.repository ? `repository:${this.repository}:${this.actions.join(',')}` : '';
    const user = this.creds?.username ?? '';
    const key = [this.domain, realm, params['service'] ?? '', scope, user].join('|');
    const cached = tokenCache.get(key);
    if (cached && cached.expires > Date.now()) {
      this.authHeader = `Bearer ${cached.value}`;
      return;
    }
    let u: URL;
    try {
      u = new URL(realm);
    } catch {
      throw new UnauthorizedError(`registry ${this.domain} sent an invalid realm: ${realm}`);
    }
    if (params['service']) u.searchParams.set('service', params['service']);
    if (scope) u.searchParams.set('scope', scope);
    if (user) u.searchParams.set('account', user);
    const headers: Record<string, string> = {};
    if (user)
      headers['Authorization'] =
        `Basic ${Buffer.from(`${user}:${this.creds?.password ?? ''}`).toString('base64')}`;
    let status: number;
    let body: Buffer;
    try {
      const r = await httpCall({
        method: 'GET',
        url: u.toString(),
        headers,
        tls: ep.tls,
        insecure: ep.insecure,
        timeoutMs: 30_000,
      });
      status = r.status;
      body = await readBody(r.body, 1024 * 1024);
    } catch (e) {
      throw new UnavailableError(`Get "${u.toString()}": ${messageOf(e)}`);
    }
    if (status !== 200)
      throw new UnauthorizedError(`${methodOp(method)} "${url}": ${tokenFailure(body, status)}`);
    const value = parseToken(body);
    if (!value) throw new UnauthorizedError(`token server ${u.origin} returned no token`);
    tokenCache.set(key, {
      value: value.token,
      expires: Date.now() + Math.max(60, (value.expiresIn ?? 60) - 10) * 1000,
    });
    this.authHeader = `Bearer ${value.token}`;
  }

  /**
   * Access denied, as dockerd reports it: a pull gets "not found" (404: the CLI must not
   * prompt for a login it cannot read), a push "denied" (403).
   */
  private denied(detail: string): EngineError {
    if (this.refusal === 'registry')
      return new UnauthorizedError(
        /^unauthorized:/.test(detail) ? detail : `unauthorized: ${detail}`,
      );
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
    if (r.status === 403 && this.refusal === 'registry') throw new ForbiddenError(msg);
    if (r.status === 401 || r.status === 403) throw this.denied(msg);
    if (r.status === 404) throw new NotFoundError(`${what}: ${msg}`);
    if (r.status >= 400 && r.status < 500) throw new InvalidArgumentError(`${what}: ${msg}`);
    throw new UnavailableError(`${what}: ${msg}`);
  }
}

/** A token server's answer: `token` (Docker) or `access_token` (OAuth2), with its lifetime. */
function parseToken(body: Buffer): { token: string; expiresIn?: number } | undefined {
  let o: unknown;
  try {
    o = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null) return undefined;
  const t = o as { token?: unknown; access_token?: unknown; expires_in?: unknown };
  const token =
    typeof t.token === 'string' && t.token !== ''
      ? t.token
      : typeof t.access_token === 'string' && t.access_token !== ''
        ? t.access_token
        : undefined;
  if (!token) return undefined;
  return typeof t.expires_in === 'number' ? { token, expiresIn: t.expires_in } : { token };
}

/**
 * Why a token server refused, in Docker's words: Docker Hub answers `{"details": "incorrect
 * username or password"}`, Distribution-style servers `{"errors": [...]}`; a 401 reads
 * "unauthorized: ..." either way.
 */
function tokenFailure(body: Buffer, status: number): string {
  let details: unknown;
  try {
    details = (JSON.parse(body.toString('utf8')) as { details?: unknown } | null)?.details;
  } catch {
    details = undefined;
  }
  if (typeof details === 'string' && details !== '')
    return status === 401 ? `unauthorized: ${details}` : details;
  if (status === 401 && registryCode(body) === undefined)
    return 'unauthorized: authentication required';
  return registryMessage(body, status);
}
