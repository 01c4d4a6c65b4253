/** A RUN step that exited non-zero; `exitCode` goes into the stream's errorDetail (the CLI exits with it). */
import { InvalidArgumentError } from '../errors.js';

export class RunStepError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
