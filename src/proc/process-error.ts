import { EngineError, type ErrorKind } from '../errors.js';

/**
 * A helper binary failed. The message names the binary and quotes its own first error line,
 * so that a user sees "runc: container_linux.go:...: permission denied" rather than "exit 1".
 */
export class ProcessError extends EngineError {
  constructor(
    readonly bin: string,
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly signal: NodeJS.Signals | null,
    readonly stderr: string,
    kind: ErrorKind = 'internal',
  ) {
    super(kind, `${baseName(bin)}: ${describeFailure(code, signal, stderr)}`);
  }
}

function baseName(bin: string): string {
  const i = bin.lastIndexOf('/');
  return i >= 0 ? bin.slice(i + 1) : bin;
}

function describeFailure(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): string {
  const line = errorLine(stderr);
  if (line) return line;
  if (signal) return `killed by ${signal}`;
  return `exit status ${code ?? 'unknown'}`;
}

/** The most telling line of a helper's stderr: the last non-empty one, trimmed. */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const last = lines[lines.length - 1] ?? '';
  return last.length > 500 ? `${last.slice(0, 500)}...` : last;
}
