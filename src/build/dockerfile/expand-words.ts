/**
 * Docker's shell-word lexer: variable expansion, quote and escape removal and word splitting as
 * dockerd applies them to Dockerfile words. Rules from buildkit frontend/dockerfile/shell/lex.go
 * (vendored by dockerd 28), re-implemented.
 */
import { DockerfileError } from './dockerfile-error.js';
import type { VariableLookup } from './instructions.js';
import { LexError, shellPatternToRegExp, trimPrefix, trimSuffix } from './shell-pattern.js';

export interface LexOptions {
  /** Keep quote characters in the output (the parser uses it to spot quoted heredoc delimiters). */
  readonly rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  readonly rawEscapes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to "". */
  readonly skipUnset?: boolean;
}

export interface LexResult {
  /** ProcessWord: the whole text with quotes removed and variables expanded. */
  readonly word: string;
  /** ProcessWords: the same, split on unquoted whitespace (also inside expanded values). */
  readonly words: readonly string[];
}

/** lex.go ProcessWord: one word, quotes removed, `$a` `${a:-b}`... expanded. */
export function expandWord(word: string, lookup: VariableLookup, escape: string): string {
  return lexWords(word, lookup, escape).word;
}

/** lex.go ProcessWords: expands, then splits on whitespace that was not quoted or escaped. */
export function expandWords(text: string, lookup: VariableLookup, escape: string): string[] {
  return [...lexWords(text, lookup, escape).words];
}

export function lexWords(
  text: string,
  lookup: VariableLookup,
  escape: string,
  options: LexOptions = {},
): LexResult {
  try {
    return new ShellWord(text, lookup, escape, options).process();
  } catch (err) {
    if (err instanceof LexError) {
      // lex.go wraps every failure this way: `failed to process "${a:?}": a: is not allowed...`
      throw new DockerfileError(`failed to process ${JSON.stringify(text)}: ${err.message}`);
    }
    throw err;
  }
}

// Go's unicode.IsSpace (JavaScript's \s differs on U+0085 and U+FEFF).
const SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/u;
const isSpace = (ch: string): boolean => SPACE.test(ch);
const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;
const DIGIT = /^\p{Nd}$/u;
// POSIX special parameters ($@, $*, $#...), read as one-character names.
const SPECIAL_PARAMS = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** Accumulates ProcessWords' output: unquoted whitespace ends a word, quoted text never does. */
class WordSplitter {
  private buf = '';
  private inWord = false;
  private readonly words: string[] = [];

  addChar(ch: string): void {
    if (!isSpace(ch)) {
      this.addRaw(ch);
    } else if (this.inWord && this.buf !== '') {
      this.words.push(this.buf);
      this.buf = '';
      this.inWord = false;
    }
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRaw(s: string): void {
    this.buf += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buf !== '') this.words.push(this.buf);
    this.buf = '';
    return this.words;
  }
}

class ShellWord {
  private readonly chars: string[];
  private pos = 0;
  private rawEscapes: boolean;

  constructor(
    text: string,
    private readonly lookup: VariableLookup,
    private readonly escape: string,
    private readonly options: LexOptions,
  ) {
    this.chars = Array.from(text);
    this.rawEscapes = options.rawEscapes ?? false;
  }

  process(): LexResult {
    return this.processStopOn(undefined, this.rawEscapes);
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    const ch = this.chars[this.pos];
    if (ch !== undefined) this.pos++;
    return ch;
  }

  /**
   * Reads up to `stop` (consumed) or the end. lex.go shares one words buffer between this and
   * the nested call for `${a:-b}`, which drops text before such an expansion from ProcessWords
   * ("x${u:-y}" gives ["y"]); we keep a buffer per call, the evident intent.
   */
  private processStopOn(stop: string | undefined, rawEscapes: boolean): LexResult {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = '';
      const words = new WordSplitter();
      for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
        if (ch === stop) {
          this.next();
          return { word: result, words: words.finish() };
        }
        if (ch === '$') {
          const value = this.processDollar();
          result += value;
          words.addString(value); // expanded values are split on their whitespace
          continue;
        }
        if (ch === "'" || ch === '"') {
          const quoted = ch === "'" ? this.processSingleQuote() : this.processDoubleQuote();
          result += quoted;
          words.addRaw(quoted);
          continue;
        }
        this.next();
        if (ch === this.escape) {
          if (this.rawEscapes) {
            words.addRaw(ch);
            result += ch;
          }
          const escaped = this.next();
          if (escaped === undefined) break; // an escape at the very end is dropped
          words.addRaw(escaped);
          result += escaped;
          continue;
        }
        words.addChar(ch);
        result += ch;
      }
      if (stop !== undefined) {
        throw new LexError(`unexpected end of statement while looking for matching ${stop}`);
      }
      return { word: result, words: words.finish() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  /** Everything up to the next `'` is literal; nothing can be escaped (sh(1) "Single Quotes"). */
  private processSingleQuote(): string {
    const raw = this.options.rawQuotes === true;
    let result = raw ? "'" : '';
    this.next();
    for (;;) {
      const ch = this.next();
      if (ch === undefined) {
        throw new LexError('unexpected end of statement while looking for matching single-quote');
      }
      if (ch === "'") return raw ? result + ch : result;
      result += ch;
    }
  }

  /** Literal except `$` expansions; the escape character escapes only `"`, `$` and itself. */
  private processDoubleQuote(): string {
    const raw = this.options.rawQuotes === true;
    let result = raw ? '"' : '';
    this.next();
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) {
        throw new LexError('unexpected end of statement while looking for matching double-quote');
      }
      if (ch === '"') {
        this.next();
        return raw ? result + ch : result;
      }
      if (ch === '$') {
        result += this.processDollar();
        continue;
      }
      this.next();
      if (ch === this.escape) {
        if (this.rawEscapes) result += ch;
        const after = this.peek();
        if (after === undefined) continue; // the closing quote is missing: reported above
        if (after === '"' || after === '$' || after === this.escape) {
          result += after;
          this.next();
          continue;
        }
      }
      result += ch;
    }
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.processName();
      if (name === '') return '$';
      const value = this.lookup(name);
      if (value === undefined && this.options.skipUnset === true) return '$' + name;
      return value ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new LexError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') {
      throw new LexError('syntax error: bad substitution');
    }
    const name = this.processName();
    const op = this.next();
    if (op === '}') {
      const value = this.lookup(name);
      if (value === undefined && this.options.skipUnset === true) return `\${${name}}`;
      return value ?? '';
    }
    if (op === '/') return this.processReplace(name);
    // lex.go reports "unsupported modifier (\uFFFD)" here (Go's EOF rune); say what is wrong.
    if (op === undefined) throw new LexError("syntax error: missing '}'");
    let modifier = op;
    let nullIsUnset = false;
    if (op === ':') {
      nullIsUnset = true;
      const after = this.next();
      if (after === undefined) throw new LexError("syntax error: missing '}'");
      modifier += after;
    }
    const kind = modifier.at(-1);
    if (kind !== '+' && kind !== '-' && kind !== '?' && kind !== '#' && kind !== '%') {
      throw new LexError(`unsupported modifier (${modifier}) in substitution`);
    }
    const isPattern = kind === '#' || kind === '%';
    if (nullIsUnset && isPattern) {
      throw new LexError(`unsupported modifier (${modifier}) in substitution`);
    }
    const word = this.readOperand('}', isPattern, "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.options.skipUnset === true) {
      return `\${${name}${modifier}${word}}`;
    }
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (kind) {
      case '-':
        return unset ? word : value;
      case '+':
        return unset ? '' : word;
      case '?':
        if (value === undefined) {
          throw new LexError(`${name}: ${word || 'is not allowed to be unset'}`);
        }
        if (unset) throw new LexError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value;
      case '#':
      case '%': {
        // `#`/`%` remove the shortest match, `##`/`%%` the longest.
        const greedy = word.startsWith(kind);
        const pattern = greedy ? word.slice(1) : word;
        return kind === '#'
          ? trimPrefix(pattern, value ?? '', greedy)
          : trimSuffix(pattern, value ?? '', greedy);
      }
    }
  }

  /** `${a/pattern/replacement}` (first match) and `${a//pattern/replacement}` (all). */
  private processReplace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const pattern = this.readOperand('/', true, "syntax error: missing '/' in ${}");
    const replacement = this.readOperand('}', true, "syntax error: missing '}'");
    const value = this.lookup(name);
    if (value === undefined && this.options.skipUnset === true) {
      return `\${${name}/${pattern}/${replacement}}`;
    }
    const re = shellPatternToRegExp(pattern, true, false, all);
    // A function replacer keeps `$` in the replacement literal (Go's ReplaceAllString would
    // expand `$1`; the replacement is already variable-expanded text, so literal is the intent).
    return (value ?? '').replace(re, () => replacement);
  }

  private readOperand(stop: string, rawEscapes: boolean, eofMessage: string): string {
    try {
      return this.processStopOn(stop, rawEscapes).word;
    } catch (err) {
      if (err instanceof LexError && this.peek() === undefined) throw new LexError(eofMessage);
      throw err;
    }
  }

  /** A name is letters, digits and `_`; a leading digit reads digits only; or one special char. */
  private processName(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && DIGIT.test(ch)) {
        for (let d = this.peek(); d !== undefined && DIGIT.test(d); d = this.peek()) {
          name += d;
          this.next();
        }
        return name;
      }
      if (name === '' && SPECIAL_PARAMS.has(ch)) {
        this.next();
        return ch;
      }
      if (!NAME_CHAR.test(ch)) break;
      name += ch;
      this.next();
    }
    return name;
  }
}
