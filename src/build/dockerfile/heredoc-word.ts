/**
 * Recognises a heredoc word (`<<EOF`, `<<-EOF`, `<<"EOF"`, `2<<EOF`) the way dockerd's parser
 * does (buildkit parser.go ParseHeredoc): the delimiter is lexed as one shell word, and it is
 * "quoted" (body not expanded) when lexing with and without raw quotes differ.
 */
import { lexWords } from './expand-words.js';

export interface HeredocWord {
  readonly name: string;
  /** `<<-`: leading tabs are stripped from the body and the terminator line. */
  readonly chomp: boolean;
  readonly expand: boolean;
}

// Go's \s is [\t\n\f\r ]; the delimiter may not contain another `<`.
const HEREDOC = /^\d*<<(-?)[\t\n\f\r ]*([^<]*)$/;
const unset = (): undefined => undefined;
const quoteCount = (s: string): number => s.replace(/[^'"]/g, '').length;

/** undefined when `word` is not a heredoc; throws when its delimiter does not lex. */
export function parseHeredocWord(word: string): HeredocWord | undefined {
  const match = HEREDOC.exec(word);
  const rest = match?.[2] ?? '';
  if (match === null || rest === '') return undefined;
  // The parser always lexes heredoc words with the backslash, whatever `# escape=` says.
  const words = lexWords(rest, unset, '\\', { skipUnset: true }).words;
  const name = words[0];
  if (words.length !== 1 || name === undefined) return undefined;
  const raw = lexWords(rest, unset, '\\', { skipUnset: true, rawQuotes: true }).words[0] ?? '';
  return { name, chomp: match[1] === '-', expand: quoteCount(name) === quoteCount(raw) };
}

/** The heredocs opened on a logical line, in order (parser.go heredocsFromLine). */
export function heredocWordsOf(line: string): HeredocWord[] {
  let words: readonly string[];
  try {
    words = lexWords(line, unset, '\\', {
      rawQuotes: true,
      rawEscapes: true,
      skipUnset: true,
    }).words;
  } catch {
    return []; // dockerd ignores a line that does not lex here: it then has no heredocs
  }
  const found: HeredocWord[] = [];
  for (const word of words) {
    const heredoc = parseHeredocWord(word);
    if (heredoc !== undefined) found.push(heredoc);
  }
  return found;
}
