/**
 * Reading Docker's JSON bodies safely: every field enters as `unknown` and leaves typed or as an
 * InvalidArgumentError naming the field (STYLE R7). Missing and null mean "not given".
 */
import { InvalidArgumentError } from '../../errors.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asObject(v: unknown, field: string): JsonObject {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw wrongType(field, v, 'an object');
  return v;
}

export function optString(o: JsonObject, key: string, field = key): string | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(field, v, 'a string');
  return v;
}

export function str(o: JsonObject, key: string, field = key): string {
  return optString(o, key, field) ?? '';
}

export function bool(o: JsonObject, key: string, field = key): boolean {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw wrongType(field, v, 'a boolean');
  return v;
}

export function optBool(o: JsonObject, key: string, field = key): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw wrongType(field, v, 'a boolean');
  return v;
}

export function num(o: JsonObject, key: string, field = key): number {
  return optNum(o, key, field) ?? 0;
}

export function optNum(o: JsonObject, key: string, field = key): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(field, v, 'a number');
  return v;
}

/** Docker accepts `"Cmd": "sh"` as well as `["sh"]` (strslice). */
export function strSlice(o: JsonObject, key: string, field = key): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return v;
  throw wrongType(field, v, 'a string or a list of strings');
}

export function strList(o: JsonObject, key: string, field = key): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return v;
  throw wrongType(field, v, 'a list of strings');
}

export function strMap(o: JsonObject, key: string, field = key): Record<string, string> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw wrongType(field, v, 'an object of strings');
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw wrongType(`${field}.${k}`, x, 'a string');
    out[k] = x;
  }
  return out;
}

/** `{"80/tcp": {}}` sets (ExposedPorts, Volumes): the keys. */
export function keySet(o: JsonObject, key: string, field = key): string[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!isObject(v)) throw wrongType(field, v, 'an object');
  return Object.keys(v);
}

export function list(o: JsonObject, key: string, field = key): unknown[] {
  const v = o[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw wrongType(field, v, 'a list');
  return v;
}

function wrongType(field: string, v: unknown, expected: string): InvalidArgumentError {
  const got = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
  return new InvalidArgumentError(`invalid value for ${field}: expected ${expected}, got ${got}`);
}
