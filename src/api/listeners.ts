/**
 * Opens the API listeners: unix sockets (mode 0600 from the first moment, a stale file replaced,
 * a live one refused) and TCP only with TLS, as Docker's rootless mode documents (seed 001
 * "Expose Docker API socket via TCP"), with deadlines for clients that connect and then stall.
 */
import { lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { chmod, link, lstat, mkdtemp, rm, unlink } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect, isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { ConflictError, InvalidArgumentError, errnoCode, isNotFound } from '../errors.js';

export interface TlsFiles {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly verify: boolean;
}

export type ListenAddress =
  { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseListenAddress(addr: string): ListenAddress {
  if (addr.startsWith('unix://')) {
    const path = addr.slice('unix://'.length);
    if (!path.startsWith('/'))
      throw new InvalidArgumentError(
        `invalid listen address ${addr}: unix socket path must be absolute`,
      );
    return { kind: 'unix', path };
  }
  if (addr.startsWith('fd://'))
    throw new InvalidArgumentError(
      `listen address ${addr}: socket activation (fd://) is not supported; use unix:// or tcp://`,
    );
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]*):(\d+)\/?$/.exec(addr);
  if (tcp?.[2] !== undefined)
    return {
      kind: 'tcp',
      // No host means localhost, as dockerd: all interfaces must be asked for by name.
      host: (tcp[1] ?? '').replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: Number(tcp[2]),
    };
  throw new InvalidArgumentError(
    `invalid listen address ${addr}: expected unix:///path or tcp://host:port`,
  );
}

/** True when something answers on the unix socket at `path`. */
export function socketIsLive(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => {
      done(true);
    });
    s.once('error', () => {
      done(false);
    });
    s.setTimeout(timeoutMs, () => {
      done(false);
    });
  });
}

/** Removes a stale socket file; refuses when another process serves it. */
export async function claimSocketPath(path: string): Promise<void> {
  try {
    const st = await lstat(path);
    if (!st.isSocket())
      throw new ConflictError(`${path} exists and is not a socket; move it away first`);
  } catch (e) {
    if (isNotFound(e)) return;
    throw e;
  }
  if (await socketIsLive(path))
    throw new ConflictError(
      `another daemon is already serving ${path}; stop it first (or pass --host to listen elsewhere)`,
    );
  await unlink(path);
}

const SUN_PATH_MAX = 107;

/**
 * Listens on `path` with mode 0600 from the start. bind(2) gives the socket the process umask's
 * mode, and a chmod after it leaves a window in which anyone may connect; changing the umask is
 * process-wide (other threads create files meanwhile). So the socket is bound in a fresh 0700
 * directory beside `path`, narrowed there, and hard-linked into place (link fails rather than
 * replace a socket that appeared meanwhile).
 */
export async function listenUnix(server: HttpServer, path: string): Promise<void> {
  // sun_path holds 107 bytes and libuv cuts longer names short without a word.
  const boundLength = Buffer.byteLength(join(dirname(path), '.sk-XXXXXX', 's'));
  if (boundLength > SUN_PATH_MAX)
    throw new InvalidArgumentError(
      `unix socket directory ${dirname(path)} is too long: sockets are bound in a private directory there, which needs ${boundLength} of the ${SUN_PATH_MAX} bytes a socket path may have`,
    );
  await claimSocketPath(path);
  const privateDir = await mkdtemp(join(dirname(path), '.sk-'));
  try {
    const bound = join(privateDir, 's');
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bound, () => {
        server.off('error', reject);
        resolve();
      });
    });
    try {
      await chmod(bound, 0o600);
      await link(bound, path);
    } catch (e) {
      server.close();
      if (errnoCode(e) === 'EEXIST')
        throw new ConflictError(`another daemon is already serving ${path}; stop it first`);
      throw e;
    }
    removeOnClose(server, path);
  } finally {
    await rm(privateDir, { recursive: true, force: true });
  }
}

/**
 * Node unlinks the name it bound on close; the socket's public name is ours to remove, unless
 * it is no longer our socket by then.
 */
function removeOnClose(server: HttpServer, path: string): void {
  const ino = lstatSync(path).ino;
  const remove = (): void => {
    try {
      if (lstatSync(path).ino === ino) unlinkSync(path);
    } catch {
      // gone already
    }
  };
  server.once('close', remove);
  // 'close' waits for the last connection; a daemon that exits first must not leave its name
  // behind (the next start would take it for a live daemon's, or a stale one to clean up).
  process.once('exit', remove);
}

export function tlsServerOptions(
  tls: TlsFiles | undefined,
  addr: string,
): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean } {
  if (!tls?.cert || !tls.key)
    throw new InvalidArgumentError(
      `refusing to listen on ${addr} without TLS: anyone who reaches that port would control your containers and your files. Set "tlscert" and "tlskey" (and "tlsverify" with "tlscacert") in daemon.json, or use a unix socket`,
    );
  // Without a CA of its own, Node checks client certificates against its bundle of public CAs:
  // anyone who can buy a certificate would get in.
  if (tls.verify && !tls.ca)
    throw new InvalidArgumentError(
      `refusing to listen on ${addr}: "tlsverify" needs "tlscacert", the CA that signed the client certificates to accept (without it any certificate from a public CA would be let in)`,
    );
  const opts = {
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
    requestCert: tls.verify,
    rejectUnauthorized: tls.verify,
  };
  return tls.ca ? { ...opts, ca: readFileSync(tls.ca) } : opts;
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** What to shout when TCP clients are not verified and others than this machine can connect. */
export function tlsWarning(tls: TlsFiles, host: string, addr: string): string | undefined {
  if (tls.verify || isLoopbackHost(host)) return undefined;
  return `listening on ${addr} with TLS but without "tlsverify": anyone who can reach this address can control your containers and everything your user can read and write. Set "tlsverify" and "tlscacert" to accept only clients with a certificate from your CA, or listen on 127.0.0.1`;
}

/** How long a TCP client may stall before its connection is dropped. */
export interface TcpTimeouts {
  /** From the first byte of a request to the end of its headers. */
  readonly headersMs: number;
  /**
   * Silence on a connection whose request has not fully arrived (or that sent none yet, TLS
   * handshake included). A request that is in is the server's to answer: slow handlers, waits
   * and silent streams are not the client's fault, and hijacked streams are exempt.
   */
  readonly idleMs: number;
}

export const DEFAULT_TCP_TIMEOUTS: TcpTimeouts = { headersMs: 60_000, idleMs: 60_000 };

/** An HTTPS server for a TCP address, with the deadlines of `t`. */
export function createTcpServer(
  tls: TlsFiles | undefined,
  addr: string,
  t: TcpTimeouts,
): HttpsServer {
  const server = createHttpsServer({
    ...tlsServerOptions(tls, addr),
    handshakeTimeout: t.idleMs,
    headersTimeout: t.headersMs,
    // Uploads (image load, archives) and hijacked streams last as long as they last.
    requestTimeout: 0,
    // How often Node looks for expired headers: often enough for the deadline to mean something.
    connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(t.headersMs / 4))),
  });
  server.setTimeout(t.idleMs);
  return server;
}

export async function listenTcp(server: HttpsServer, host: string, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
