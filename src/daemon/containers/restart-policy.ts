/**
 * Docker's restart manager, as a pure decision: whether to restart after an exit and after how
 * long. The delay starts at 100 ms and doubles per restart up to 1 min; a run of 10 s or more
 * resets it (moby restartmanager).
 */
import type { RestartPolicy } from './container-config.js';

export const INITIAL_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;

export interface RestartDecision {
  readonly restart: boolean;
  /** The delay to use now, and to remember for next time. */
  readonly delayMs: number;
}

export function decideRestart(o: {
  policy: RestartPolicy;
  exitCode: number;
  manuallyStopped: boolean;
  restartCount: number;
  previousDelayMs: number;
  ranForMs: number;
}): RestartDecision {
  let delay =
    o.ranForMs >= 10_000 || o.previousDelayMs === 0
      ? INITIAL_DELAY_MS
      : Math.min(MAX_DELAY_MS, o.previousDelayMs * 2);
  if (o.ranForMs >= 10_000) delay = INITIAL_DELAY_MS;
  if (o.manuallyStopped) return { restart: false, delayMs: delay };
  switch (o.policy.name) {
    case 'no':
      return { restart: false, delayMs: delay };
    case 'always':
      return { restart: true, delayMs: delay };
    case 'unless-stopped':
      return { restart: true, delayMs: delay };
    case 'on-failure': {
      const max = o.policy.maximumRetryCount;
      return { restart: o.exitCode !== 0 && (max === 0 || o.restartCount < max), delayMs: delay };
    }
  }
}

/** At daemon start: which stopped containers come back (moby container.ShouldRestart). */
export function restartsWithDaemon(
  policy: RestartPolicy,
  exitCode: number,
  manuallyStopped: boolean,
): boolean {
  if (manuallyStopped) return false;
  return (
    policy.name === 'always' ||
    policy.name === 'unless-stopped' ||
    (policy.name === 'on-failure' && exitCode !== 0)
  );
}
