/**
 * The word-level forms of ENV, LABEL and ARG, before expansion: dockerd's parser splits them
 * with quotes kept (buildkit parser/line_parsers.go parseWords, parseNameVal); quotes and
 * variables are resolved later, word by word, by the shell lexer.
 */
import { DockerfileError } from './dockerfile-error.js';

/**
 * Splits on whitespace outside quotes. Quotes and escapes stay in the words; an escape
 * character protects the next character (inside single quotes it is literal).
 */
export function parseWords(text: string, escape: string): string[] {
  const words: string[] = [];
  const chars = Array.from(text);
  let word = '';
  let quote = '';
  let blankOk = false; // `""` is a word even though it is empty once unquoted
  let inWord = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (!inWord) {
      if (/\s/u.test(ch)) continue;
      inWord = true;
    }
    if (quote === '' && /\s/u.test(ch)) {
      if (blankOk || word !== '') words.push(word);
      word = '';
      blankOk = false;
      inWord = false;
      continue;
    }
    if (quote === '' && (ch === "'" || ch === '"')) {
      quote = ch;
      blankOk = true;
    } else if (ch === quote) {
      quote = '';
    }
    if (ch === escape && quote !== "'") {
      if (i + 1 === chars.length) continue; // a trailing escape is dropped
      word += ch + (chars[++i] ?? '');
      continue;
    }
    word += ch;
  }
  if (inWord && (blankOk || word !== '')) words.push(word);
  return words;
}

/**
 * ENV and LABEL: `k=v k2="v 2"`, or the legacy `k the rest` (one pair; chosen when the first
 * word has no `=`). Pairs come back unexpanded. dockerd's parser makes these checks while it
 * reads the file, so logical-lines.ts runs this too (its errors carry no line prefix).
 */
export function parseNameValues(
  text: string,
  keyword: 'ENV' | 'LABEL',
  escape: string,
): [string, string][] {
  const words = parseWords(text, escape);
  const first = words[0];
  if (first === undefined) return [];
  if (!first.includes('=')) {
    const legacy = /^(\S+)[\t\v\f\r ]+([\s\S]*)$/.exec(text);
    if (legacy === null) throw new DockerfileError(`${keyword} must have two arguments`);
    return [[legacy[1] ?? '', legacy[2] ?? '']];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) {
      throw new DockerfileError(
        `Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`,
      );
    }
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}
