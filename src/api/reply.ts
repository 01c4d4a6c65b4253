/**
 * What a route handler returns. The server turns it into bytes; handlers never touch the
 * response object (STYLE R3).
 */
import type { Duplex, Readable } from 'node:stream';

export type Reply = JsonReply | EmptyReply | TextReply | StreamReply | HijackReply;

export interface JsonReply {
  readonly kind: 'json';
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EmptyReply {
  readonly kind: 'empty';
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TextReply {
  readonly kind: 'text';
  readonly status: number;
  readonly body: string | Buffer;
  readonly contentType: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A streamed body (progress, events, logs, tar archives). Headers are sent only with the first
 * chunk: an error raised before it becomes a normal error reply (a 404 for a pull of an unknown
 * image, as dockerd does), an error after it is the stream's business (`errorFor`).
 */
export interface StreamReply {
  readonly kind: 'stream';
  readonly status: number;
  readonly contentType: string;
  readonly body: AsyncIterable<Buffer | string> | Readable;
  readonly headers?: Readonly<Record<string, string>>;
  /** How to report an error after headers went out (JSON progress: an errorDetail line). */
  readonly errorFor?: (err: unknown) => string | undefined;
  /**
   * Send headers at once instead of with the first chunk: for waits and follows that may be
   * silent for long (`/containers/{id}/wait`, `/events`), whose clients act on the headers.
   */
  readonly eagerHeaders?: boolean;
}

/** A hijacked connection (attach, exec start): raw bytes both ways after the handshake. */
export interface HijackedConnection {
  /** The client's socket after the handshake; write output, read stdin. */
  readonly socket: Duplex;
  /** True when the client asked for `Upgrade: tcp` (then it may half-close to signal stdin EOF). */
  readonly upgraded: boolean;
}

export interface HijackReply {
  readonly kind: 'hijack';
  readonly contentType: string;
  /** Runs after the handshake; the server closes the socket when it settles. */
  readonly run: (conn: HijackedConnection) => Promise<void>;
  /** Runs before the handshake: a rejection here becomes a normal error reply. */
  readonly prepare?: () => Promise<void>;
}

export const json = (body: unknown, status = 200, headers?: Record<string, string>): JsonReply =>
  headers ? { kind: 'json', status, body, headers } : { kind: 'json', status, body };

export const empty = (status = 204, headers?: Record<string, string>): EmptyReply =>
  headers ? { kind: 'empty', status, headers } : { kind: 'empty', status };

export const text = (
  body: string | Buffer,
  contentType = 'text/plain; charset=utf-8',
  status = 200,
): TextReply => ({
  kind: 'text',
  status,
  body,
  contentType,
});
