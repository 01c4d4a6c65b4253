/** What a failed container start reports, and the exit code it leaves in the state. */
import { EngineError, InternalError, InvalidArgumentError, messageOf } from '../../errors.js';
import { goErrnoText } from '../../runtime/oci/go-errno-text.js';

/**
 * Runtime failures as Docker reports them: a missing or non-executable command is the user's
 * error (400, and exit code 127/126 in the state so that `docker run` exits with it).
 */
export function startError(e: unknown): { error: EngineError; exitCode: number } {
  if (e instanceof EngineError && e.kind !== 'internal') return { error: e, exitCode: 128 };
  const msg = goErrnoText(messageOf(e));
  const wrapped = `failed to create task for container: OCI runtime create failed: ${msg}`;
  if (/executable file not found|no such file or directory/i.test(msg))
    return { error: new InvalidArgumentError(wrapped), exitCode: 127 };
  if (/permission denied/i.test(msg))
    return { error: new InvalidArgumentError(wrapped), exitCode: 126 };
  return { error: new InternalError(wrapped, { cause: e }), exitCode: 128 };
}
