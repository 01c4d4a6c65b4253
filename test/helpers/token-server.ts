/**
 * A token server speaking Docker's token protocol (what Docker Hub, GHCR and Quay put in front of
 * their registries), on 127.0.0.1, for Debian's Distribution registry in `auth: token` mode:
 *
 *   GET <realm>?service=<service>&scope=repository:<name>:<actions>   [Basic credentials]
 *   → 200 {"token", "access_token", "expires_in", "issued_at"}
 *   → 401 {"details": "incorrect username or password"}   (Docker Hub's answer)
 *
 * Tokens are RS256 JWTs signed with a throwaway key whose self-signed certificate (openssl) is
 * the registry's `rootcertbundle`. Distribution 2.x finds the signing key by the JWT header
 * `kid`, which must be the libtrust key ID of the certificate's public key.
 */
import { createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  selfSignedCertificate,
  startRegistry,
  type TestRegistry,
  type TokenAuthConfig,
} from './registry.js';

export type Action = 'pull' | 'push';

export interface TokenServerOptions {
  /** username → password of the accounts the server knows. */
  readonly users?: Readonly<Record<string, string>>;
  /** What a request without credentials is granted on every repository (none by default). */
  readonly anonymous?: readonly Action[];
  /** What a user with the right password is granted (pull and push by default). */
  readonly authenticated?: readonly Action[];
  readonly service?: string;
  readonly issuer?: string;
  /** Token lifetime in seconds (300 by default). */
  readonly expiresIn?: number;
}

/** One request the token server answered, for assertions. */
export interface TokenRequest {
  readonly account: string | undefined;
  readonly service: string | undefined;
  readonly scopes: readonly string[];
  readonly status: number;
  /** What the issued token grants, `name:actions` per repository. */
  readonly granted: readonly string[];
}

export interface TokenServer extends TokenAuthConfig {
  /** Every request answered so far, oldest first. */
  readonly requests: readonly TokenRequest[];
  /** The libtrust key ID put in each token's `kid`. */
  readonly keyId: string;
  stop(): Promise<void>;
}

interface AccessEntry {
  readonly type: 'repository';
  readonly name: string;
  readonly actions: Action[];
}

const ACTIONS: readonly Action[] = ['pull', 'push'];

export async function startTokenServer(o: TokenServerOptions = {}): Promise<TokenServer> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-token-'));
  const keyPath = join(dir, 'signer.key');
  const certPath = join(dir, 'signer.crt');
  await selfSignedCertificate('/CN=skiff test token signer', keyPath, certPath);
  const privateKey = createPrivateKey(await readFile(keyPath));
  const keyId = libtrustKeyId(new X509Certificate(await readFile(certPath)));
  const service = o.service ?? 'skiff-test-registry';
  const issuer = o.issuer ?? 'skiff-test-token-issuer';
  const users = o.users ?? {};
  const anonymous = o.anonymous ?? [];
  const authenticated = o.authenticated ?? ACTIONS;
  const expiresIn = o.expiresIn ?? 300;
  const requests: TokenRequest[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'http://token.invalid');
    const scopes = u.searchParams.getAll('scope').flatMap((s) => s.split(' ').filter(Boolean));
    const serviceParam = u.searchParams.get('service') ?? undefined;
    const answer = (status: number, body: unknown, account?: string, granted: string[] = []) => {
      requests.push({ account, service: serviceParam, scopes, status, granted });
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'Content-Length': String(Buffer.byteLength(text)),
      });
      res.end(text);
    };
    if (req.method !== 'GET' || u.pathname !== '/token') {
      answer(404, { details: 'not found' });
      return;
    }
    const basic = parseBasic(req.headers.authorization);
    if (req.headers.authorization !== undefined && !basic) {
      answer(401, { details: 'unsupported authorization' });
      return;
    }
    if (basic && users[basic.user] !== basic.password) {
      answer(401, { details: 'incorrect username or password' }, basic.user);
      return;
    }
    if (serviceParam !== undefined && serviceParam !== service) {
      answer(400, { details: `unknown service ${serviceParam}` }, basic?.user);
      return;
    }
    const allowed = basic ? authenticated : anonymous;
    const access: AccessEntry[] = [];
    for (const scope of scopes) {
      const parsed = parseScope(scope);
      if (!parsed) continue;
      const actions = parsed.actions.filter((a) => allowed.includes(a));
      access.push({ type: 'repository', name: parsed.name, actions });
    }
    const now = Math.floor(Date.now() / 1000);
    const token = signJwt(
      { alg: 'RS256', typ: 'JWT', kid: keyId },
      {
        iss: issuer,
        sub: basic?.user ?? '',
        aud: service,
        exp: now + expiresIn,
        nbf: now - 10,
        iat: now,
        jti: randomUUID(),
        access,
      },
      privateKey,
    );
    answer(
      200,
      {
        token,
        access_token: token,
        expires_in: expiresIn,
        issued_at: new Date(now * 1000).toISOString(),
      },
      basic?.user,
      access.map((a) => `${a.name}:${a.actions.join(',')}`),
    );
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    rootCertBundle: certPath,
    keyId,
    requests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A token server and a Distribution registry that trusts it. */
export async function startTokenRegistry(
  o: TokenServerOptions = {},
): Promise<{ registry: TestRegistry; tokens: TokenServer; stop(): Promise<void> }> {
  const tokens = await startTokenServer(o);
  let registry: TestRegistry;
  try {
    registry = await startRegistry({ tokenAuth: tokens });
  } catch (e) {
    await tokens.stop();
    throw e;
  }
  return {
    registry,
    tokens,
    stop: async () => {
      await registry.stop();
      await tokens.stop();
    },
  };
}

/**
 * libtrust's key ID: SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits, base32 (RFC 4648,
 * no padding), in 12 groups of 4 characters joined by ':'.
 */
export function libtrustKeyId(cert: X509Certificate): string {
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  const b32 = base32(createHash('sha256').update(spki).digest().subarray(0, 30));
  return (b32.match(/.{4}/g) ?? []).join(':');
}

function base32(data: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet.charAt((value << (5 - bits)) & 31);
  return out;
}

function signJwt(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: ReturnType<typeof createPrivateKey>,
): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc(header)}.${enc(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`;
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** `repository:<name>:<actions>`; other resource types (registry:catalog:*) are not granted. */
function parseScope(scope: string): { name: string; actions: Action[] } | undefined {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first < 0 || last <= first || scope.slice(0, first) !== 'repository') return undefined;
  const actions = scope
    .slice(last + 1)
    .split(',')
    .filter((a): a is Action => (ACTIONS as readonly string[]).includes(a));
  return { name: scope.slice(first + 1, last), actions };
}
