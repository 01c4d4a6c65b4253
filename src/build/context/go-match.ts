/**
 * Go's path/filepath.Match, as moby's classic builder applies it to COPY/ADD sources: `*` is any
 * run of non-`/` characters, `?` one non-`/` character, `[a-z]` / `[^a-z]` a class, `\` escapes
 * the next character. Ported from Go's src/path/filepath/match.go so that a pattern matches
 * here exactly what it matches in dockerd, including which patterns are malformed.
 */
import { InvalidArgumentError } from '../../errors.js';

class BadPattern extends InvalidArgumentError {
  constructor(pattern: string) {
    super(`syntax error in pattern: ${pattern}`);
  }
}

/** Whether `pattern` has a wildcard (moby's containsWildcards: an escaped one does not count). */
export function containsWildcards(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if (ch === '*' || ch === '?' || ch === '[') return true;
  }
  return false;
}

/** `\x` → `x`: the name a wildcard-free pattern stands for. */
export function unescapePattern(pattern: string): string {
  return pattern.replace(/\\(.)/g, '$1');
}

/** filepath.Match(pattern, name); throws InvalidArgumentError on a malformed pattern. */
export function goMatch(pattern: string, name: string): boolean {
  // Go matches runes: code points, which is what Array.from yields (not UTF-16 units).
  let pat = Array.from(pattern);
  let s = Array.from(name);
  outer: while (pat.length > 0) {
    const { star, chunk, rest } = scanChunk(pat);
    pat = rest;
    if (star && chunk.length === 0) return !s.includes('/');
    const t = matchChunk(chunk, s, pattern);
    if (t !== undefined && (t.length === 0 || pat.length > 0)) {
      s = t;
      continue;
    }
    if (star) {
      for (let i = 0; i < s.length && s[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, s.slice(i + 1), pattern);
        if (t2 !== undefined) {
          if (pat.length === 0 && t2.length > 0) continue;
          s = t2;
          continue outer;
        }
      }
    }
    // Go reports a malformed remainder even when the name already failed to match.
    while (pat.length > 0) {
      const next = scanChunk(pat);
      pat = next.rest;
      matchChunk(next.chunk, [], pattern);
    }
    return false;
  }
  return s.length === 0;
}

function scanChunk(pat: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let star = false;
  let p = pat;
  while (p.length > 0 && p[0] === '*') {
    p = p.slice(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  for (; i < p.length; i++) {
    const ch = p[i];
    if (ch === '\\') {
      if (i + 1 < p.length) i++;
    } else if (ch === '[') inRange = true;
    else if (ch === ']') inRange = false;
    else if (ch === '*' && !inRange) break;
  }
  return { star, chunk: p.slice(0, i), rest: p.slice(i) };
}

/** What is left of `s` after `chunk` matched its start; undefined when it does not. */
function matchChunk(chunk: string[], s: string[], pattern: string): string[] | undefined {
  let failed = false;
  let c = 0;
  let k = 0;
  while (c < chunk.length) {
    if (!failed && k >= s.length) failed = true;
    const ch = chunk[c];
    if (ch === '[') {
      const r = failed ? '' : (s[k++] ?? '');
      c++;
      let negated = false;
      if (chunk[c] === '^') {
        negated = true;
        c++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (c < chunk.length && chunk[c] === ']' && nrange > 0) {
          c++;
          break;
        }
        const lo = getEsc(chunk, c, pattern);
        c = lo.next;
        let hi = lo.ch;
        if (chunk[c] === '-') {
          const h = getEsc(chunk, c + 1, pattern);
          c = h.next;
          hi = h.ch;
        }
        if (!failed && lo.ch <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (ch === '?') {
      if (!failed) {
        if (s[k] === '/') failed = true;
        k++;
      }
      c++;
    } else {
      if (ch === '\\') {
        c++;
        if (c >= chunk.length) throw new BadPattern(pattern);
      }
      if (!failed) {
        if (chunk[c] !== s[k]) failed = true;
        k++;
      }
      c++;
    }
  }
  return failed ? undefined : s.slice(k);
}

/** One possibly escaped character of a class; Go's getEsc. */
function getEsc(chunk: string[], at: number, pattern: string): { ch: string; next: number } {
  let i = at;
  if (i >= chunk.length || chunk[i] === '-' || chunk[i] === ']') throw new BadPattern(pattern);
  if (chunk[i] === '\\') {
    i++;
    if (i >= chunk.length) throw new BadPattern(pattern);
  }
  const ch = chunk[i] ?? '';
  if (i + 1 >= chunk.length) throw new BadPattern(pattern);
  return { ch, next: i + 1 };
}
