/**
 * Opens the API listeners: unix sockets (mode 0600, a stale file replaced, a live one refused)
 * and TCP only with TLS, as Docker's rootless mode documents (seed 001 "Expose Docker API socket
 * via TCP").
 */
import { readFileSync } from 'node:fs';
import { chmod, lstat, unlink } from 'node:fs/promises';
import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { connect } from 'node:net';
import { ConflictError, InvalidArgumentError, isNotFound } from '../errors.js';

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

export async function listenUnix(server: HttpServer, path: string): Promise<void> {
  await claimSocketPath(path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
}

export function tlsServerOptions(
  tls: TlsFiles | undefined,
  addr: string,
): { cert: Buffer; key: Buffer; ca?: Buffer; requestCert: boolean; rejectUnauthorized: boolean } {
  if (!tls?.cert || !tls.key)
    throw new InvalidArgumentError(
      `refusing to listen on ${addr} without TLS: anyone who reaches that port would control your containers and your files. Set "tlscert" and "tlskey" (and "tlsverify" with "tlscacert") in daemon.json, or use a unix socket`,
    );
  const opts = {
    cert: readFileSync(tls.cert),
    key: readFileSync(tls.key),
    requestCert: tls.verify,
    rejectUnauthorized: tls.verify,
  };
  return tls.ca ? { ...opts, ca: readFileSync(tls.ca) } : opts;
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

export { createHttpsServer };
