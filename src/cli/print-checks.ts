/** Human output for check results (setup check, doctor, daemon preflight). */
import type { CheckResult } from '../rootless/preflight/check-result.js';

const MARK: Record<CheckResult['status'], string> = {
  ok: '[ ok ]',
  warn: '[warn]',
  fail: '[FAIL]',
};

export function formatChecks(results: readonly CheckResult[], onlyProblems = false): string {
  const lines: string[] = [];
  for (const r of results) {
    if (onlyProblems && r.status === 'ok') continue;
    lines.push(`${MARK[r.status]} ${r.title}: ${r.detail}`);
    for (const f of r.fix ?? []) lines.push(`         fix: ${f}`);
  }
  return lines.join('\n');
}
