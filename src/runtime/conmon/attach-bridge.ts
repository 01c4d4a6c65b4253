/**
 * An AttachSession over conmon's SEQPACKET attach socket, through native/skiff-bridge (Node has
 * no SEQPACKET sockets; a separate process also means nothing an attach does can crash skiffd).
 * The bridge prints 8 zero bytes once connected, then stdcopy frames.
 */
import { PassThrough } from 'node:stream';
import { UnavailableError } from '../../errors.js';
import { spawnChild } from '../../proc/run.js';
import type { AttachSession } from '../runtime.js';

export async function openAttach(
  bridge: string | undefined,
  socketPath: string,
): Promise<AttachSession> {
  if (!bridge)
    throw new UnavailableError(
      'attach needs skiff-bridge (native/build/skiff-bridge): run npm run build',
    );
  const child = spawnChild(bridge, [socketPath], { stdio: ['pipe', 'pipe', 'pipe'] });
  const output = new PassThrough();
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const stdout = child.stdout;
  const stdin = child.stdin;
  if (!stdout || !stdin) throw new UnavailableError('skiff-bridge: no stdio');
  stdin.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (b: Buffer): void => {
      head = Buffer.concat([head, b]);
      if (head.length < 8) return;
      stdout.off('data', onData);
      stdout.off('end', onEnd);
      const rest = head.subarray(8);
      if (rest.length > 0) output.write(rest);
      stdout.pipe(output);
      resolve();
    };
    const onEnd = (): void => {
      reject(new UnavailableError(`cannot attach: ${stderr.trim() || 'the bridge exited'}`));
    };
    stdout.on('data', onData);
    stdout.once('end', onEnd);
    child.once('error', (e) => {
      reject(new UnavailableError(`cannot attach: ${e.message}`));
    });
  });
  return {
    output,
    input: stdin,
    close: () => {
      child.kill('SIGTERM');
    },
  };
}
