/** One line of `skiff setup check` / `skiff doctor`: what was checked, how it went, how to fix it. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable identifier (tests and scripts match on it). */
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  /** What was found, in one line. */
  readonly detail: string;
  /** The exact command(s) that fix it on this distribution, when not ok. */
  readonly fix?: readonly string[];
}

export function ok(id: string, title: string, detail: string): CheckResult {
  return { id, title, status: 'ok', detail };
}

export function warn(
  id: string,
  title: string,
  detail: string,
  fix?: readonly string[],
): CheckResult {
  return fix ? { id, title, status: 'warn', detail, fix } : { id, title, status: 'warn', detail };
}

export function fail(
  id: string,
  title: string,
  detail: string,
  fix?: readonly string[],
): CheckResult {
  return fix ? { id, title, status: 'fail', detail, fix } : { id, title, status: 'fail', detail };
}

export function worstStatus(results: readonly CheckResult[]): CheckStatus {
  if (results.some((r) => r.status === 'fail')) return 'fail';
  if (results.some((r) => r.status === 'warn')) return 'warn';
  return 'ok';
}
