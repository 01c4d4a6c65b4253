/** Small validators for daemon.json values; each error names the key, as Docker's do. */
import { InvalidArgumentError } from '../../errors.js';

export function asString(v: unknown, key: string): string {
  if (typeof v !== 'string') throw bad(key, v, 'a string');
  return v;
}

export function asBoolean(v: unknown, key: string): boolean {
  if (typeof v !== 'boolean') throw bad(key, v, 'true or false');
  return v;
}

export function asInt(v: unknown, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(key, v, `an integer between ${min} and ${max}`);
  return v;
}

export function asStringArray(v: unknown, key: string): string[] {
  if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string'))
    throw bad(key, v, 'a list of strings');
  return v;
}

export function asStringRecord(v: unknown, key: string): Record<string, string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw bad(key, v, 'an object of strings');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw bad(`${key}.${k}`, x, 'a string');
    out[k] = x;
  }
  return out;
}

export function asEnum<T extends string>(v: unknown, key: string, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
    throw bad(key, v, `one of ${allowed.join(', ')}`);
  return v as T;
}

export function asAbsolutePath(v: unknown, key: string): string {
  const s = asString(v, key);
  if (!s.startsWith('/')) throw bad(key, v, 'an absolute path');
  return s;
}

function bad(key: string, value: unknown, expected: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `invalid value for "${key}": ${JSON.stringify(value)} (expected ${expected})`,
  );
}
