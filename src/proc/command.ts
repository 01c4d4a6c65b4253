/**
 * A helper-binary invocation as data: argv plus the parser of its stdout (STYLE R5).
 * Builders are pure and unit-tested without the binary; only `run()` spawns.
 */
export interface Command<T> {
  readonly argv: readonly string[];
  readonly parse: (stdout: string) => T;
  /** Bytes written to the child's stdin, if any. */
  readonly input?: string | Buffer;
}

/** A command whose output is not interesting. */
export function command(argv: readonly string[], input?: string | Buffer): Command<void> {
  return input === undefined
    ? { argv, parse: () => undefined }
    : { argv, parse: () => undefined, input };
}
