/**
 * One API request as route handlers see it: params, query, a lazily parsed JSON body, the
 * negotiated API version, and an AbortSignal that fires when the client goes away.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { InvalidArgumentError, messageOf } from '../errors.js';
import type { ApiVersion } from './version.js';

/** Engine API bodies are small JSON documents; anything larger is refused. */
export const MAX_JSON_BODY_BYTES = 16 * 1024 * 1024;

export interface RequestContext {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly version: ApiVersion;
  readonly signal: AbortSignal;
  /** The raw request, for bodies that are streams (image load, archive upload, import). */
  readonly raw: IncomingMessage;
  /** The JSON body; undefined when the request has none. Malformed JSON is a 400. */
  body(): Promise<unknown>;
}

/**
 * Bounds the wait for a JSON body as a whole: a client that sends its headers and then a byte
 * now and then must not hold a connection (and a request slot) for good.
 */
export const JSON_BODY_TIMEOUT_MS = 60_000;

/**
 * The JSON body of `req`; undefined when empty. Rejects when it is larger than
 * MAX_JSON_BODY_BYTES, malformed, cut short, or not all there after `timeoutMs`; the request is
 * then left incomplete, and the server closes the connection after its error reply.
 */
export function readJsonBody(
  req: IncomingMessage,
  timeoutMs: number = JSON_BODY_TIMEOUT_MS,
): Promise<unknown> {
  if (req.readableEnded) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const fail = (e: Error): void => {
      stop();
      req.pause();
      reject(e);
    };
    const onData = (b: Buffer): void => {
      size += b.length;
      if (size > MAX_JSON_BODY_BYTES)
        fail(new InvalidArgumentError(`request body larger than ${MAX_JSON_BODY_BYTES} bytes`));
      else chunks.push(b);
    };
    const onEnd = (): void => {
      stop();
      let body: unknown;
      try {
        body = parseJson(Buffer.concat(chunks));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      resolve(body);
    };
    const onError = (e: Error): void => {
      fail(e);
    };
    const onClose = (): void => {
      fail(new InvalidArgumentError('request body cut short: the client went away'));
    };
    const timer = setTimeout(() => {
      fail(bodyTimeoutError(timeoutMs));
    }, timeoutMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('close', onClose);
  });
}

export function bodyTimeoutError(timeoutMs: number): InvalidArgumentError {
  const within = timeoutMs % 1000 === 0 ? `${timeoutMs / 1000}s` : `${timeoutMs}ms`;
  return new InvalidArgumentError(`request body not received within ${within}`);
}

function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(`invalid JSON in request body: ${messageOf(e)}`);
  }
}
