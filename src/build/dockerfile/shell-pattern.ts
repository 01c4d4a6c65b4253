/**
 * The wildcard patterns of `${a#p}`, `${a%p}` and `${a/p/r}` in Dockerfile words (`*`, `?`,
 * backslash escapes; no bracket expressions), as buildkit shell/lex.go evaluates them.
 */

/** A failure inside the shell lexer; expand-words.ts prefixes the word being processed. */
export class LexError extends Error {}

/**
 * A shell pattern as a RegExp (lex.go convertShellPatternToRegex); `greedy` makes `*` match the
 * longest text, `anchored` matches at the start only.
 */
export function shellPatternToRegExp(
  pattern: string,
  greedy: boolean,
  anchored: boolean,
  global: boolean,
): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? '^' : '';
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (ch === '*') {
      out += greedy ? '.*' : '.*?';
    } else if (ch === '?') {
      out += '.';
    } else if (ch === '\\') {
      const escaped = chars[i + 1];
      // `\}` and `\/` only protect the ${} syntax; they are not part of the pattern.
      if (escaped === '}' || escaped === '/') continue;
      if (escaped !== '*' && escaped !== '?' && escaped !== '\\') {
        throw new LexError(
          `invalid pattern (${pattern}) in substitution: invalid escape '\\${escaped ?? ''}'`,
        );
      }
      out += '\\' + escaped;
      i++;
    } else if ('[]{}.+()|^$'.includes(ch)) {
      out += '\\' + ch;
    } else {
      out += ch;
    }
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

export function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const match = shellPatternToRegExp(pattern, greedy, true, false).exec(value);
  return match === null ? value : value.slice(match[0].length);
}

/**
 * The shortest rightmost match cannot be expressed as a RegExp search, so, like lex.go, reverse
 * both the value and the pattern (keeping escapes before the character they escape).
 */
export function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  const reverse = (s: string): string => Array.from(s).reverse().join('');
  const chars = Array.from(pattern);
  const tokens: string[] = [];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] ?? '';
    if (ch === '\\' && i + 1 < chars.length) {
      tokens.push(ch + (chars[i + 1] ?? ''));
      i++;
    } else {
      tokens.push(ch);
    }
  }
  return reverse(trimPrefix(tokens.reverse().join(''), reverse(value), greedy));
}
