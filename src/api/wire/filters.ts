/**
 * The `filters` query parameter: JSON `{"key": ["v1", "v2"]}`, or the older
 * `{"key": {"v1": true}}` form that some SDKs still send.
 */
import { InvalidArgumentError } from '../../errors.js';

export type Filters = ReadonlyMap<string, readonly string[]>;

export function parseFilters(raw: string | null, allowed: readonly string[]): Filters {
  const out = new Map<string, string[]>();
  if (raw === null || raw === '') return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgumentError(`invalid filter: ${raw}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new InvalidArgumentError(`invalid filter: ${raw}`);
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!allowed.includes(key)) throw new InvalidArgumentError(`invalid filter '${key}'`);
    let values: string[];
    if (Array.isArray(value)) values = value.map(String);
    else if (typeof value === 'object' && value !== null)
      values = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v === true)
        .map(([k]) => k);
    else throw new InvalidArgumentError(`invalid filter '${key}'`);
    out.set(key, values);
  }
  return out;
}

/** `label=k` / `label=k=v` / `label!=...` (label! negates) against a label map. */
export function labelsMatch(
  labels: Readonly<Record<string, string>>,
  wanted: readonly string[] | undefined,
  negated?: readonly string[],
): boolean {
  const one = (f: string): boolean => {
    const i = f.indexOf('=');
    return i < 0 ? f in labels : labels[f.slice(0, i)] === f.slice(i + 1);
  };
  if (wanted && !wanted.every(one)) return false;
  if (negated?.some(one)) return false;
  return true;
}

export function boolFilter(
  values: readonly string[] | undefined,
  key: string,
): boolean | undefined {
  if (!values || values.length === 0) return undefined;
  const v = values[values.length - 1];
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`Invalid filter '${key}=${v ?? ''}'`);
}
