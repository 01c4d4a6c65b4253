/** One HTTP(S) request to a registry over keep-alive agents, body streamed both ways. */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import type { TlsMaterial } from './registry-hosts.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readable;
}

export interface HttpOptions {
  readonly method: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | Readable;
  readonly tls?: TlsMaterial;
  /** Skip certificate verification (insecure registries). */
  readonly insecure?: boolean;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
const httpsAgents = new Map<string, HttpsAgent>();

/**
 * Agents are pooled per TLS configuration. The key hashes the material itself: two registries
 * whose CAs or client certificates merely have the same length must never share an agent (its
 * sockets would present one registry's client certificate to the other).
 */
function agentKey(tls: TlsMaterial | undefined, insecure: boolean): string {
  const h = createHash('sha256').update(insecure ? 'insecure' : 'verify');
  for (const [label, parts] of [
    ['ca', tls?.ca ?? []],
    ['cert', tls?.cert ? [tls.cert] : []],
    ['key', tls?.key ? [tls.key] : []],
  ] as const)
    for (const b of parts) h.update(`\0${label}:${b.length}:`).update(b);
  return h.digest('hex');
}

function httpsAgent(tls: TlsMaterial | undefined, insecure: boolean): HttpsAgent {
  const key = agentKey(tls, insecure);
  let a = httpsAgents.get(key);
  if (!a) {
    a = new HttpsAgent({
      keepAlive: true,
      maxSockets: 32,
      rejectUnauthorized: !insecure,
      ...(tls?.ca ? { ca: tls.ca } : {}),
      ...(tls?.cert ? { cert: tls.cert } : {}),
      ...(tls?.key ? { key: tls.key } : {}),
    });
    httpsAgents.set(key, a);
  }
  return a;
}

export function httpCall(o: HttpOptions): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const u = new URL(o.url);
    const isHttps = u.protocol === 'https:';
    const headers = {
      'User-Agent': 'skiff (docker-compatible)',
      ...o.headers,
      ...(Buffer.isBuffer(o.body) ? { 'Content-Length': String(o.body.length) } : {}),
    };
    const req = (isHttps ? httpsRequest : httpRequest)(
      {
        method: o.method,
        hostname: u.hostname.replace(/^\[|\]$/g, ''),
        port: u.port || (isHttps ? 443 : 80),
        path: `${u.pathname}${u.search}`,
        headers,
        agent: isHttps ? httpsAgent(o.tls, o.insecure === true) : httpAgent,
        ...(o.signal ? { signal: o.signal } : {}),
      },
      (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res });
      },
    );
    req.on('error', reject);
    if (o.timeoutMs)
      req.setTimeout(o.timeoutMs, () =>
        req.destroy(new Error(`timeout after ${o.timeoutMs ?? 0} ms`)),
      );
    if (o.body === undefined) req.end();
    else if (Buffer.isBuffer(o.body)) req.end(o.body);
    else o.body.pipe(req);
  });
}

/** Reads a response body into memory, refusing more than `limit` bytes. */
export async function readBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    const b = c as Buffer;
    size += b.length;
    if (size > limit) {
      body.destroy();
      throw new Error(`response larger than ${limit} bytes`);
    }
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}
