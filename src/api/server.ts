/**
 * node:http on the API listeners: version prefix, routing, the common Docker headers, error
 * replies from the one mapping, streamed and hijacked replies, and graceful shutdown (stop
 * accepting, let in-flight requests finish, end long-lived streams). A client that stalls while
 * sending its request is cut off (JSON bodies on every listener; connections and headers on TCP).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log.js';
import { toHttpError } from './errors.js';
import {
  DEFAULT_TCP_TIMEOUTS,
  createTcpServer,
  listenTcp,
  listenUnix,
  parseListenAddress,
  tlsWarning,
  type TcpTimeouts,
  type TlsFiles,
} from './listeners.js';
import {
  JSON_BODY_TIMEOUT_MS,
  bodyTimeoutError,
  readJsonBody,
  type RequestContext,
} from './request-context.js';
import type { Reply } from './reply.js';
import type { Router } from './router.js';
import { writeHijackHandshake, readUpgradeBody } from './streams/hijack.js';
import { sendStream } from './streams/send-stream.js';
import { MAX_API_VERSION, negotiate } from './version.js';

export interface ApiServerOptions<S> {
  readonly router: Router<S>;
  readonly services: S;
  readonly log: Logger;
  readonly serverHeader: string;
  readonly experimental: boolean;
  readonly tls?: TlsFiles;
  /** Called each time a request (plain or hijacked) has ended, after its reply. */
  readonly onRequestEnd?: () => void;
  /** Deadlines for stalling clients; the defaults suit the daemon, tests pass small ones. */
  readonly timeouts?: Partial<ApiTimeouts>;
}

export interface ApiTimeouts extends TcpTimeouts {
  /** To receive a whole JSON request body (every listener; hijack bodies included). */
  readonly bodyMs: number;
}

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

export class ApiServer<S> {
  private readonly servers: (Server | HttpsServer)[] = [];
  private readonly streams = new Set<AbortController>();
  private inFlight = 0;
  private drained: (() => void) | undefined;
  private closing = false;
  private readonly timeouts: ApiTimeouts;

  constructor(private readonly opts: ApiServerOptions<S>) {
    this.timeouts = { ...DEFAULT_TCP_TIMEOUTS, bodyMs: JSON_BODY_TIMEOUT_MS, ...opts.timeouts };
  }

  async listen(addresses: readonly string[]): Promise<void> {
    for (const addr of addresses) {
      const parsed = parseListenAddress(addr);
      const server =
        parsed.kind === 'unix'
          ? createServer()
          : createTcpServer(this.opts.tls, addr, this.timeouts);
      // Hijacked and streamed requests live long: no Node-imposed request deadline.
      server.requestTimeout = 0;
      if (parsed.kind === 'tcp' && this.opts.tls) {
        const warning = tlsWarning(this.opts.tls, parsed.host, addr);
        if (warning) this.opts.log.warn({ addr }, warning);
      }
      server.on('request', (req, res) => void this.onRequest(req, res));
      server.on(
        'upgrade',
        (req: IncomingMessage, socket: Duplex, head: Buffer) =>
          void this.onUpgrade(req, socket, head),
      );
      if (parsed.kind === 'unix') await listenUnix(server, parsed.path);
      else await listenTcp(server as HttpsServer, parsed.host, parsed.port);
      this.servers.push(server);
      this.opts.log.info({ addr }, 'API listening');
    }
  }

  /** Stops accepting, ends streams, waits for in-flight requests (bounded by `timeoutMs`). */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    const closed = this.servers.map(
      (s) =>
        new Promise<void>((resolve) =>
          s.close(() => {
            resolve();
          }),
        ),
    );
    for (const s of this.servers) if ('closeIdleConnections' in s) s.closeIdleConnections();
    for (const c of this.streams) c.abort();
    if (this.inFlight > 0) {
      await Promise.race([
        new Promise<void>((resolve) => (this.drained = resolve)),
        new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
      ]);
    }
    for (const s of this.servers) if ('closeAllConnections' in s) s.closeAllConnections();
    await Promise.all(closed);
  }

  private commonHeaders(): Record<string, string> {
    return {
      'Api-Version': MAX_API_VERSION,
      'Docker-Experimental': String(this.opts.experimental),
      Ostype: 'linux',
      Server: this.opts.serverHeader,
    };
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    this.begin();
    const abort = new AbortController();
    res.on('close', () => {
      abort.abort();
    });
    // Idle sockets time out on TCP listeners only (server.timeout). Silence is the client's
    // fault only while its request is still arriving; once it is in, the wait is ours.
    res.on('timeout', () => {
      if (!req.complete) res.destroy();
    });
    try {
      const reply = await this.dispatch(req, abort.signal, () =>
        readJsonBody(req, this.timeouts.bodyMs),
      );
      await this.send(req, res, reply, abort);
    } catch (err) {
      this.sendError(req, res, err);
    } finally {
      this.opts.log.debug(
        { method: req.method, url: req.url, status: res.statusCode, ms: Date.now() - started },
        'request',
      );
      this.end();
    }
  }

  private async onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    this.begin();
    const abort = new AbortController();
    socket.on('close', () => {
      abort.abort();
    });
    socket.on('error', () => {
      abort.abort();
    });
    try {
      const { body, rest } = await withDeadline(
        readUpgradeBody(req, socket, head),
        this.timeouts.bodyMs,
      );
      if (rest.length > 0) socket.unshift(rest);
      const reply = await this.dispatch(req, abort.signal, () => Promise.resolve(body));
      if (reply.kind !== 'hijack') {
        writeRawReply(socket, reply, this.commonHeaders());
        return;
      }
      await reply.prepare?.();
      writeHijackHandshake(socket, true, reply.contentType, this.commonHeaders());
      await this.runHijack(reply, socket, true, abort);
    } catch (err) {
      const e = toHttpError(err);
      if (e.unexpected) this.opts.log.error({ err, url: req.url }, 'request failed');
      writeRawReply(
        socket,
        { kind: 'json', status: e.status, body: { message: e.message } },
        this.commonHeaders(),
      );
      // The reply ends our side; a client that keeps its side open must not keep the socket.
      setTimeout(() => socket.destroy(), 1000).unref();
    } finally {
      this.end();
    }
  }

  private async dispatch(
    req: IncomingMessage,
    signal: AbortSignal,
    body: () => Promise<unknown>,
  ): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://docker');
    const m = VERSION_PREFIX.exec(url.pathname);
    const version = negotiate(m?.[1]);
    const path = m?.[2] ?? url.pathname;
    const method = req.method ?? 'GET';
    const match = this.opts.router.find(method, path);
    if (!match) return { kind: 'json', status: 404, body: { message: 'page not found' } };
    let parsed: Promise<unknown> | undefined;
    const ctx: RequestContext = {
      method,
      path,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      version,
      signal,
      raw: req,
      body: () => (parsed ??= body()),
    };
    return match.handler(ctx, this.opts.services);
  }

  private async send(
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    abort: AbortController,
  ): Promise<void> {
    const headers = {
      ...this.commonHeaders(),
      ...('headers' in reply ? reply.headers : undefined),
    };
    switch (reply.kind) {
      case 'json': {
        const body = JSON.stringify(reply.body);
        res.writeHead(reply.status, {
          ...headers,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case 'empty':
        res.writeHead(reply.status, headers);
        res.end();
        return;
      case 'text':
        res.writeHead(reply.status, {
          ...headers,
          'Content-Type': reply.contentType,
          'Content-Length': Buffer.byteLength(reply.body),
        });
        res.end(req.method === 'HEAD' ? undefined : reply.body);
        return;
      case 'stream':
        this.streams.add(abort);
        try {
          await sendStream(res, reply, headers, abort.signal);
        } finally {
          this.streams.delete(abort);
        }
        return;
      case 'hijack': {
        await reply.prepare?.();
        const socket = req.socket;
        res.detachSocket(socket);
        writeHijackHandshake(socket, false, reply.contentType, headers);
        await this.runHijack(reply, socket, false, abort);
        return;
      }
    }
  }

  private async runHijack(
    reply: Reply & { kind: 'hijack' },
    socket: Duplex,
    upgraded: boolean,
    abort: AbortController,
  ): Promise<void> {
    this.streams.add(abort);
    // Attach and exec sessions may be silent for hours: no idle deadline on them.
    if (socket instanceof Socket) socket.setTimeout(0);
    try {
      await reply.run({ socket, upgraded });
    } catch (err) {
      this.opts.log.warn({ err }, 'hijacked stream failed');
    } finally {
      this.streams.delete(abort);
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    }
  }

  private sendError(req: IncomingMessage, res: ServerResponse, err: unknown): void {
    const e = toHttpError(err);
    if (e.unexpected)
      this.opts.log.error({ err, method: req.method, url: req.url }, 'request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const body = JSON.stringify({ message: e.message });
    res.writeHead(e.status, {
      ...this.commonHeaders(),
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      // A request body that never arrived whole (too large, too slow) is not worth waiting for.
      ...(req.complete ? {} : { Connection: 'close' }),
    });
    res.end(body);
  }

  private begin(): void {
    this.inFlight++;
  }

  private end(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.closing) this.drained?.();
    this.opts.onRequestEnd?.();
  }
}

/** `p`, or a rejection when it has not settled after `ms` (the body of an upgrade request). */
function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(bodyTimeoutError(ms));
    }, ms);
  });
  return Promise.race([p, deadline]).finally(() => {
    clearTimeout(timer);
  });
}

/** A normal reply written by hand on a socket that came through the 'upgrade' event. */
function writeRawReply(socket: Duplex, reply: Reply, common: Record<string, string>): void {
  const status = 'status' in reply ? reply.status : 500;
  const body =
    reply.kind === 'json'
      ? JSON.stringify(reply.body)
      : reply.kind === 'text'
        ? String(reply.body)
        : '';
  const headers = {
    ...common,
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  socket.end(`HTTP/1.1 ${status} ${statusText(status)}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
}

function statusText(status: number): string {
  return (
    {
      200: 'OK',
      204: 'No Content',
      304: 'Not Modified',
      400: 'Bad Request',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'Not Found',
      409: 'Conflict',
      500: 'Internal Server Error',
      501: 'Not Implemented',
      503: 'Service Unavailable',
    }[status] ?? 'Status'
  );
}
