/**
 * HEALTHCHECK NONE | [--interval= --timeout= --start-period= --start-interval= --retries=] CMD
 * ... with dockerd's checks and messages (buildkit instructions/parse.go parseHealthcheck).
 * The command is never variable-expanded: it runs in the container's shell.
 */
import { DockerfileError } from './dockerfile-error.js';
import { parseGoDuration } from './go-duration.js';
import { flagString, parseFlags, type FlagValues } from './instruction-flags.js';
import type { HealthcheckInstruction, RawInstruction } from './instructions.js';

const MINIMUM_INTERVAL = 1e6; // 1ms in nanoseconds
const INT32_MAX = 2 ** 31 - 1;

export function healthcheckInstruction(raw: RawInstruction): HealthcheckInstruction {
  const [typeWord, rest] = splitFirstWord(raw.argsText);
  if (typeWord === '') throw new DockerfileError('HEALTHCHECK requires at least one argument');
  const type = typeWord.toUpperCase();
  const none = { interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (type === 'NONE') {
    // dockerd does not look at flags here: `HEALTHCHECK --interval=1s NONE` is accepted.
    if (rest !== '') throw new DockerfileError('HEALTHCHECK NONE takes no arguments');
    return { kind: 'HEALTHCHECK', ...none };
  }
  const flags = parseFlags(raw.flags, {
    interval: 'string',
    timeout: 'string',
    'start-period': 'string',
    'start-interval': 'string',
    retries: 'string',
  });
  if (type !== 'CMD') {
    throw new DockerfileError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  }
  const test = raw.json !== undefined ? ['CMD', ...raw.json] : ['CMD-SHELL', rest];
  if (test.length < 2 || rest === '') {
    throw new DockerfileError('Missing command after HEALTHCHECK CMD');
  }
  return {
    kind: 'HEALTHCHECK',
    test,
    interval: interval(flags, 'interval'),
    timeout: interval(flags, 'timeout'),
    startPeriod: interval(flags, 'start-period'),
    startInterval: interval(flags, 'start-interval'),
    retries: retries(flagString(flags, 'retries')),
  };
}

function splitFirstWord(text: string): [string, string] {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(text);
  return [match?.[1] ?? '', match?.[2] ?? ''];
}

/** Empty or zero means "not set" (0); anything else must be at least 1ms. */
function interval(flags: FlagValues, name: string): number {
  const value = flagString(flags, name) ?? '';
  if (value === '') return 0;
  const nanos = parseGoDuration(value);
  if (nanos !== 0 && nanos < MINIMUM_INTERVAL) {
    throw new DockerfileError(`Interval ${JSON.stringify(name)} cannot be less than 1ms`);
  }
  return nanos;
}

/** strconv.ParseInt(value, 10, 32) and its messages, then dockerd's own check. */
function retries(value: string | undefined): number {
  if (value === undefined || value === '') return 0;
  if (!/^[+-]?\d+$/.test(value)) {
    throw new DockerfileError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  const n = Number(value);
  if (Math.abs(n) > INT32_MAX + (n < 0 ? 1 : 0)) {
    throw new DockerfileError(
      `strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`,
    );
  }
  if (n < 0) throw new DockerfileError(`--retries cannot be negative (${n})`);
  return n;
}
