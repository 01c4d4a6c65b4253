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

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_JSON_BODY_BYTES)
      throw new InvalidArgumentError(`request body larger than ${MAX_JSON_BODY_BYTES} bytes`);
    chunks.push(b);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new InvalidArgumentError(`invalid JSON in request body: ${messageOf(e)}`);
  }
}
