/**
 * The hijack handshake of attach and exec start. With `Upgrade: tcp` the docker CLI expects
 * `101 UPGRADED` and may then half-close its side to signal stdin EOF; without it (older SDKs)
 * dockerd answers 200 and streams raw bytes on the connection.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { InvalidArgumentError, messageOf } from '../../errors.js';
import { MAX_JSON_BODY_BYTES } from '../request-context.js';

export function writeHijackHandshake(
  socket: Duplex,
  upgraded: boolean,
  contentType: string,
  headers: Record<string, string>,
): void {
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(
    upgraded
      ? `HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${extra}\r\n`
      : `HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n${extra}\r\n`,
  );
}

/**
 * Node hands an Upgrade request over before reading its body, but `exec start` sends its JSON
 * body with the upgrade: read exactly Content-Length bytes from `head` and the socket, give the
 * remainder back to the caller.
 */
export async function readUpgradeBody(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<{ body: unknown; rest: Buffer }> {
  const length = Number(req.headers['content-length'] ?? 0);
  if (!Number.isInteger(length) || length < 0 || length > MAX_JSON_BODY_BYTES)
    throw new InvalidArgumentError('invalid Content-Length');
  let buf = head;
  while (buf.length < length) {
    const chunk = await readOnce(socket);
    if (!chunk) break;
    buf = Buffer.concat([buf, chunk]);
  }
  const bodyText = buf.subarray(0, length).toString('utf8').trim();
  let body: unknown;
  if (bodyText !== '') {
    try {
      body = JSON.parse(bodyText) as unknown;
    } catch (e) {
      throw new InvalidArgumentError(`invalid JSON in request body: ${messageOf(e)}`);
    }
  }
  return { body, rest: buf.subarray(length) };
}

function readOnce(socket: Duplex): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const onData = (b: Buffer): void => {
      cleanup();
      socket.pause();
      resolve(b);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(undefined);
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.resume();
  });
}
