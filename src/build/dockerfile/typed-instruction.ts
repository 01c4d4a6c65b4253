/**
 * Turns a raw instruction into its typed form, with dockerd's argument checks and messages
 * (buildkit frontend/dockerfile/instructions/parse.go) and its choice of what is expanded:
 * ADD COPY ENV EXPOSE LABEL STOPSIGNAL USER VOLUME WORKDIR ARG are; RUN CMD ENTRYPOINT SHELL
 * HEALTHCHECK MAINTAINER and ONBUILD are not (their text runs in a shell or a later build).
 */
import { InternalError } from '../../errors.js';
import { copyInstruction } from './copy-instruction.js';
import { DockerfileError, lineError } from './dockerfile-error.js';
import { expandWith, NO_EXPANSION, type Expansion } from './expansion.js';
import { healthcheckInstruction } from './healthcheck.js';
import { flagString, parseFlags } from './instruction-flags.js';
import type {
  CommandForm,
  Instruction,
  RawInstruction,
  RunInstruction,
  VariableLookup,
} from './instructions.js';
import { parseNameValues, parseWords } from './name-values.js';

export { typedFrom } from './typed-from.js';

/** Instructions other than FROM, which starts a stage (see typedFrom). */
export const INSTRUCTION_KEYWORDS: ReadonlySet<string> = new Set([
  'ADD',
  'ARG',
  'CMD',
  'COPY',
  'ENTRYPOINT',
  'ENV',
  'EXPOSE',
  'HEALTHCHECK',
  'LABEL',
  'MAINTAINER',
  'ONBUILD',
  'RUN',
  'SHELL',
  'STOPSIGNAL',
  'USER',
  'VOLUME',
  'WORKDIR',
]);

/** At dispatch: the typed instruction with the variables in force at this step. */
export function typedInstruction(
  raw: RawInstruction,
  lookup: VariableLookup,
  escape: string,
): Instruction {
  return build(raw, expandWith(lookup, escape), escape);
}

/**
 * dockerd types every instruction before running step 1 (instructions.Parse), so a wrong
 * argument count on the last line fails the build before anything runs. Its errors name the line.
 */
export function checkInstruction(raw: RawInstruction, escape: string): void {
  try {
    build(raw, NO_EXPANSION, escape);
  } catch (err) {
    if (err instanceof DockerfileError) throw lineError(raw.line, err.message);
    throw err;
  }
}

const RUN_NETWORKS = new Set(['default', 'none', 'host']);
const WHITESPACE = /[\t\v\f\r ]+/;

function build(raw: RawInstruction, ex: Expansion, escape: string): Instruction {
  const keyword = raw.keyword;
  switch (keyword) {
    case 'RUN':
      return runInstruction(raw);
    case 'CMD':
    case 'ENTRYPOINT':
      parseFlags(raw.flags, {});
      return { kind: keyword, command: commandForm(raw) };
    case 'SHELL':
      return shellInstruction(raw);
    case 'COPY':
    case 'ADD':
      return copyInstruction(raw, keyword, ex);
    case 'ENV':
    case 'LABEL': {
      parseFlags(raw.flags, {});
      const pairs = parseNameValues(raw.argsText, keyword, escape);
      if (pairs.length === 0)
        throw new DockerfileError(`${keyword} requires at least one argument`);
      if (pairs.some(([name]) => name === '')) {
        throw new DockerfileError(`${keyword} names can not be blank`);
      }
      return { kind: keyword, pairs: pairs.map(([k, v]) => [ex.word(k), ex.word(v)] as const) };
    }
    case 'ARG':
      // dockerd never parses ARG's flags: they are ignored.
      return { kind: 'ARG', args: argPairs(raw.argsText, escape, ex) };
    case 'WORKDIR':
      return { kind: 'WORKDIR', path: ex.word(singleArgument(raw, true)) };
    case 'USER':
      return { kind: 'USER', user: ex.word(singleArgument(raw, true)) };
    case 'STOPSIGNAL':
      // dockerd never parses STOPSIGNAL's flags: they are ignored.
      return { kind: 'STOPSIGNAL', signal: ex.word(singleArgument(raw, false)) };
    case 'MAINTAINER':
      return { kind: 'MAINTAINER', name: singleArgument(raw, true) };
    case 'EXPOSE':
      return exposeInstruction(raw, ex);
    case 'VOLUME':
      return volumeInstruction(raw, ex);
    case 'HEALTHCHECK':
      return healthcheckInstruction(raw);
    case 'ONBUILD':
      return onbuildInstruction(raw);
    default:
      // The parser refuses unknown keywords and routes FROM to typedFrom.
      throw new InternalError(`not an instruction keyword: ${keyword}`);
  }
}

/**
 * The exec form when the arguments are a JSON array, else the shell form. No arguments at all
 * gives an empty exec form: CMD/ENTRYPOINT then clear the inherited value instead of running
 * an empty script.
 */
function commandForm(raw: RawInstruction): CommandForm {
  if (raw.json !== undefined) return { form: 'exec', args: raw.json };
  if (raw.argsText === '') return { form: 'exec', args: [] };
  return { form: 'shell', script: raw.argsText };
}

function runInstruction(raw: RawInstruction): RunInstruction {
  // Only --mount and --network are registered in dockerd's build of the parser
  // (--security needs the dfrunsecurity build tag).
  const flags = parseFlags(raw.flags, { mount: 'strings', network: 'string' });
  const network = flagString(flags, 'network');
  if (network !== undefined && !RUN_NETWORKS.has(network)) {
    throw new DockerfileError(`invalid network mode ${JSON.stringify(network)}`);
  }
  const mounts = flags.get('mount');
  return {
    kind: 'RUN',
    command: commandForm(raw),
    heredocs: raw.heredocs,
    ...(network !== undefined ? { network } : {}),
    ...(mounts !== undefined ? { mounts } : {}),
  };
}

function shellInstruction(raw: RawInstruction): Instruction {
  parseFlags(raw.flags, {});
  if (raw.json === undefined && raw.argsText !== '') {
    throw new DockerfileError('SHELL requires the arguments to be in JSON form');
  }
  const shell = raw.json ?? [];
  if (shell.length === 0) throw new DockerfileError('SHELL requires at least one argument');
  return { kind: 'SHELL', shell };
}

/** `ARG name` or `ARG name=default`, several per line; names and defaults are expanded. */
function argPairs(
  text: string,
  escape: string,
  ex: Expansion,
): { readonly name: string; readonly defaultValue?: string }[] {
  const words = parseWords(text, escape);
  if (words.length === 0) throw new DockerfileError('ARG requires at least one argument');
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) return { name: ex.word(word) };
    if (eq === 0) throw new DockerfileError('ARG names can not be blank');
    return { name: ex.word(word.slice(0, eq)), defaultValue: ex.word(word.slice(eq + 1)) };
  });
}

/** WORKDIR, USER, STOPSIGNAL, MAINTAINER take the whole rest of the line as one argument. */
function singleArgument(raw: RawInstruction, parsesFlags: boolean): string {
  if (raw.argsText === '') {
    throw new DockerfileError(`${raw.keyword} requires exactly one argument`);
  }
  if (parsesFlags) parseFlags(raw.flags, {});
  return raw.argsText;
}

/**
 * dockerd sorts the ports as written, then expands each with word splitting, so
 * `EXPOSE $PORTS` with PORTS="80 443" gives two ports (the only such instruction).
 */
function exposeInstruction(raw: RawInstruction, ex: Expansion): Instruction {
  const written = raw.argsText.split(WHITESPACE).filter((w) => w !== '');
  if (written.length === 0) throw new DockerfileError('EXPOSE requires at least one argument');
  parseFlags(raw.flags, {});
  return { kind: 'EXPOSE', ports: written.sort().flatMap((port) => ex.words(port)) };
}

function volumeInstruction(raw: RawInstruction, ex: Expansion): Instruction {
  const written = raw.json ?? raw.argsText.split(WHITESPACE).filter((w) => w !== '');
  if (written.length === 0) throw new DockerfileError('VOLUME requires at least one argument');
  parseFlags(raw.flags, {});
  const paths = written.map((path) => {
    const trimmed = path.trim();
    if (trimmed === '') throw new DockerfileError('VOLUME specified can not be an empty string');
    return ex.word(trimmed);
  });
  return { kind: 'VOLUME', paths };
}

/**
 * The trigger is stored unexpanded with its keyword upper-cased; heredoc bodies are appended
 * after it, as dockerd does, so that the child build parses it back whole.
 */
function onbuildInstruction(raw: RawInstruction): Instruction {
  const trigger = /^(\S+)\s*([\s\S]*)$/.exec(raw.argsText);
  const keyword = trigger?.[1]?.toUpperCase();
  if (keyword === undefined) throw new DockerfileError('ONBUILD requires at least one argument');
  parseFlags(raw.flags, {});
  checkTriggerKeyword(keyword);
  const rest = trigger?.[2] ?? '';
  let text = rest === '' ? keyword : `${keyword} ${rest}`;
  for (const heredoc of raw.heredocs) text += `\n${heredoc.content}${heredoc.name}`;
  return { kind: 'ONBUILD', trigger: text };
}

export function checkTriggerKeyword(keyword: string): void {
  if (keyword === 'ONBUILD') {
    throw new DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  }
  if (keyword === 'MAINTAINER' || keyword === 'FROM') {
    throw new DockerfileError(`${keyword} isn't allowed as an ONBUILD trigger`);
  }
}
