/**
 * The one error hierarchy of skiff. Services throw these; `api/errors.ts` maps the `kind` to an
 * HTTP status in exactly one place (STYLE R2). Messages follow Docker's wording where clients
 * parse them (`No such container: <id>`).
 */
export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'unavailable'
  | 'not-implemented'
  | 'internal';

export class EngineError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidArgumentError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('invalid-argument', message, options);
  }
}

export class NotFoundError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('not-found', message, options);
  }
}

export class ConflictError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('conflict', message, options);
  }
}

export class ForbiddenError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('forbidden', message, options);
  }
}

export class UnauthorizedError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('unauthorized', message, options);
  }
}

export class UnavailableError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('unavailable', message, options);
  }
}

export class NotImplementedError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('not-implemented', message, options);
  }
}

export class InternalError extends EngineError {
  constructor(message: string, options?: ErrorOptions) {
    super('internal', message, options);
  }
}

/** Exhaustiveness guard for discriminated unions (STYLE R7). */
export function assertNever(x: never): never {
  throw new InternalError(`unhandled variant: ${JSON.stringify(x)}`);
}

/** Node's system errors carry a string `code` (ENOENT, EEXIST...). */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return errnoCode(err) === 'ENOENT';
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * An error met while reading a client's archive: the tar parser's own complaints (truncated,
 * not a tar, bad header: no errno, not one of ours) are the archive's fault, a 400; system
 * errors (ENOSPC, EIO) and engine errors pass through unchanged.
 */
export function archiveError(err: unknown): unknown {
  if (err instanceof EngineError) return err;
  const code = errnoCode(err);
  // zlib's data errors (Z_DATA_ERROR, Z_BUF_ERROR) are the archive's fault too.
  if (code?.startsWith('Z_') === true)
    return new InvalidArgumentError(`invalid compressed archive: ${messageOf(err)}`);
  // System errors (ENOSPC, EIO, EMFILE) are not the client's; stream plumbing codes
  // (STREAM_DESTROYED, ERR_STREAM_PREMATURE_CLOSE) are what a broken archive leaves behind.
  if (code !== undefined && /^E[A-Z0-9]+$/.test(code)) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  return new InvalidArgumentError(`invalid tar archive: ${messageOf(err)}`);
}
