/**
 * Checks an instruction's `--flags` against the ones it accepts, with dockerd's rules and
 * messages (buildkit frontend/dockerfile/instructions/bflag.go).
 */
import { DockerfileError } from './dockerfile-error.js';
import type { InstructionFlag } from './instructions.js';
import { withSuggestion } from './suggest.js';

/** bool: `--link` or `--link=true|false`; string: once, `=` required; strings: repeatable. */
export type FlagKind = 'bool' | 'string' | 'strings';

/** Flag name → its values in order (a bool flag gives "true" or "false"). */
export type FlagValues = ReadonlyMap<string, readonly string[]>;

export function parseFlags(
  flags: readonly InstructionFlag[],
  accepted: Readonly<Record<string, FlagKind>>,
): FlagValues {
  const values = new Map<string, string[]>();
  for (const flag of flags) {
    const written = `--${flag.name}`;
    const kind = accepted[flag.name];
    if (kind === undefined) {
      throw new DockerfileError(
        withSuggestion(`unknown flag: ${written}`, flag.name, Object.keys(accepted), true),
      );
    }
    const seen = values.get(flag.name);
    if (seen !== undefined && kind !== 'strings') {
      throw new DockerfileError(`duplicate flag specified: ${written}`);
    }
    const value = flagValue(flag, written, kind);
    if (seen === undefined) values.set(flag.name, [value]);
    else seen.push(value);
  }
  return values;
}

function flagValue(flag: InstructionFlag, written: string, kind: FlagKind): string {
  if (kind !== 'bool') {
    if (flag.value === undefined) throw new DockerfileError(`missing a value on flag: ${written}`);
    return flag.value;
  }
  if (flag.value === '') throw new DockerfileError(`missing a value on flag: ${written}`);
  const lower = (flag.value ?? '').toLowerCase();
  if (lower === 'true' || lower === '') return 'true';
  if (lower === 'false') return 'false';
  throw new DockerfileError(
    `expecting boolean value for flag ${written}, not: ${flag.value ?? ''}`,
  );
}

/** The last value of a flag (string flags have at most one), or undefined when not given. */
export function flagString(values: FlagValues, name: string): string | undefined {
  return values.get(name)?.at(-1);
}
