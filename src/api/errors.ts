/**
 * THE mapping from error kind to HTTP status and Docker's `{"message": ...}` body (STYLE R2).
 * Nothing else in skiff picks a status for an error.
 */
import { EngineError, type ErrorKind } from '../errors.js';

const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  internal: 500,
  'not-implemented': 501,
  unavailable: 503,
};

export interface HttpError {
  readonly status: number;
  readonly message: string;
  /** True when the cause is ours (5xx): logged once, with its stack, at the API edge. */
  readonly unexpected: boolean;
}

export function toHttpError(err: unknown): HttpError {
  if (err instanceof EngineError) {
    const status = STATUS[err.kind];
    return { status, message: err.message, unexpected: status >= 500 };
  }
  // A bug or an unmapped system error: the client gets the message, never the stack.
  return {
    status: 500,
    message: err instanceof Error ? err.message : String(err),
    unexpected: true,
  };
}

/** Every error kind, for the check that docs/errors.md lists them all. */
export const ERROR_KINDS = Object.keys(STATUS) as readonly ErrorKind[];

export function statusOfKind(kind: ErrorKind): number {
  return STATUS[kind];
}
