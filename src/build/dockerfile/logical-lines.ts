/**
 * Reads a Dockerfile's physical lines into logical instruction lines as dockerd's parser does
 * (buildkit parser.go Parse): continuation with the escape character, comment and empty lines
 * inside a continuation dropped, then the bodies of the heredocs the line opens.
 */
import { DockerfileError } from './dockerfile-error.js';
import { heredocWordsOf, type HeredocWord } from './heredoc-word.js';
import type { Heredoc } from './instructions.js';
import { parseNameValues } from './name-values.js';
import { parseJsonArray, splitCommand, type SplitCommand } from './split-command.js';

export interface LogicalLine {
  /** 1-based line where the instruction starts. */
  readonly line: number;
  /** The joined text, trimmed: what dockerd prints after "Step n/m : ". */
  readonly text: string;
  readonly command: SplitCommand;
  /** The exec form, for the instructions that have one (see jsonForm). */
  readonly json?: readonly string[];
  readonly heredocs: readonly Heredoc[];
}

export interface LogicalLines {
  readonly lines: readonly LogicalLine[];
  /** dockerd's "Empty continuation line found in: ..." warnings. */
  readonly warnings: readonly string[];
}

const HEREDOC_KEYWORDS = new Set(['run', 'copy', 'add']);

export function readLogicalLines(text: string, escape: string): LogicalLines {
  const physical = text.replace(/^\uFEFF/, '').split('\n');
  if (physical.at(-1) === '') physical.pop(); // the newline ending the last line
  const lines: LogicalLine[] = [];
  const warnings: string[] = [];
  let next = 0;
  const read = (): string | undefined => {
    const raw = physical[next];
    if (raw !== undefined) next++;
    return raw?.replace(/[\r\n]+$/, '');
  };

  for (let first = read(); first !== undefined; first = read()) {
    const start = next;
    let part = continuation(isComment(first) ? '' : first.trimStart(), escape);
    if (!part.continues && part.text === '') continue;
    let joined = part.text;
    let emptyContinuation = false;
    while (part.continues) {
      const raw = read();
      if (raw === undefined) break;
      if (isComment(raw)) continue;
      if (raw.trim() === '') {
        emptyContinuation = true;
        continue;
      }
      part = continuation(raw, escape);
      joined += part.text;
    }
    if (emptyContinuation) warnings.push(`Empty continuation line found in: ${joined}`);
    const command = splitCommand(joined, escape);
    const json = jsonForm(command);
    checkNameValues(command, escape);
    const heredocs =
      canContainHeredoc(command, json, escape) && joined.includes('<<')
        ? readHeredocs(heredocWordsOf(joined), read)
        : [];
    const base = { line: start, text: joined.trim(), command, heredocs };
    lines.push(json === undefined ? base : { ...base, json });
  }
  if (warnings.length > 0) {
    warnings.push('Empty continuation lines will become errors in a future release.');
  }
  return { lines, warnings };
}

function isComment(line: string): boolean {
  return line.trimStart().startsWith('#');
}

/**
 * A line continues when its last non-blank character is the escape character, unless that is
 * itself escaped; the escape and the blanks after it are removed, the text before is kept.
 */
function continuation(line: string, escape: string): { text: string; continues: boolean } {
  const trimmed = line.replace(/[ \t]+$/, '');
  if (!trimmed.endsWith(escape)) return { text: line, continues: false };
  if (trimmed.length > 1 && trimmed.at(-2) === escape) return { text: line, continues: false };
  return { text: trimmed.slice(0, -1), continues: true };
}

/**
 * Heredocs are read only for RUN, COPY and ADD (also as ONBUILD triggers) in the shell form:
 * `RUN ["cat", "<<EOF"]` is an ordinary argument.
 */
function canContainHeredoc(
  command: SplitCommand,
  json: readonly string[] | undefined,
  escape: string,
): boolean {
  if (command.keyword.toLowerCase() === 'onbuild') {
    const trigger = splitCommand(command.args, escape);
    return HEREDOC_KEYWORDS.has(trigger.keyword.toLowerCase()) && jsonForm(trigger) === undefined;
  }
  return HEREDOC_KEYWORDS.has(command.keyword.toLowerCase()) && json === undefined;
}

/**
 * The JSON exec form, for the instructions whose line parser tries it (parseMaybeJSON and
 * parseMaybeJSONToList; HEALTHCHECK after its CMD/NONE word).
 */
function jsonForm(command: SplitCommand): string[] | undefined {
  switch (command.keyword.toLowerCase()) {
    case 'run':
    case 'cmd':
    case 'entrypoint':
    case 'shell':
    case 'copy':
    case 'add':
    case 'volume':
      return parseJsonArray(command.args);
    case 'healthcheck': {
      const rest = command.args.replace(/^\S*\s*/, '');
      return parseJsonArray(rest);
    }
    default:
      return undefined;
  }
}

/** dockerd's parser splits ENV and LABEL into pairs as it reads them, failing on bad forms. */
function checkNameValues(command: SplitCommand, escape: string): void {
  const keyword = command.keyword.toUpperCase();
  if (keyword === 'ENV' || keyword === 'LABEL') parseNameValues(command.args, keyword, escape);
}

/** Each heredoc's body runs to its delimiter line (after tab-stripping for `<<-`). */
function readHeredocs(words: readonly HeredocWord[], read: () => string | undefined): Heredoc[] {
  return words.map(({ name, chomp, expand }) => {
    const body: string[] = [];
    for (let raw = read(); raw !== undefined; raw = read()) {
      const line = chomp ? raw.replace(/^\t+/, '') : raw;
      if (line === name) return { name, expand, content: body.join('') };
      body.push(`${line}\n`);
    }
    throw new DockerfileError('unterminated heredoc');
  });
}
