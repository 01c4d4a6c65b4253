/** conmon's control fifo (`<bundle>/ctl`): "1 <h> <w>" resizes the TTY, "2 0 0" reopens the log. */
import { open, constants } from 'node:fs/promises';
import { ConflictError } from '../../errors.js';

export async function writeCtl(path: string, line: string): Promise<void> {
  let fh;
  try {
    // Non-blocking: if conmon is gone there is no reader and open fails at once (ENXIO).
    fh = await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    throw new ConflictError('the container is not running (its monitor is gone)');
  }
  try {
    await fh.write(`${line}\n`);
  } finally {
    await fh.close();
  }
}
