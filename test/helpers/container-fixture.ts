/**
 * A daemon with the test busybox image pulled and tagged `busybox` — the usual starting point
 * of container tests.
 */
import { startDaemon, type StartOptions, type TestDaemon } from './daemon.js';
import { dockerOk } from './docker-cli.js';
import { busyboxRef } from './test-registry-env.js';

export async function daemonWithBusybox(o: StartOptions = {}): Promise<TestDaemon> {
  const d = await startDaemon(o);
  try {
    await dockerOk(d, ['pull', '-q', busyboxRef()]);
    await dockerOk(d, ['tag', busyboxRef(), 'busybox']);
  } catch (e) {
    await d.cleanup();
    throw e;
  }
  return d;
}

/** Polls until `fn` returns a value other than undefined, or fails after `ms`. */
export async function eventually<T>(
  fn: () => Promise<T | undefined>,
  ms = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`,
  );
}
