/**
 * Splits one logical Dockerfile line into keyword, leading `--flags` and the rest, and detects
 * the JSON exec form, as dockerd's parser does (buildkit parser/split_command.go and
 * line_parsers.go parseJSON).
 */
import { DockerfileError } from './dockerfile-error.js';
import type { InstructionFlag } from './instructions.js';

export interface SplitCommand {
  /** As written (dockerd reports unknown instructions in the user's case). */
  readonly keyword: string;
  readonly flags: readonly InstructionFlag[];
  /** Everything after the flags, trimmed. */
  readonly args: string;
}

// The parser's reWhitespace: no newline, since a logical line has none.
const WHITESPACE = /[\t\v\f\r ]+/;

export function splitCommand(line: string, escape: string): SplitCommand {
  const trimmed = line.trim();
  const match = WHITESPACE.exec(trimmed);
  if (match === null) return { keyword: trimmed, flags: [], args: '' };
  const keyword = trimmed.slice(0, match.index);
  const { flags, rest } = extractFlags(trimmed.slice(match.index + match[0].length), escape);
  return { keyword, flags: flags.map(toFlag), args: rest.trim() };
}

function toFlag(word: string): InstructionFlag {
  const eq = word.indexOf('=');
  return eq < 0 ? { name: word.slice(2) } : { name: word.slice(2, eq), value: word.slice(eq + 1) };
}

/**
 * Leading words that start with `--` are flags (quotes and the escape character work inside
 * them as in the shell); a bare `--` ends them.
 */
function extractFlags(line: string, escape: string): { flags: string[]; rest: string } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && /\s/.test(line.charAt(pos))) pos++;
    if (!line.startsWith('--', pos)) return { flags, rest: line.slice(pos) };
    const { word, end } = readFlagWord(line, pos, escape);
    pos = end;
    if (word === '--') return { flags, rest: line.slice(pos) };
    if (word !== '') flags.push(word);
    if (pos >= line.length) return { flags, rest: '' };
  }
}

function readFlagWord(line: string, start: number, escape: string): { word: string; end: number } {
  let word = '';
  let quote = '';
  let pos = start;
  for (; pos < line.length; pos++) {
    const ch = line.charAt(pos);
    if (quote === '' && /\s/.test(ch)) break;
    if (quote === '' && (ch === '"' || ch === "'")) {
      quote = ch;
    } else if (ch === quote) {
      quote = '';
    } else if (ch === escape) {
      // An escape at the very end is dropped; otherwise the next character is taken as is.
      if (pos + 1 < line.length) word += line.charAt(++pos);
    } else {
      word += ch;
    }
  }
  return { word, end: pos };
}

/**
 * The exec form: text starting with `[` that is a whole JSON array. An array holding anything
 * but strings is an error; any other text is the shell form (undefined).
 */
export function parseJsonArray(text: string): string[] | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  const strings: string[] = [];
  for (const item of value as unknown[]) {
    if (typeof item !== 'string') {
      throw new DockerfileError(
        'when using JSON array syntax, arrays must be comprised of strings only',
      );
    }
    strings.push(item);
  }
  return strings;
}
