/**
 * Moves bytes between a hijacked client connection and a container (or exec) session: log
 * history first when asked, then live output framed for the client (raw with a TTY, stdcopy
 * without), stdin from the client with its half-close passed on as EOF, and the detach key
 * sequence (default ctrl-p ctrl-q) ending the attach without stopping the container.
 */
import type { Duplex } from 'node:stream';
import type { AttachSession } from '../../runtime/runtime.js';
import type { LogLine } from '../../daemon/containers/dependencies.js';
import { FrameParser, STDERR, STDOUT, frame } from './stdcopy.js';
import { DetachKeyScanner } from './detach-keys.js';

export interface PumpOptions {
  readonly tty: boolean;
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  readonly detachKeys?: string;
  readonly history?: AsyncIterable<LogLine>;
  readonly live?: (signal: AbortSignal) => Promise<AttachSession | undefined>;
}

export async function pumpAttach(
  socket: Duplex,
  o: PumpOptions,
  signal: AbortSignal,
): Promise<void> {
  if (o.history) {
    for await (const l of o.history) {
      if (!write(socket, o.tty ? l.line : frame(l.stream === 'stderr' ? STDERR : STDOUT, l.line)))
        break;
    }
  }
  if (!o.live) return;
  const session = await o.live(signal).catch(() => undefined);
  if (!session) return;
  await pumpSession(socket, session, o, signal);
}

/** Resolves once the session's output ended or the client left ('ended') or detached. */
export async function pumpSession(
  socket: Duplex,
  session: AttachSession,
  o: PumpOptions,
  signal: AbortSignal,
): Promise<'ended' | 'detached'> {
  const parser = new FrameParser();
  let how: 'ended' | 'detached' = 'ended';
  let detach = (): void => undefined;
  const done = new Promise<void>((resolve) => {
    const finish = (): void => {
      resolve();
    };
    // Not waiting for the output to end: an exec's does only when its process exits.
    detach = finish;
    session.output.on('data', (chunk: Buffer) => {
      for (const f of parser.push(chunk)) {
        if ((f.stream === STDOUT && !o.stdout) || (f.stream === STDERR && !o.stderr)) continue;
        const ok = write(socket, o.tty ? f.payload : frame(f.stream, f.payload));
        if (!ok) {
          session.output.pause();
          socket.once('drain', () => session.output.resume());
        }
      }
    });
    session.output.once('end', finish);
    session.output.once('close', finish);
    session.output.once('error', finish);
    socket.once('close', finish);
    signal.addEventListener('abort', finish, { once: true });
  });
  if (o.stdin) {
    const scanner = new DetachKeyScanner(o.detachKeys);
    socket.on('data', (chunk: Buffer) => {
      const { data, detached } = scanner.scan(chunk);
      // Backpressure: a client that sends faster than the container reads is paused, so
      // skiffd never buffers an unbounded stdin in memory.
      if (data.length > 0 && !session.input.write(data)) {
        socket.pause();
        session.input.once('drain', () => socket.resume());
      }
      if (detached) {
        how = 'detached';
        session.close();
        detach();
      }
    });
    // The client's half-close is stdin EOF; its leaving without one is a detach.
    socket.once('end', () => {
      session.input.end();
    });
    socket.resume();
  } else {
    socket.on('data', () => undefined);
    socket.resume();
  }
  session.input.on('error', () => undefined);
  await done;
  session.close();
  return how;
}

function write(socket: Duplex, b: Buffer): boolean {
  if (socket.destroyed || socket.writableEnded) return false;
  return socket.write(b);
}
