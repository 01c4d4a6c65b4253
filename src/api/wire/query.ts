/** Query-string values as dockerd reads them (httputils.BoolValue, Int64ValueOrZero...). */
import { InvalidArgumentError } from '../../errors.js';

/** Anything but "", "0", "no", "false", "none" is true. */
export function qBool(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null) return false;
  return !['', '0', 'no', 'false', 'none'].includes(v.trim().toLowerCase());
}

/** A boolean that defaults to true when absent (e.g. logs' stdout for attach). */
export function qBoolDefault(q: URLSearchParams, key: string, dflt: boolean): boolean {
  return q.has(key) ? qBool(q, key) : dflt;
}

export function qInt(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`invalid value for ${key}: ${v}`);
  return n;
}

/** Docker's time values: unix seconds (with fraction), RFC 3339, or a duration like "10m" before now. */
export function qTime(q: URLSearchParams, key: string, now = Date.now()): Date | undefined {
  const v = q.get(key);
  if (v === null || v === '' || v === '0') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return new Date(Number(v) * 1000);
  const dur = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)$/.exec(v);
  if (dur?.[1] && dur[2]) {
    const unit =
      { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[dur[2]] ?? 1000;
    return new Date(now - Number(dur[1]) * unit);
  }
  const t = Date.parse(v);
  if (Number.isNaN(t))
    throw new InvalidArgumentError(
      `invalid value for ${key}: failed to parse value as time or duration: "${v}"`,
    );
  return new Date(t);
}
