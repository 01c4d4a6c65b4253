/**
 * Go's time.ParseDuration ("1m30s", "500ms", "1.5h"), which dockerd uses for HEALTHCHECK
 * intervals, with Go's error messages. Returns nanoseconds.
 */
import { DockerfileError } from './dockerfile-error.js';

const NANOS_PER_UNIT: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export function parseGoDuration(text: string): number {
  const invalid = (): DockerfileError =>
    new DockerfileError(`time: invalid duration ${JSON.stringify(text)}`);
  let rest = text;
  const sign = rest.startsWith('-') ? -1 : 1;
  if (rest.startsWith('-') || rest.startsWith('+')) rest = rest.slice(1);
  if (rest === '0') return 0; // the one number allowed without a unit
  if (rest === '') throw invalid();
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2] ?? '';
    if (whole === '' && fraction === '') throw invalid();
    rest = rest.slice(number?.[0].length ?? 0);
    const unit = /^[^\d.]*/.exec(rest)?.[0] ?? '';
    if (unit === '') {
      throw new DockerfileError(`time: missing unit in duration ${JSON.stringify(text)}`);
    }
    const scale = NANOS_PER_UNIT[unit];
    if (scale === undefined) {
      throw new DockerfileError(
        `time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`,
      );
    }
    rest = rest.slice(unit.length);
    // Go truncates a fraction that falls below a nanosecond.
    total += Number(whole || '0') * scale + Math.floor(Number(`0.${fraction}`) * scale);
  }
  return sign * total;
}
