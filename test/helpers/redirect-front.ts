/**
 * A CDN-backed registry in miniature: an HTTP proxy on 127.0.0.1 in front of a test registry
 * that answers every blob GET the registry would serve with a 307 to a storage listener on
 * another loopback host (127.0.0.2 by default), as Docker Hub redirects to its CDN. The storage
 * listener serves the blob and records the headers each request brought, so a test can check
 * that the registry's Authorization never reaches it.
 *
 * The front forwards the blob GET to the registry first (with the client's Authorization), so
 * the registry still decides who may read it; only a 200 is turned into a redirect.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RedirectFrontOptions {
  /** host:port of the registry behind the front (plain HTTP). */
  readonly upstream: string;
  /** Loopback host of the front (127.0.0.1). */
  readonly frontHost?: string;
  /** Loopback host of the storage listener (127.0.0.2). */
  readonly storageHost?: string;
}

/** A blob GET the front answered with a redirect. */
export interface RedirectedRequest {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly location: string;
}

/** A request the storage listener served. */
export interface StorageHit {
  readonly path: string;
  readonly method: string;
  readonly authorization: string | undefined;
  readonly status: number;
}

export interface RedirectFront {
  /** host:port clients use as the registry. */
  readonly addr: string;
  /** host:port of the storage listener. */
  readonly storageAddr: string;
  readonly redirected: readonly RedirectedRequest[];
  readonly storageHits: readonly StorageHit[];
  stop(): Promise<void>;
}

const BLOB_GET = /^\/v2\/.+\/blobs\/[a-z0-9]+:[a-f0-9]+$/;

export async function startRedirectFront(o: RedirectFrontOptions): Promise<RedirectFront> {
  const [upstreamHost = '127.0.0.1', upstreamPort = '80'] = o.upstream.split(':');
  const stash = new Map<string, { body: Buffer; type: string }>();
  const redirected: RedirectedRequest[] = [];
  const storageHits: StorageHit[] = [];
  let storageAddr = '';

  const forward = (req: IncomingMessage): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const up = httpRequest(
        {
          host: upstreamHost,
          port: Number(upstreamPort),
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        resolve,
      );
      up.on('error', reject);
      req.pipe(up);
    });

  const front = createServer((req, res) => {
    void (async () => {
      const up = await forward(req);
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (req.method === 'GET' && BLOB_GET.test(path) && up.statusCode === 200) {
        const chunks: Buffer[] = [];
        for await (const c of up) chunks.push(c as Buffer);
        const id = randomUUID();
        stash.set(id, {
          body: Buffer.concat(chunks),
          type: up.headers['content-type'] ?? 'application/octet-stream',
        });
        const location = `http://${storageAddr}/storage/${id}`;
        redirected.push({ path, authorization: req.headers.authorization, location });
        res.writeHead(307, { Location: location, 'Content-Length': '0' });
        res.end();
        return;
      }
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    })().catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(String(e));
    });
  });

  const storage = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const blob = /^\/storage\/([0-9a-f-]+)$/.exec(path)?.[1];
    const entry = blob ? stash.get(blob) : undefined;
    const ok = entry !== undefined && (req.method === 'GET' || req.method === 'HEAD');
    storageHits.push({
      path,
      method: req.method ?? '',
      authorization: req.headers.authorization,
      status: ok ? 200 : 404,
    });
    if (!ok) {
      res.writeHead(404, { 'Content-Length': '0' });
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': entry.type,
      'Content-Length': String(entry.body.length),
    });
    res.end(req.method === 'HEAD' ? undefined : entry.body);
  });

  const frontPort = await listen(front, o.frontHost ?? '127.0.0.1');
  storageAddr = `${o.storageHost ?? '127.0.0.2'}:${await listen(storage, o.storageHost ?? '127.0.0.2')}`;
  return {
    addr: `${o.frontHost ?? '127.0.0.1'}:${frontPort}`,
    storageAddr,
    redirected,
    storageHits,
    stop: async () => {
      for (const s of [front, storage]) {
        s.closeAllConnections();
        await new Promise<void>((resolve) =>
          s.close(() => {
            resolve();
          }),
        );
      }
    },
  };
}

function listen(server: Server, host: string): Promise<number> {
  if (!/^127\.\d+\.\d+\.\d+$/.test(host))
    return Promise.reject(new Error(`redirect-front listens on loopback only, not ${host}`));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      resolve((server.address() as AddressInfo).port);
    });
  });
}
