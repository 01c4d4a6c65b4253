/**
 * Parses a Dockerfile into stages of raw instructions with dockerd's rules and messages, and
 * checks every instruction's form up front as dockerd does before step 1.
 *
 * dockerfile-ast reads the parser directives. The line structure comes from logical-lines.ts,
 * which follows dockerd's parser, because dockerfile-ast differs from it where it matters here:
 * it keeps comment and blank lines inside a continuation in the argument text, it does not
 * recognise partly quoted heredoc delimiters (`<<"E"OF`), and it has no joined line to print.
 */
import { DockerfileParser } from 'dockerfile-ast';
import { DockerfileError, lineError } from './dockerfile-error.js';
import type { ParsedDockerfile, RawInstruction, Stage } from './instructions.js';
import { readLogicalLines, type LogicalLine } from './logical-lines.js';
import { withSuggestion } from './suggest.js';
import { fromParts } from './typed-from.js';
import {
  checkInstruction,
  checkTriggerKeyword,
  INSTRUCTION_KEYWORDS,
} from './typed-instruction.js';

export { DockerfileError } from './dockerfile-error.js';

const DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const KEYWORDS = [...INSTRUCTION_KEYWORDS, 'FROM'];

export function parseDockerfile(text: string): ParsedDockerfile {
  const { escape, warnings } = readDirectives(text);
  const logical = readLogicalLines(text, escape);
  if (logical.lines.length === 0) throw new DockerfileError('file with no instructions');
  const globalArgs: RawInstruction[] = [];
  const stages: {
    index: number;
    name?: string;
    from: RawInstruction;
    instructions: RawInstruction[];
  }[] = [];
  for (const line of logical.lines) {
    const raw = toRaw(line);
    if (!KEYWORDS.includes(raw.keyword)) {
      const message = `unknown instruction: ${line.command.keyword}`;
      throw lineError(raw.line, withSuggestion(message, line.command.keyword, KEYWORDS, false));
    }
    if (raw.keyword === 'FROM') {
      const name = stageNameOf(raw);
      const stage = { index: stages.length, from: raw, instructions: [] };
      stages.push(name === undefined ? stage : { ...stage, name });
      continue;
    }
    checkInstruction(raw, escape);
    const current = stages.at(-1);
    if (current !== undefined) current.instructions.push(raw);
    else if (raw.keyword === 'ARG') globalArgs.push(raw);
    else throw new DockerfileError('no build stage in current context');
  }
  return {
    globalArgs,
    stages: stages satisfies Stage[],
    escape,
    warnings: [...warnings, ...logical.warnings],
  };
}

/**
 * ONBUILD triggers from a base image's config, each one instruction (its heredoc bodies
 * included). dockerd parses each on its own and refuses the triggers ONBUILD cannot hold.
 */
export function parseTriggers(triggers: readonly string[], escape: string): RawInstruction[] {
  return triggers.flatMap((trigger) =>
    readLogicalLines(trigger, escape).lines.map((line) => {
      const raw = toRaw(line);
      if (!KEYWORDS.includes(raw.keyword)) {
        throw new DockerfileError(`unknown instruction: ${raw.keyword}`);
      }
      checkTriggerKeyword(raw.keyword);
      return raw;
    }),
  );
}

function toRaw(line: LogicalLine): RawInstruction {
  const raw = {
    keyword: line.command.keyword.toUpperCase(),
    line: line.line,
    original: line.text,
    flags: line.command.flags,
    argsText: line.command.args,
    heredocs: line.heredocs,
  };
  return line.json === undefined ? raw : { ...raw, json: line.json };
}

function stageNameOf(raw: RawInstruction): string | undefined {
  try {
    return fromParts(raw).stageName;
  } catch (err) {
    if (err instanceof DockerfileError) throw lineError(raw.line, err.message);
    throw err;
  }
}

/**
 * dockerd honours directives only on the first lines, in an unbroken run of known ones;
 * dockerfile-ast also reports directives after an unknown `# key=value` comment, so the run is
 * cut at the first line that breaks it.
 */
function readDirectives(text: string): { escape: string; warnings: string[] } {
  let escape = '\\';
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const [index, directive] of DockerfileParser.parse(text).getDirectives().entries()) {
    const name = directive.getName().toLowerCase();
    if (directive.getRange().start.line !== index || !DIRECTIVES.has(name)) break;
    if (seen.has(name)) throw new DockerfileError(`only one ${name} parser directive can be used`);
    seen.add(name);
    const value = directive.getValue();
    if (name === 'escape') {
      if (value !== '`' && value !== '\\') {
        throw new DockerfileError(`invalid escape token '${value}' does not match \` or \\`);
      }
      escape = value;
    } else if (name === 'syntax') {
      warnings.push(`# syntax=${value} directive ignored: skiff has no BuildKit frontends`);
    }
  }
  return { escape, warnings };
}
