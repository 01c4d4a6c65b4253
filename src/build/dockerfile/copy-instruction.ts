/**
 * COPY and ADD: sources, destination, heredoc sources and flags, as dockerd reads them
 * (buildkit instructions/parse.go parseCopy, parseAdd, parseSourcesAndDest).
 */
import { DockerfileError } from './dockerfile-error.js';
import { parseHeredocWord } from './heredoc-word.js';
import { flagString, parseFlags, type FlagKind, type FlagValues } from './instruction-flags.js';
import type { CopyInstruction, Heredoc, RawInstruction } from './instructions.js';
import type { Expansion } from './expansion.js';

const COPY_FLAGS: Readonly<Record<string, FlagKind>> = {
  chown: 'string',
  from: 'string',
  chmod: 'string',
  link: 'bool',
  exclude: 'strings',
  parents: 'bool',
};
const ADD_FLAGS: Readonly<Record<string, FlagKind>> = {
  chown: 'string',
  chmod: 'string',
  link: 'bool',
  'keep-git-dir': 'bool',
  checksum: 'string',
  unpack: 'bool',
  exclude: 'strings',
};

export function copyInstruction(
  raw: RawInstruction,
  kind: 'COPY' | 'ADD',
  expansion: Expansion,
): CopyInstruction {
  // The shell form is split on whitespace only: quotes do not group words here.
  const args = raw.json ?? raw.argsText.split(/[\t\v\f\r ]+/).filter((w) => w !== '');
  const dest = args.at(-1);
  if (args.length < 2 || dest === undefined) {
    throw new DockerfileError(
      `${kind} requires at least two arguments, but only one was provided. Destination could not be determined`,
    );
  }
  const flags = parseFlags(raw.flags, kind === 'COPY' ? COPY_FLAGS : ADD_FLAGS);
  if (parseHeredocWord(dest) !== undefined) {
    throw new DockerfileError(`${kind} cannot accept a heredoc as a destination`);
  }
  const sources: string[] = [];
  const heredocs: Heredoc[] = [];
  for (const source of args.slice(0, -1)) {
    const word = parseHeredocWord(source);
    if (word === undefined) {
      sources.push(expansion.word(source));
    } else {
      // A heredoc named on the line always has a body: the parser read one per `<<NAME`.
      const body = raw.heredocs.find((h) => h.name === word.name);
      heredocs.push(body ?? { name: word.name, content: '', expand: word.expand });
    }
  }
  const chmod = expandedFlag(flags, 'chmod', expansion);
  if (chmod !== undefined && expansion.expanded) checkChmod(chmod);
  const from = flagString(flags, 'from');
  const chown = expandedFlag(flags, 'chown', expansion);
  const checksum = expandedFlag(flags, 'checksum', expansion);
  return {
    kind,
    sources,
    heredocs,
    dest: expansion.word(dest),
    // The classic builder does not expand --from (BuildKit does); it names a stage or image.
    ...(from !== undefined && from !== '' ? { from } : {}),
    ...(chown !== undefined && chown !== '' ? { chown } : {}),
    ...(chmod !== undefined && chmod !== '' ? { chmod } : {}),
    link: flagString(flags, 'link') === 'true',
    ...(checksum !== undefined && checksum !== '' ? { checksum } : {}),
  };
}

function expandedFlag(flags: FlagValues, name: string, expansion: Expansion): string | undefined {
  const value = flagString(flags, name);
  return value === undefined ? undefined : expansion.word(value);
}

/** BuildKit's rule and message (dockerfile2llb convert.go): octal, at most 07777. */
function checkChmod(chmod: string): void {
  if (chmod === '') return;
  if (!/^[0-7]+$/.test(chmod) || Number.parseInt(chmod, 8) > 0o7777) {
    throw new DockerfileError(
      `invalid chmod parameter: '${chmod}'. it should be octal string and between 0 and 07777`,
    );
  }
}
