/**
 * Debian's Distribution registry (`docker-registry`) on 127.0.0.1 for tests: plain HTTP, or TLS
 * with a throwaway CA and htpasswd (bcrypt) auth, or Bearer tokens from a token server
 * (`tokenAuth`, see token-server.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { execOk } from './exec.js';

export interface TestRegistry {
  /** host:port */
  readonly addr: string;
  readonly tls: boolean;
  /** PEM of the CA that signed the TLS certificate. */
  readonly caPem?: string;
  readonly auth?: { username: string; password: string };
  readonly dir: string;
  stop(): Promise<void>;
}

/** Distribution's `auth: token` section: who issues tokens and which keys may sign them. */
export interface TokenAuthConfig {
  readonly realm: string;
  readonly service: string;
  readonly issuer: string;
  /** Path of the PEM certificate(s) whose keys may sign tokens. */
  readonly rootCertBundle: string;
}

export interface RegistryOptions {
  readonly tls?: boolean;
  readonly auth?: { username: string; password: string };
  /** Token auth instead of htpasswd; the two exclude each other. */
  readonly tokenAuth?: TokenAuthConfig;
  readonly port?: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => {
        resolve(port);
      });
    });
    s.on('error', reject);
  });
}

export async function startRegistry(o: RegistryOptions = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-registry-'));
  const port = o.port ?? (await freePort());
  const addr = `127.0.0.1:${port}`;
  await mkdir(join(dir, 'data'));
  let caPem: string | undefined;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${addr}`,
  ];
  if (o.tls) {
    caPem = await makeCertificates(dir);
    lines.push(
      '  tls:',
      `    certificate: ${join(dir, 'server.crt')}`,
      `    key: ${join(dir, 'server.key')}`,
    );
  }
  if (o.auth && o.tokenAuth)
    throw new Error('startRegistry: auth and tokenAuth exclude each other');
  if (o.tokenAuth)
    lines.push(
      'auth:',
      '  token:',
      `    realm: ${o.tokenAuth.realm}`,
      `    service: ${o.tokenAuth.service}`,
      `    issuer: ${o.tokenAuth.issuer}`,
      `    rootcertbundle: ${o.tokenAuth.rootCertBundle}`,
    );
  if (o.auth) {
    const line = await execOk('htpasswd', ['-Bbn', o.auth.username, o.auth.password]);
    await writeFile(join(dir, 'htpasswd'), line.trim() + '\n');
    lines.push(
      'auth:',
      '  htpasswd:',
      '    realm: skiff-test',
      `    path: ${join(dir, 'htpasswd')}`,
    );
  }
  await writeFile(join(dir, 'config.yml'), lines.join('\n') + '\n');
  const fd = openSync(join(dir, 'registry.log'), 'a');
  const child: ChildProcess = spawn(
    '/usr/bin/docker-registry',
    ['serve', join(dir, 'config.yml')],
    { stdio: ['ignore', fd, fd] },
  );
  closeSync(fd);
  const state = { exited: false };
  child.on('exit', () => {
    state.exited = true;
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (state.exited)
      throw new Error(`docker-registry exited: ${readFileSync(join(dir, 'registry.log'), 'utf8')}`);
    if (await answers(addr, o.tls === true, caPem)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    addr,
    tls: o.tls === true,
    ...(caPem ? { caPem } : {}),
    ...(o.auth ? { auth: o.auth } : {}),
    dir,
    stop: async () => {
      child.kill('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function answers(addr: string, tls: boolean, ca: string | undefined): Promise<boolean> {
  const [host, port] = addr.split(':');
  return new Promise((resolve) => {
    const opts = {
      host,
      port: Number(port),
      path: '/v2/',
      timeout: 1000,
      ...(tls && ca ? { ca } : {}),
    };
    const req = (tls ? httpsRequest : httpRequest)(opts, (res) => {
      res.resume();
      resolve(res.statusCode === 200 || res.statusCode === 401);
    });
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** A self-signed RSA certificate and its key, made with openssl (extra: e.g. -addext SANs). */
export async function selfSignedCertificate(
  subject: string,
  keyPath: string,
  certPath: string,
  extra: readonly string[] = [],
): Promise<void> {
  await execOk('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    subject,
    ...extra,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
}

/** A CA and a server certificate for 127.0.0.1 (SAN), made with openssl. */
export async function makeCertificates(dir: string): Promise<string> {
  const p = (f: string): string => join(dir, f);
  await selfSignedCertificate('/CN=skiff test CA', p('ca.key'), p('ca.crt'));
  await execOk('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    p('server.key'),
    '-out',
    p('server.csr'),
  ]);
  await writeFile(p('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await execOk('openssl', [
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.crt'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    p('san.ext'),
    '-out',
    p('server.crt'),
  ]);
  return readFileSync(p('ca.crt'), 'utf8');
}
