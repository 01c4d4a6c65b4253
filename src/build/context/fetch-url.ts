/**
 * HTTP(S) GET for `ADD <url>` and remote build contexts, as dockerd's GetWithStatusError does it:
 * redirects followed (at most 10, like Go's http.Client), a status of 400 or more is an error
 * naming the URL and the status, and nothing can hang: the connection and the response headers
 * have a deadline, the body an idle timeout, and the caller's signal aborts all of it.
 */
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { basename } from 'node:path/posix';
import { Transform, type Readable } from 'node:stream';
import { InvalidArgumentError, messageOf } from '../../errors.js';

export interface FetchOptions {
  /** Fail once the body exceeds this many bytes. */
  readonly maxBytes?: number;
  /** Deadline for connecting and receiving the headers, and the idle limit while reading; default 30 s. */
  readonly timeoutMs?: number;
}

export interface Fetched {
  readonly body: Readable;
  /** From the URL's last path segment, else Content-Disposition; "" when neither names one. */
  readonly fileName: string;
  readonly lastModified?: Date;
}

const MAX_REDIRECTS = 10;
const DEFAULT_TIMEOUT_MS = 30_000;
/** An error response's body is quoted in the message, as dockerd does: only its beginning. */
const MAX_ERROR_BODY = 1024;

export async function fetchUrl(
  url: string,
  signal: AbortSignal,
  o: FetchOptions = {},
): Promise<Fetched> {
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let current = parseHttpUrl(url);
  for (let hop = 0; ; hop++) {
    const res = await request(current, signal, timeoutMs);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      res.resume();
      if (hop >= MAX_REDIRECTS)
        throw new InvalidArgumentError(
          `failed to GET ${url}: stopped after ${MAX_REDIRECTS} redirects`,
        );
      current = parseHttpUrl(new URL(location, current).toString());
      continue;
    }
    if (status >= 400) throw await statusError(url, res);
    const lastModified = parseDate(res.headers['last-modified']);
    return {
      body: limitBody(res, url, o.maxBytes),
      fileName: fileNameOf(current, res.headers['content-disposition']),
      ...(lastModified ? { lastModified } : {}),
    };
  }
}

function parseHttpUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InvalidArgumentError(`invalid URL ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InvalidArgumentError(
      `unsupported URL scheme ${u.protocol} in ${url}: only http and https`,
    );
  return u;
}

function request(u: URL, signal: AbortSignal, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const get = u.protocol === 'https:' ? httpsGet : httpGet;
    const req = get(u, { signal, headers: { 'user-agent': 'skiff' } });
    const fail = (reason: string, e?: unknown): void => {
      clearTimeout(deadline);
      reject(new InvalidArgumentError(`failed to GET ${u.toString()}: ${reason}`, { cause: e }));
    };
    // One deadline for DNS, connect, TLS and the response headers together.
    const deadline = setTimeout(() => {
      req.destroy(new Error(`no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('error', (e) => {
      if (signal.aborted) {
        clearTimeout(deadline);
        reject(e);
      } else fail(messageOf(e), e);
    });
    req.on('response', (res) => {
      clearTimeout(deadline);
      // From here on (an error body too), a silent server is cut off after the same time.
      res.setTimeout(timeoutMs, () => {
        res.destroy(
          new InvalidArgumentError(`failed to GET ${u.toString()}: no data for ${timeoutMs} ms`),
        );
      });
      resolve(res);
    });
  });
}

async function statusError(url: string, res: IncomingMessage): Promise<InvalidArgumentError> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const c of res as AsyncIterable<Buffer>) {
      chunks.push(c);
      size += c.length;
      if (size >= MAX_ERROR_BODY) break;
    }
  } catch {
    // the status says enough
  }
  const body = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8').trim();
  const msg =
    `failed to GET ${url} with status ${res.statusCode ?? 0} ${res.statusMessage ?? ''}`.trimEnd();
  return new InvalidArgumentError(body === '' ? msg : `${msg}: ${body}`);
}

/** The body with a size cap, failing with a message naming the URL. */
function limitBody(res: IncomingMessage, url: string, maxBytes: number | undefined): Readable {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (maxBytes !== undefined && seen > maxBytes)
        cb(
          new InvalidArgumentError(`failed to GET ${url}: the response exceeds ${maxBytes} bytes`),
        );
      else cb(null, chunk);
    },
  });
  res.on('error', (e) => out.destroy(e));
  out.on('close', () => res.destroy());
  return res.pipe(out);
}

/** moby's getFilenameForDownload: the URL's last segment, else Content-Disposition's filename. */
function fileNameOf(u: URL, disposition: string | undefined): string {
  const fromPath = u.pathname.endsWith('/') ? '' : safeName(decodeOrRaw(u.pathname));
  if (fromPath !== '') return fromPath;
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition ?? '');
  return m?.[1] !== undefined ? safeName(decodeOrRaw(m[1])) : '';
}

/** A last path segment that is a usable file name: never "", "." or "..". */
function safeName(p: string): string {
  const name = basename(p);
  return name === '.' || name === '..' ? '' : name;
}

function decodeOrRaw(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function parseDate(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
