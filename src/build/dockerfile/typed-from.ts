/**
 * FROM `image [AS name]` with `--platform`: dockerd's checks (buildkit instructions/parse.go
 * parseFrom), the image word and platform expanded with the global ARGs.
 */
import { DockerfileError } from './dockerfile-error.js';
import { expandWord } from './expand-words.js';
import { flagString, parseFlags } from './instruction-flags.js';
import type { RawInstruction, VariableLookup } from './instructions.js';

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

export interface TypedFrom {
  readonly image: string;
  /** Lower-cased, as dockerd stores it. */
  readonly stageName?: string;
  readonly platform?: string;
}

/** The structure alone, unexpanded: what the parse-time check and the stage split need. */
export function fromParts(raw: RawInstruction): TypedFrom {
  const args = raw.argsText.split(/[\t\v\f\r ]+/).filter((w) => w !== '');
  const [image, as, name] = args;
  if (image === undefined) throw new DockerfileError('FROM requires either one or three arguments');
  let stageName: string | undefined;
  if (args.length === 3 && as?.toLowerCase() === 'as' && name !== undefined) {
    stageName = name.toLowerCase();
    if (!STAGE_NAME.test(stageName)) {
      throw new DockerfileError(
        `invalid name for build stage: ${JSON.stringify(name)}, name can't start with a number or contain symbols`,
      );
    }
  } else if (args.length !== 1) {
    throw new DockerfileError('FROM requires either one or three arguments');
  }
  const platform = flagString(parseFlags(raw.flags, { platform: 'string' }), 'platform');
  return {
    image,
    ...(stageName !== undefined ? { stageName } : {}),
    ...(platform !== undefined && platform !== '' ? { platform } : {}),
  };
}

export function typedFrom(raw: RawInstruction, lookup: VariableLookup, escape: string): TypedFrom {
  const parts = fromParts(raw);
  const image = expandWord(parts.image, lookup, escape);
  // dockerd: an image word that expands to nothing is its own error, not a pull of "".
  if (image === '') throw new DockerfileError(`base name (${parts.image}) should not be blank`);
  const platform =
    parts.platform === undefined ? undefined : expandWord(parts.platform, lookup, escape);
  return {
    image,
    ...(parts.stageName !== undefined ? { stageName: parts.stageName } : {}),
    ...(platform !== undefined && platform !== '' ? { platform } : {}),
  };
}
