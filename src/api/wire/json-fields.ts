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

/**
 * Every number Docker's wire types take is a Go integer, most of them int64: a fraction or a
 * value past int64 is refused here, once, instead of being stored and overflowing later (a
 * timer, a cgroup file). 2^63 itself passes: JSON's 9223372036854775807 parses to it.
 */
export function optNum(o: JsonObject, key: string, field = key): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(field, v, 'a number');
  if (!fitsGoInt(v, 'int64')) throw wrongType(field, v, 'an integer that fits in 64 bits');
  return v;
}

/** The Go integer types of dockerd's wire structs, with the range encoding/json accepts. */
const GO_INT_RANGE = {
  int64: [-(2 ** 63), 2 ** 63],
  int: [-(2 ** 63), 2 ** 63],
  'time.Duration': [-(2 ** 63), 2 ** 63],
  uint16: [0, 65535],
  uint64: [0, 2 ** 64],
} as const satisfies Record<string, readonly [number, number]>;
export type GoIntType = keyof typeof GO_INT_RANGE;

function fitsGoInt(v: number, type: GoIntType): boolean {
  const [lo, hi] = GO_INT_RANGE[type];
  return Number.isInteger(v) && v >= lo && v <= hi;
}

/**
 * A field as dockerd's JSON decoder names it in its errors. Go 1.24's encoding/json writes
 * `<innermost struct type>.<JSON keys from the root, embedded struct names included>`, e.g.
 * `HostConfig.HostConfig.Resources.CpuShares` (Go 1.24 release notes: "UnmarshalTypeError.Field
 * now includes embedded structs"; moby 28 is built with Go 1.24).
 */
export interface GoField {
  readonly path: string;
  readonly type: GoIntType;
}

/** An integer field refused, when it does not fit its Go type, with dockerd's 400 message. */
export function optGoInt(o: JsonObject, key: string, go: GoField): number | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && fitsGoInt(v, go.type)) return v;
  throw goUnmarshalError(v, go.path, go.type);
}

export function goInt(o: JsonObject, key: string, go: GoField): number {
  return optGoInt(o, key, go) ?? 0;
}

/** A JSON boolean, or dockerd's decoder error naming `path`. */
export function optGoBool(o: JsonObject, key: string, path: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw goUnmarshalError(v, path, 'bool');
  return v;
}

/** A JSON list of strings (not a lone string: Go's `[]string`), or dockerd's decoder error. */
export function goStrList(o: JsonObject, key: string, path: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) throw goUnmarshalError(v, path, '[]string');
  return v.map((x: unknown) => {
    if (x === null) return ''; // Go leaves a null element at its zero value
    if (typeof x !== 'string') throw goUnmarshalError(x, path, 'string');
    return x;
  });
}

/**
 * dockerd's answer to a body its decoder cannot fill (runconfig invalidJSONError, 400):
 * `invalid JSON: json: cannot unmarshal <what> into Go struct field <path> of type <type>`.
 * Go names a number by its literal; we have only the parsed value, printed as JavaScript does
 * (`1e+30`), which is what a JavaScript client sent.
 */
export function goUnmarshalError(v: unknown, path: string, type: string): InvalidArgumentError {
  const intTarget = type in GO_INT_RANGE;
  const what =
    typeof v === 'number'
      ? intTarget
        ? `number ${String(v)}`
        : 'number'
      : typeof v === 'string'
        ? 'string'
        : typeof v === 'boolean'
          ? 'bool'
          : Array.isArray(v)
            ? 'array'
            : 'object';
  return new InvalidArgumentError(
    `invalid JSON: json: cannot unmarshal ${what} into Go struct field ${path} of type ${type}`,
  );
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
