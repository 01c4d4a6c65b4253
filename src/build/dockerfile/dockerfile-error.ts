/**
 * The one error type of the Dockerfile front-end: a bad Dockerfile is the client's mistake, so it
 * is an InvalidArgumentError (HTTP 400), with dockerd's wording.
 */
import { InvalidArgumentError } from '../../errors.js';

export class DockerfileError extends InvalidArgumentError {}

/**
 * dockerd wraps errors found while typing an instruction as
 * "dockerfile parse error on line N: ..." (buildkit instructions/parse.go `parseError`).
 */
export function lineError(line: number, message: string): DockerfileError {
  return new DockerfileError(`dockerfile parse error on line ${line}: ${message}`);
}
