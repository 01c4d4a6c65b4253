// RegistryClient against small local HTTP(S) servers on loopback: redirects of blob and manifest
// requests (what Docker Hub and CDN-backed registries answer), the Authorization header kept on
// the registry's host:port and dropped elsewhere, the hop limit, the first-hop-only challenge,
// and the token cache keyed per registry.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { RegistryClient } from '../../../src/registry/registry-client.js';
import { RegistryHosts, type Endpoint } from '../../../src/registry/registry-hosts.js';
import {
  hopTransport,
  hostPort,
  MAX_REDIRECTS,
  redirectTarget,
} from '../../../src/registry/redirects.js';
import { NotFoundError, UnavailableError, UnauthorizedError } from '../../../src/errors.js';
import { selfSignedCertificate } from '../../helpers/registry.js';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;

interface Local {
  /** http(s)://host:port */
  readonly base: string;
  /** host:port */
  readonly addr: string;
  readonly seen: Seen[];
  close(): Promise<void>;
}

const servers: Server[] = [];

async function serve(
  host: string,
  handler: Handler,
  tls?: { key: Buffer; cert: Buffer },
): Promise<Local> {
  const seen: Seen[] = [];
  let base = '';
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    seen.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization,
    });
    handler(req, res, base);
  };
  const server = tls ? createHttpsServer(tls, onRequest) : createHttpServer(onRequest);
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const addr = `${host}:${(server.address() as AddressInfo).port}`;
  base = `${tls ? 'https' : 'http'}://${addr}`;
  return {
    base,
    addr,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

function reply(
  res: ServerResponse,
  status: number,
  headers: Record<string, string> = {},
  body = '',
): void {
  res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

const redirect = (res: ServerResponse, status: number, location: string): void => {
  reply(res, status, { Location: location });
};

const hosts = new RegistryHosts({
  certsDir: '/nonexistent',
  insecureRegistries: [],
  mirrors: [],
});

async function readAll(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const BLOB = 'sha256:' + 'ab'.repeat(32);
const BLOB_BYTES = 'layer bytes from storage';

/** A storage host that serves the blob at any path and remembers what it was sent. */
function storageHandler(): Handler {
  return (_req, res) => {
    reply(res, 200, { 'Content-Type': 'application/octet-stream' }, BLOB_BYTES);
  };
}

/**
 * A token server + registry in one: Bearer challenge naming `realm`, tokens handed out at
 * /token, blob GETs redirected to `blobLocation`.
 */
function bearerRegistry(o: {
  realm: () => string;
  blobLocation: (base: string) => string;
  token?: string;
}): Handler {
  const token = o.token ?? 'registry-token';
  return (req, res, base) => {
    const path = req.url ?? '';
    if (path.startsWith('/token')) {
      reply(res, 200, { 'Content-Type': 'application/json' }, JSON.stringify({ token }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${token}`) {
      reply(res, 401, {
        'WWW-Authenticate': `Bearer realm="${o.realm()}",service="unit"`,
      });
      return;
    }
    if (path === '/v2/') {
      reply(res, 200);
      return;
    }
    if (path.includes('/blobs/')) {
      redirect(res, 307, o.blobLocation(base));
      return;
    }
    reply(res, 404);
  };
}

after(() => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
});

describe('registry client: redirects of GET and HEAD', () => {
  it('follows a blob 307 to another host with a Bearer token, without sending it there', async () => {
    const storage = await serve('127.0.0.2', storageHandler());
    let registryBase = '';
    const registry = await serve(
      '127.0.0.1',
      bearerRegistry({
        realm: () => `${registryBase}/token`,
        blobLocation: () => `${storage.base}/bucket/blob?sig=1`,
      }),
    );
    registryBase = registry.base;
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', undefined);
    const { body, size } = await client.blob(BLOB);
    assert.equal(await readAll(body), BLOB_BYTES);
    assert.equal(size, Buffer.byteLength(BLOB_BYTES));
    const blobGets = registry.seen.filter((s) => s.path.includes('/blobs/'));
    // Without a token first (401), then with it: the registry did see the credential.
    assert.deepEqual(
      blobGets.map((s) => s.authorization),
      [undefined, 'Bearer registry-token'],
    );
    assert.deepEqual(storage.seen, [
      { method: 'GET', path: '/bucket/blob?sig=1', authorization: undefined },
    ]);
    assert.equal(registry.seen.filter((s) => s.path.startsWith('/token')).length, 1);
  });

  it('resolves a relative Location on the same host:port and keeps Authorization there', async () => {
    const registry = await serve('127.0.0.1', (req, res) => {
      const path = req.url ?? '';
      if (!req.headers.authorization) {
        reply(res, 401, { 'WWW-Authenticate': 'Basic realm="unit"' });
        return;
      }
      if (path === '/v2/lib/app/manifests/latest') {
        redirect(res, 302, '../manifests/moved');
        return;
      }
      if (path === '/v2/lib/app/manifests/moved') {
        reply(
          res,
          200,
          {
            'Content-Type': 'application/vnd.oci.image.manifest.v1+json',
            'Docker-Content-Digest': BLOB,
          },
          '{"schemaVersion":2}',
        );
        return;
      }
      reply(res, req.url === '/v2/' ? 200 : 404);
    });
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', {
      username: 'u',
      password: 'p',
    });
    const m = await client.manifest('latest', 'application/vnd.oci.image.manifest.v1+json');
    assert.equal(m?.bytes.toString(), '{"schemaVersion":2}');
    assert.equal(m?.digest, BLOB);
    const moved = registry.seen.find((s) => s.path === '/v2/lib/app/manifests/moved');
    assert.equal(moved?.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('drops Authorization on a hop to the same host name on another port', async () => {
    const storage = await serve('127.0.0.1', storageHandler());
    const registry = await serve('127.0.0.1', (req, res) => {
      if (req.headers.authorization !== 'Basic ' + Buffer.from('u:p').toString('base64')) {
        reply(res, 401, { 'WWW-Authenticate': 'Basic realm="unit"' });
        return;
      }
      if ((req.url ?? '').includes('/blobs/')) redirect(res, 301, `${storage.base}/b`);
      else reply(res, 200);
    });
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', {
      username: 'u',
      password: 'p',
    });
    assert.equal(await readAll((await client.blob(BLOB)).body), BLOB_BYTES);
    assert.deepEqual(storage.seen, [{ method: 'GET', path: '/b', authorization: undefined }]);
  });

  it('follows 301, 302, 303, 307 and 308 in a chain, with HEAD kept a HEAD', async () => {
    const chain = [301, 302, 303, 307, 308];
    const far = await serve('127.0.0.2', (req, res) => {
      const step = Number(/^\/hop\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1);
      if (step >= 0 && step < chain.length) {
        redirect(res, chain[step] ?? 302, `/hop/${step + 1}`);
        return;
      }
      reply(res, 200, {
        'Content-Type': 'application/vnd.oci.image.index.v1+json',
        'Docker-Content-Digest': BLOB,
        'Content-Length': '0',
      });
    });
    const registry = await serve('127.0.0.1', (req, res) => {
      if ((req.url ?? '').includes('/manifests/')) redirect(res, 307, `${far.base}/hop/0`);
      else reply(res, 200);
    });
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', undefined);
    const m = await client.manifest('v1', 'application/vnd.oci.image.index.v1+json', 'HEAD');
    assert.equal(m?.digest, BLOB);
    assert.equal(
      far.seen.map((s) => `${s.method} ${s.path}`).join(', '),
      'HEAD /hop/0, HEAD /hop/1, HEAD /hop/2, HEAD /hop/3, HEAD /hop/4, HEAD /hop/5',
    );
  });

  it(`follows ${MAX_REDIRECTS} redirects and refuses the next one with a clear error`, async () => {
    const loop = (limit: number): Handler => {
      return (req, res) => {
        const path = req.url ?? '';
        const n = Number(/\/blobs\/[^/]+\/(\d+)$/.exec(path)?.[1] ?? 0);
        if (path === '/v2/') reply(res, 200);
        else if (n < limit) redirect(res, 302, `/v2/lib/app/blobs/${BLOB}/${n + 1}`);
        else reply(res, 200, {}, BLOB_BYTES);
      };
    };
    const exactly = await serve('127.0.0.1', loop(MAX_REDIRECTS));
    const ok = new RegistryClient(hosts, exactly.addr, 'lib/app', undefined);
    assert.equal(await readAll((await ok.blob(BLOB)).body), BLOB_BYTES);

    const endless = await serve('127.0.0.1', loop(Number.POSITIVE_INFINITY));
    const client = new RegistryClient(hosts, endless.addr, 'lib/app', undefined);
    await assert.rejects(
      client.blob(BLOB),
      (e: unknown) =>
        e instanceof UnavailableError &&
        /^Get "http:\/\/127\.0\.0\.1:\d+\/v2\/lib\/app\/blobs\/sha256:[0-9a-f]{64}\/11": stopped after 10 redirects$/.test(
          e.message,
        ),
    );
    // The first request and ten hops; the eleventh Location is never fetched.
    assert.equal(endless.seen.filter((s) => s.path.includes('/blobs/')).length, 11);
  });

  it('a redirect without a Location is an error naming the status, not a silent 3xx', async () => {
    const registry = await serve('127.0.0.1', (req, res) => {
      reply(res, (req.url ?? '').includes('/blobs/') ? 307 : 200);
    });
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', undefined);
    await assert.rejects(client.blob(BLOB), (e: unknown) => {
      return (
        e instanceof UnavailableError && /redirect 307 without a usable Location/.test(e.message)
      );
    });
  });

  it('answers the challenge on the first hop only: a 401 from storage is not retried with a token', async () => {
    const storage = await serve('127.0.0.2', (_req, res) => {
      reply(res, 401, { 'WWW-Authenticate': 'Bearer realm="http://127.0.0.2:1/token"' });
    });
    let registryBase = '';
    const registry = await serve(
      '127.0.0.1',
      bearerRegistry({
        realm: () => `${registryBase}/token`,
        blobLocation: () => `${storage.base}/b`,
      }),
    );
    registryBase = registry.base;
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', undefined);
    await assert.rejects(client.blob(BLOB), NotFoundError);
    assert.equal(storage.seen.length, 1);
    assert.equal(storage.seen[0]?.authorization, undefined);
    assert.equal(registry.seen.filter((s) => s.path.startsWith('/token')).length, 1);
  });

  it('PUT and POST answers are not followed', async () => {
    const elsewhere = await serve('127.0.0.2', storageHandler());
    const registry = await serve('127.0.0.1', (req, res) => {
      if (req.method === 'PUT') redirect(res, 307, `${elsewhere.base}/put`);
      else reply(res, 200);
    });
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', undefined, ['pull', 'push']);
    await assert.rejects(client.putManifest('v1', 'application/json', Buffer.from('{}')));
    assert.equal(elsewhere.seen.length, 0);
  });
});

describe('registry client: token cache', () => {
  it('keys tokens by registry: two registries behind one token service get their own', async () => {
    let issued = 0;
    const tokens = await serve('127.0.0.1', (_req, res) => {
      issued++;
      reply(res, 200, {}, JSON.stringify({ token: `t${issued}`, expires_in: 300 }));
    });
    const registryFor = (accepted: string): Handler => {
      return (req, res) => {
        if (req.headers.authorization === `Bearer ${accepted}`) reply(res, 200, {}, BLOB_BYTES);
        else
          reply(res, 401, {
            'WWW-Authenticate': `Bearer realm="${tokens.base}/token",service="shared"`,
          });
      };
    };
    const a = await serve('127.0.0.1', registryFor('t1'));
    const b = await serve('127.0.0.1', registryFor('t2'));
    assert.equal(
      await readAll(
        (await new RegistryClient(hosts, a.addr, 'lib/app', undefined).blob(BLOB)).body,
      ),
      BLOB_BYTES,
    );
    assert.equal(
      await readAll(
        (await new RegistryClient(hosts, b.addr, 'lib/app', undefined).blob(BLOB)).body,
      ),
      BLOB_BYTES,
    );
    assert.equal(issued, 2);
    // The same registry again: served from the cache.
    await readAll((await new RegistryClient(hosts, a.addr, 'lib/app', undefined).blob(BLOB)).body);
    assert.equal(issued, 2);
  });

  it("a refused login reads as Docker's: unauthorized: <the token server's details>", async () => {
    const tokens = await serve('127.0.0.1', (_req, res) => {
      reply(res, 401, {}, JSON.stringify({ details: 'incorrect username or password' }));
    });
    const registry = await serve('127.0.0.1', (_req, res) => {
      reply(res, 401, { 'WWW-Authenticate': `Bearer realm="${tokens.base}/token",service="s"` });
    });
    const client = new RegistryClient(hosts, registry.addr, '', { username: 'u', password: 'x' });
    await assert.rejects(
      client.checkLogin(),
      (e: unknown) =>
        e instanceof UnauthorizedError &&
        e.message ===
          `Get "http://${registry.addr}/v2/": unauthorized: incorrect username or password`,
    );
    // docker login asks for no scope; the account is named.
    const asked = new URL(tokens.seen[0]?.path ?? '', tokens.base);
    assert.equal(asked.searchParams.get('scope'), null);
    assert.equal(asked.searchParams.get('account'), 'u');
    assert.equal(asked.searchParams.get('service'), 's');
  });
});

describe('registry client: TLS on redirect hops', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-unit-tls-'));
    await selfSignedCertificate('/CN=127.0.0.1', join(dir, 'key.pem'), join(dir, 'cert.pem'), [
      '-addext',
      'subjectAltName=IP:127.0.0.1,IP:127.0.0.2',
    ]);
    tls = {
      key: await readFile(join(dir, 'key.pem')),
      cert: await readFile(join(dir, 'cert.pem')),
    };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("keeps an insecure registry's exemption on its own host only: storage's self-signed certificate is refused", async () => {
    const storage = await serve('127.0.0.2', storageHandler(), tls);
    const registry = await serve(
      '127.0.0.1',
      (req, res) => {
        const path = req.url ?? '';
        if (path.endsWith('/same')) reply(res, 200, {}, BLOB_BYTES);
        else if (path.includes('/blobs/sha256:aa')) redirect(res, 307, `${path}/same`);
        else if (path.includes('/blobs/')) redirect(res, 307, `${storage.base}/b`);
        else reply(res, 200);
      },
      tls,
    );
    // 127.0.0.0/8 is insecure: the registry's self-signed certificate is accepted, also on a
    // hop that stays on its host:port...
    const client = new RegistryClient(hosts, registry.addr, 'lib/app', undefined);
    const same = await client.blob('sha256:' + 'aa'.repeat(32));
    assert.equal(await readAll(same.body), BLOB_BYTES);
    // ...but the hop to storage is verified, and the same certificate fails there.
    await assert.rejects(
      client.blob(BLOB),
      (e: unknown) =>
        e instanceof UnavailableError &&
        e.message.startsWith(`Get "${storage.base}/b": `) &&
        /self[- ]signed/i.test(e.message),
    );
    assert.equal(storage.seen.length, 0);
  });
});

describe('redirect hop rules', () => {
  const ep: Endpoint = {
    base: 'https://reg.example:5000',
    tls: { ca: [Buffer.from('ca')], cert: Buffer.from('cert'), key: Buffer.from('key') },
    insecure: true,
    mirror: false,
  };
  const home = new URL('https://reg.example:5000/v2/a/blobs/sha256:1');

  it("the registry's own host:port gets its TLS material, insecure flag and credentials", () => {
    assert.deepEqual(hopTransport(ep, home, new URL('https://reg.example:5000/other')), {
      tls: ep.tls,
      insecure: true,
      sendAuthorization: true,
    });
  });

  it('another host, or another port of the same host, gets none of them', () => {
    for (const u of [
      'https://cdn.example/blob',
      'https://reg.example/blob',
      'https://reg.example:5001/blob',
      'https://reg.example.evil.example:5000/blob',
    ])
      assert.deepEqual(hopTransport(ep, home, new URL(u)), {
        tls: {},
        insecure: false,
        sendAuthorization: false,
      });
  });

  it('default ports count as written out', () => {
    assert.equal(hostPort(new URL('https://h/x')), hostPort(new URL('https://h:443/y')));
    assert.equal(hostPort(new URL('http://h/x')), 'h:80');
    assert.notEqual(hostPort(new URL('http://h/x')), hostPort(new URL('https://h/x')));
  });

  it('resolves Locations against the current URL and refuses non-http(s) ones', () => {
    const cur = new URL('http://r:1/v2/a/blobs/x');
    assert.equal(redirectTarget(cur, '/s/1')?.href, 'http://r:1/s/1');
    assert.equal(redirectTarget(cur, 'y?z=1')?.href, 'http://r:1/v2/a/blobs/y?z=1');
    assert.equal(redirectTarget(cur, '//cdn:2/p')?.href, 'http://cdn:2/p');
    assert.equal(redirectTarget(cur, 'file:///etc/passwd'), undefined);
    assert.equal(redirectTarget(cur, undefined), undefined);
    assert.equal(redirectTarget(cur, 'http://[bad'), undefined);
  });
});
